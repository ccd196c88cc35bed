"""Exchanges over HTTP: the catalog and stock, an exchange from request to shipped replacement, bad input."""

from __future__ import annotations

import uuid

import pytest

from domain.facilities_example import example_facilities
from tests.factories import LINES, create_payment, order_body
from tests.integration.conftest import Running, poll
from tests.integration.test_bad_input import error

pytestmark = pytest.mark.integration

CATALOG = {
    "variants": [
        {
            "sku": "TEE-BLK-L",
            "product_id": "TEE",
            "title": "T-shirt black",
            "options": {"size": "L"},
            "price": {"amount": 2500, "currency": "USD"},
        },
        {
            "sku": "SHOE-43",
            "product_id": "SHOE",
            "title": "Runner",
            "options": {"size": "43"},
            "price": {"amount": 8999, "currency": "USD"},
        },
        {
            "sku": "SHOE-40",
            "product_id": "SHOE",
            "title": "Runner",
            "options": {"size": "40"},
            "price": {"amount": 8999, "currency": "USD"},
            "discontinued": True,
        },
    ]
}


def set_up(run: Running, shop: dict) -> str:
    m = shop["merchant"]
    assert run.api.put("/v1/facilities", json=example_facilities(), headers=m).status_code == 200
    r = run.api.put("/v1/catalog", json=CATALOG, headers=m)
    assert r.status_code == 200, r.text
    r = run.api.put(
        "/v1/stock",
        json={
            "levels": [
                {"sku": "TEE-BLK-L", "facility_id": "wh_demo_us", "on_hand": 3},
                {"sku": "SHOE-43", "facility_id": "wh_demo_us", "on_hand": 1},
            ]
        },
        headers=m,
    )
    assert r.status_code == 200, r.text
    pi = create_payment(run.settings.stripe_base_url, amount=2 * 2500 + 8999, merchant_id=shop["id"])
    order_id = f"o-{uuid.uuid4().hex[:8]}"
    assert run.api.put(f"/v1/orders/{order_id}", json=order_body(pi, lines=LINES), headers=m).status_code == 201
    return order_id


def body(order_id: str, tee="TEE-BLK-L", shoe="SHOE-43", **extra) -> dict:
    return {
        "order_id": order_id,
        "resolution": "exchange",
        "items": [
            {"line_id": "L1", "quantity": 2, "reason": "too_small", "exchange": {"replacement_sku": tee}},
            {"line_id": "L2", "quantity": 1, "reason": "too_small", "exchange": {"replacement_sku": shoe}},
        ],
        **extra,
    }


def stock(run: Running, shop: dict) -> dict[str, tuple[int, int]]:
    levels = run.api.get("/v1/stock", headers=shop["merchant"]).json()["data"]
    return {l["sku"]: (l["on_hand"], l["reserved"]) for l in levels}


def test_an_exchange_reserves_ships_and_settles_over_http(running: Running, shop):
    run = running
    order_id = set_up(run, shop)
    r = run.api.post("/v1/returns", json=body(order_id), headers=shop["merchant"])
    assert r.status_code == 201, r.text
    ret = r.json()
    assert ret["resolution"] == "exchange" and [x["status"] for x in ret["exchange"]["replacements"]] == [
        "reserved",
        "reserved",
    ]
    assert stock(run, shop) == {"SHOE-43": (1, 1), "TEE-BLK-L": (3, 2)}
    # A stock count below what is promised to exchanges is refused.
    low = error(
        run.api.put(
            "/v1/stock",
            json={"levels": [{"sku": "SHOE-43", "facility_id": "wh_demo_us", "on_hand": 0}]},
            headers=shop["merchant"],
        ),
        409,
        "below_reserved",
    )
    assert low["field"] == "levels[0].on_hand"
    # The last SHOE-43 is promised: a second exchange for it falls back to the shopper's second choice.
    second = run.api.post(
        "/v1/returns", json=body(set_up(run, shop), fallback="store_credit"), headers=shop["merchant"]
    ).json()
    assert second["resolution"] == "store_credit" and second["exchange"] is None

    w = shop["warehouse"]
    assert run.api.post("/v1/warehouse/receipts", json={"return_id": ret["id"]}, headers=w).status_code == 202
    poll(
        lambda: run.api.get(f"/v1/returns/{ret['id']}", headers=shop["merchant"]).json()["status"],
        lambda s: s == "received",
        60,
        "received",
    )
    r = run.api.post(
        f"/v1/returns/{ret['id']}/inspection",
        json={"items": [{"line_id": "L1", "grade": "A"}, {"line_id": "L2", "grade": "A"}]},
        headers=w,
    )
    assert r.status_code == 200, r.text
    done = poll(
        lambda: run.api.get(f"/v1/returns/{ret['id']}", headers=shop["merchant"]).json(),
        lambda x: x["status"] == "completed",
        60,
        "completed",
    )
    shipped = done["exchange"]["replacements"]
    assert [x["status"] for x in shipped] == ["shipped", "shipped"] and all(x["tracking_code"] for x in shipped)
    assert done["exchange"]["settle_difference"] == "none" and done["refund"]["status"] == "exchanged"
    assert stock(run, shop)["SHOE-43"] == (0, 0) and stock(run, shop)["TEE-BLK-L"][0] == 1


def test_bad_exchange_requests_are_a_422_naming_the_field(running: Running, shop):
    run = running
    order_id = set_up(run, shop)
    m = shop["merchant"]

    def refused(payload: dict, field: str) -> None:
        err = error(run.api.post("/v1/returns", json=payload, headers=m), 422)
        assert field in (err.get("field") or err["message"]), err

    refused(body(order_id, shoe="SHOE-99"), "items[1].exchange.replacement_sku")
    refused(body(order_id, shoe="SHOE-40"), "items[1].exchange.replacement_sku")  # discontinued
    no_choice = body(order_id)
    del no_choice["items"][0]["exchange"]
    refused(no_choice, "items[0].exchange")
    not_exchange = body(order_id, resolution="refund")
    refused(not_exchange, "items[0].exchange")
    zero = body(order_id)
    zero["items"][0]["exchange"]["quantity"] = 0
    refused(zero, "items[0].exchange.quantity")
    too_many = body(order_id)
    too_many["items"][0]["exchange"]["quantity"] = 3
    refused(too_many, "items[0].exchange.quantity")
    # A catalog priced in another currency than the order's.
    eur = {
        "variants": [{**v, "price": {"amount": v["price"]["amount"], "currency": "EUR"}} for v in CATALOG["variants"]]
    }
    assert run.api.put("/v1/catalog", json=eur, headers=m).status_code == 200
    refused(body(order_id), "items[0].exchange.currency")
    bad = error(
        run.api.put("/v1/catalog", json={"variants": [CATALOG["variants"][0], CATALOG["variants"][0]]}, headers=m), 422
    )
    assert any("variants[1].sku" in d["field"] for d in bad["details"]), bad
    assert run.api.get("/v1/returns", params={"limit": 5}, headers=m).json()["data"] == []  # nothing was started
