"""The warehouse half over HTTP: receiving, inspection, routing, transfers, work orders, inventory, attention."""

from __future__ import annotations

import uuid

import pytest

from domain.facilities_example import example_facilities
from domain.rma import rma_code
from tests.factories import CUSTOMER, THREE_LINES, create_payment, order_body
from tests.integration.conftest import Running, poll
from tests.integration.test_bad_input import error

pytestmark = pytest.mark.integration

DUTCH_SHOPPER = {
    "email": "noor@example.nl",
    "name": "Noor de Vries",
    "address": {
        "name": "Noor de Vries",
        "street1": "Damrak 1",
        "city": "Amsterdam",
        "zip": "1012 LG",
        "country": "NL",
        "latitude": 52.3745,
        "longitude": 4.8979,
    },
}
ELECTRONICS_TO_LIQUIDATION = {
    "rules": [
        {
            "id": "defective-electronics-liquidate",
            "grades": ["C"],
            "categories": ["electronics"],
            "reasons": ["defective"],
            "disposition": "liquidate",
            "recovery_percent": 30,
        }
    ],
}


def set_up(run: Running, shop: dict, rules: dict | None = None) -> None:
    assert run.api.put("/v1/facilities", json=example_facilities(), headers=shop["merchant"]).status_code == 200
    if rules is not None:
        r = run.api.put("/v1/disposition-rules", json=rules, headers=shop["merchant"])
        assert r.status_code == 200, r.text


def new_return(run: Running, shop: dict, lines=THREE_LINES, customer=DUTCH_SHOPPER, reason: str = "defective") -> dict:
    pi = create_payment(
        run.settings.stripe_base_url,
        amount=sum(l["unit_price"] * l["quantity"] for l in lines),
        currency="eur",
        merchant_id=shop["id"],
    )
    order_id = f"o-{uuid.uuid4().hex[:8]}"
    body = order_body(pi, currency="EUR", lines=lines, customer=customer)
    assert run.api.put(f"/v1/orders/{order_id}", json=body, headers=shop["merchant"]).status_code == 201
    items = [{"line_id": l["id"], "quantity": l["quantity"], "reason": reason} for l in lines]
    r = run.api.post(
        "/v1/returns", json={"order_id": order_id, "items": items, "resolution": "refund"}, headers=shop["merchant"]
    )
    assert r.status_code == 201, r.text
    return r.json()


def read(run: Running, shop: dict, return_id: str) -> dict:
    return run.api.get(f"/v1/returns/{return_id}", headers=shop["merchant"]).json()


def until(run: Running, shop: dict, return_id: str, check, what: str) -> dict:
    return poll(lambda: read(run, shop, return_id), check, 60, what)


def test_three_grades_go_to_three_facilities_and_the_ledger_and_trails_show_it(running: Running, shop):
    run = running
    set_up(run, shop, ELECTRONICS_TO_LIQUIDATION)
    assert (
        run.api.get("/v1/disposition-rules", headers=shop["merchant"]).json()["rules"][0]["disposition"] == "liquidate"
    )
    ret = new_return(run, shop)
    # An Amsterdam shopper's label goes to the Amsterdam warehouse (the US address is nowhere near).
    label = run.easypost.get("/_sandbox/shipments", params={"reference": ret["id"]}).json()[0]
    assert label["from_address"]["city"] == "Amsterdam" or label["to_address"]["city"] == "Amsterdam"

    # Scanned by the packing slip's RMA barcode.
    r = run.api.post(
        "/v1/warehouse/receipts", json={"rma_code": f"  {rma_code(ret['id']).lower()} "}, headers=shop["warehouse"]
    )
    assert r.status_code == 202 and r.json()["id"] == ret["id"], r.text
    until(run, shop, ret["id"], lambda x: x["status"] == "received", "received")

    r = run.api.post(
        f"/v1/returns/{ret['id']}/inspection",
        headers=shop["warehouse"],
        json={
            "items": [
                {"line_id": "L1", "grade": "A"},
                {"line_id": "L2", "grade": "D", "notes": "sole split", "photo_urls": ["https://photos.example/l2.jpg"]},
                {"line_id": "L3", "grade": "C"},
            ]
        },
    )
    assert r.status_code == 200, r.text
    got = {i["line_id"]: (i["disposition"], i["recovery_value"]["amount"]) for i in r.json()["items"]}
    assert got == {"L1": ("restock", 2500), "L2": ("recycle", 179), "L3": ("liquidate", 1770)}

    paid = until(
        run,
        shop,
        ret["id"],
        lambda x: x["status"] == "completed" and all(i["stage"] for i in x["items"]),
        "settled, routed",
    )
    where = {i["line_id"]: i["facility_id"] for i in paid["items"]}
    assert where == {"L1": "wh_demo_nl", "L2": "rc_demo_rotterdam", "L3": "lq_demo_antwerp"}
    # What the inspector sent is on the return, and each transfer's code as soon as its label is bought (the
    # facilities have confirmed nothing yet: the items are still in transfer).
    sent = until(
        run,
        shop,
        ret["id"],
        lambda x: all(i["transfer_tracking_code"] for i in x["items"] if i["line_id"] != "L1"),
        "transfer labels bought",
    )
    items = {i["line_id"]: i for i in sent["items"]}
    assert (items["L2"]["notes"], items["L2"]["photo_urls"]) == ("sole split", ["https://photos.example/l2.jpg"])
    assert (items["L1"]["notes"], items["L1"]["photo_urls"], items["L1"]["transfer_tracking_code"]) == ("", [], None)
    assert items["L2"]["stage"] == items["L3"]["stage"] == "in_transfer"
    l2 = run.api.get(f"/v1/items/{ret['id']}/L2/trail", headers=shop["ops"]).json()
    assert l2["transfer_tracking_code"] == items["L2"]["transfer_tracking_code"]
    assert l2["inspection"] == {
        "grade": "D",
        "findings": items["L2"]["findings"],
        "notes": "sole split",
        "photo_urls": ["https://photos.example/l2.jpg"],
    }
    assert run.api.get(f"/v1/items/{ret['id']}/L1/trail", headers=shop["merchant"]).json()["inspection"]["grade"] == "A"

    for line_id, facility in (("L2", "rc_demo_rotterdam"), ("L3", "lq_demo_antwerp")):
        receipt = poll(
            lambda: run.api.post(
                f"/v1/facilities/{facility}/receipts",
                json={"return_id": ret["id"], "line_id": line_id},
                headers=shop["warehouse"],
            ),
            lambda r: r.status_code != 409,
            60,
            "shipped",
        )
        assert receipt.status_code == 202, receipt.text
    # Wrong facility for that item: nothing was sent there.
    error(
        run.api.post(
            "/v1/facilities/dn_demo_berlin/receipts",
            json={"return_id": ret["id"], "line_id": "L2"},
            headers=shop["warehouse"],
        ),
        404,
        "transfer_not_found",
    )

    done = until(run, shop, ret["id"], lambda x: all(i["stage"] == "done" for i in x["items"]), "every item placed")
    assert [i["stage"] for i in done["items"]] == ["done", "done", "done"]
    trails = {
        l: run.api.get(f"/v1/items/{ret['id']}/{l}/trail", headers=shop["merchant"]).json() for l in ("L1", "L2", "L3")
    }
    assert [m["movement"] for m in trails["L1"]["movements"]] == ["received", "restocked"]
    assert [m["movement"] for m in trails["L3"]["movements"]] == [
        "received",
        "sent_to_facility",
        "received_at_facility",
        "liquidated",
    ]
    assert trails["L2"]["certificate"]["kind"] == "recycling" and trails["L3"]["certificate"] is None
    levels = run.api.get("/v1/inventory", headers=shop["merchant"]).json()["data"]
    assert levels == [{"sku": "TEE-BLK-M", "location": "wh_demo_nl", "condition": "sellable", "quantity": 2}]
    # Another merchant sees none of it.
    assert run.api.get(f"/v1/items/{ret['id']}/L1/trail", headers=run.merchant()).status_code == 404

    # Finished: the dock and the inspector are told the return's status.
    again = error(
        run.api.post("/v1/warehouse/receipts", json={"return_id": ret["id"]}, headers=shop["warehouse"]),
        409,
        "wrong_state",
    )
    assert again["return_status"] == "completed"
    late = error(
        run.api.post(
            f"/v1/returns/{ret['id']}/inspection",
            json={"items": [{"line_id": "L1", "grade": "B"}]},
            headers=shop["warehouse"],
        ),
        409,
        "wrong_state",
    )
    assert "completed" in late["message"]


def test_refurbishment_is_a_work_order_completed_once(running: Running, shop):
    run = running
    set_up(run, shop)
    lines = [THREE_LINES[2]]  # electronics
    ret = new_return(run, shop, lines=lines)
    assert (
        run.api.post("/v1/warehouse/receipts", json={"return_id": ret["id"]}, headers=shop["warehouse"]).status_code
        == 202
    )
    until(run, shop, ret["id"], lambda x: x["status"] == "received", "received")
    r = run.api.post(
        f"/v1/returns/{ret['id']}/inspection",
        json={"items": [{"line_id": "L3", "grade": "B"}]},
        headers=shop["warehouse"],
    )
    assert r.json()["items"][0]["disposition"] == "refurbish"
    poll(
        lambda: run.api.post(
            "/v1/facilities/rf_demo_eindhoven/receipts",
            json={"return_id": ret["id"], "line_id": "L3"},
            headers=shop["warehouse"],
        ),
        lambda r: r.status_code == 202,
        60,
        "arrival",
    )
    orders = poll(
        lambda: run.api.get("/v1/work-orders", params={"status": "open"}, headers=shop["warehouse"]).json()["data"],
        bool,
        60,
        "a work order",
    )
    [order] = [o for o in orders if o["return_id"] == ret["id"]]
    assert (order["facility_id"], order["grade_in"]) == ("rf_demo_eindhoven", "B")

    error(run.api.post(f"/v1/work-orders/{order['id']}/complete", json={"grade": "E"}, headers=shop["warehouse"]), 422)
    error(
        run.api.post(f"/v1/work-orders/{order['id']}/complete", json={"grade": "A"}, headers=run.warehouse()),
        404,
        "work_order_not_found",
    )
    r = run.api.post(
        f"/v1/work-orders/{order['id']}/complete",
        json={"grade": "A", "notes": "new battery"},
        headers=shop["warehouse"],
    )
    assert r.status_code == 200 and r.json()["status"] == "completed", r.text
    twice = error(
        run.api.post(f"/v1/work-orders/{order['id']}/complete", json={"grade": "A"}, headers=shop["warehouse"]), 409
    )
    assert "already completed" in twice["message"]

    until(run, shop, ret["id"], lambda x: x["items"][0]["stage"] == "done", "refurbished")
    levels = run.api.get("/v1/inventory", params={"sku": "EARBUDS-1"}, headers=shop["merchant"]).json()["data"]
    assert levels == [{"sku": "EARBUDS-1", "location": "rf_demo_eindhoven", "condition": "refurbished", "quantity": 1}]


def test_unidentified_parcels_and_held_items_are_listed_for_ops(running: Running, shop):
    run = running
    r = run.api.post(
        "/v1/warehouse/receipts",
        json={"tracking_code": "1Z-NOBODY-KNOWS", "notes": "no slip"},
        headers=shop["warehouse"],
    )
    assert r.status_code == 202 and r.json()["status"] == "unidentified", r.text
    parcel = r.json()["parcel_id"]
    listed = run.api.get("/v1/warehouse/unidentified", headers=shop["warehouse"]).json()["data"]
    assert [p["parcel_id"] for p in listed] == [parcel] and listed[0]["tracking_code"] == "1Z-NOBODY-KNOWS"
    assert all(
        p["parcel_id"] != parcel
        for p in run.api.get("/v1/warehouse/unidentified", headers=run.warehouse()).json()["data"]
    )

    # Only warehouses: nothing can recycle the grade D shoes, so they are held, never failed.
    warehouses = {"facilities": [f for f in example_facilities()["facilities"] if f["kind"] == "warehouse"]}
    assert run.api.put("/v1/facilities", json=warehouses, headers=shop["merchant"]).status_code == 200
    ret = new_return(run, shop, lines=THREE_LINES[:2], customer=CUSTOMER)
    assert (
        run.api.post(
            "/v1/warehouse/receipts", json={"tracking_code": ret["label"]["tracking_code"]}, headers=shop["warehouse"]
        ).status_code
        == 202
    )
    until(run, shop, ret["id"], lambda x: x["status"] == "received", "received")
    r = run.api.post(
        f"/v1/returns/{ret['id']}/inspection",
        headers=shop["warehouse"],
        json={"items": [{"line_id": "L1", "grade": "A"}, {"line_id": "L2", "grade": "D"}]},
    )
    assert r.status_code == 200, r.text
    # Routing and paying run side by side after inspection: the item may be held before the refund lands.
    held = until(
        run, shop, ret["id"], lambda x: x["items"][1]["stage"] == "held" and x["status"] == "completed", "held"
    )
    assert held["refund"]["status"] == "succeeded"

    attention = poll(
        lambda: run.api.get("/v1/attention", headers=shop["ops"]).json()["data"],
        lambda a: {x["kind"] for x in a} >= {"unidentified_parcel", "item_held"},
        30,
        "attention",
    )
    item = next(a for a in attention if a["kind"] == "item_held")
    assert item["return_id"] == ret["id"] and item["line_id"] == "L2" and "recycle" in item["reason"]
    error(run.api.get("/v1/attention", headers=shop["warehouse"]), 403, "forbidden")
    r = run.api.post(
        f"/v1/attention/{item['id']}/resolve", json={"note": "sent to a local recycler"}, headers=shop["ops"]
    )
    assert r.status_code == 200
    error(run.api.post(f"/v1/attention/{item['id']}/resolve", json={}, headers=shop["ops"]), 409, "already_resolved")
    assert item["id"] not in [a["id"] for a in run.api.get("/v1/attention", headers=shop["ops"]).json()["data"]]


def test_bad_warehouse_input_is_a_4xx_naming_the_field(running: Running, shop):
    run = running
    set_up(run, shop)
    ret = new_return(run, shop, lines=THREE_LINES[:2])
    w = shop["warehouse"]
    error(run.api.post("/v1/warehouse/receipts", json={}, headers=w), 422, "invalid_request")
    error(run.api.post("/v1/warehouse/receipts", json={"return_id": ret["id"], "rma_code": "RMA-X"}, headers=w), 422)
    bad = error(
        run.api.post("/v1/warehouse/receipts", json={"return_id": ret["id"], "facility_id": "nowhere"}, headers=w), 422
    )
    assert bad["field"] == "facility_id"
    error(
        run.api.post(
            f"/v1/returns/{ret['id']}/inspection", json={"items": [{"line_id": "L1", "grade": "A"}]}, headers=w
        ),
        409,
        "wrong_state",
    )  # not received yet
    assert run.api.post("/v1/warehouse/receipts", json={"return_id": ret["id"]}, headers=w).status_code == 202
    until(run, shop, ret["id"], lambda x: x["status"] == "received", "received")
    for items in (
        [{"line_id": "L1"}],
        [{"line_id": "L1", "grade": "A", "problem": "missing"}],
        [{"line_id": "L1", "grade": "A", "photo_urls": ["not a url"]}],
        [{"line_id": "L9", "grade": "A"}],
    ):
        error(run.api.post(f"/v1/returns/{ret['id']}/inspection", json={"items": items}, headers=w), 422)
    r = run.api.post(
        f"/v1/returns/{ret['id']}/inspection", json={"items": [{"line_id": "L1", "grade": "A"}]}, headers=w
    )
    assert r.status_code == 200
    # The same inspection again (a retry after a lost answer or a 503) is the same update: the first answer.
    again = run.api.post(
        f"/v1/returns/{ret['id']}/inspection", json={"items": [{"line_id": "L1", "grade": "A"}]}, headers=w
    )
    assert again.status_code == 200 and again.json() == r.json()
    error(
        run.api.post(
            f"/v1/returns/{ret['id']}/inspection", json={"items": [{"line_id": "L1", "grade": "B"}]}, headers=w
        ),
        409,
        "already_inspected",
    )
    bad = error(
        run.api.put(
            "/v1/disposition-rules",
            json={"rules": [{"id": "x", "disposition": "burn", "recovery_percent": 5}]},
            headers=shop["merchant"],
        ),
        422,
    )
    assert any(d["field"] == "rules[0].disposition" for d in bad["details"]), bad
    error(run.api.post("/v1/work-orders/wo_nope/complete", json={"grade": "A"}, headers=w), 404, "work_order_not_found")
    error(run.api.get("/v1/items/ret_nope/L1/trail", headers=shop["merchant"]), 404, "item_not_found")
