"""One return through the real dev server, worker, API and both sandboxes, over HTTP."""

from __future__ import annotations

import json
import subprocess
import uuid

from cli.stack import BIN
from tests.factories import create_payment, order_body
from tests.integration.conftest import Running, poll

pytestmark = __import__("pytest").mark.integration


def new_order(run: Running, payment_method: str = "pm_card_visa") -> str:
    pi = create_payment(run.settings.stripe_base_url, amount=2 * 2500 + 8999, payment_method=payment_method)
    order_id = f"o-{uuid.uuid4().hex[:8]}"
    r = run.api.put(f"/v1/orders/{order_id}", json=order_body(pi), headers=run.merchant())
    assert r.status_code == 201, r.text
    return order_id


def return_body(order_id: str, resolution: str = "refund") -> dict:
    return {
        "order_id": order_id,
        "items": [
            {"line_id": "L1", "quantity": 2, "reason": "too_small"},
            {"line_id": "L2", "quantity": 1, "reason": "defective"},
        ],
        "resolution": resolution,
    }


def quoted_amount(run: Running, order_id: str) -> int:
    """What the demo policy promises for `return_body` with every item arriving as new."""
    r = run.api.post("/v1/returns/quote", json=return_body(order_id), headers=run.merchant())
    assert r.status_code == 200 and r.json()["eligible"], r.text
    return r.json()["settlement_amount"]["amount"]


def create_return(run: Running, order_id: str, key: str | None = None, resolution: str = "refund") -> dict:
    body = return_body(order_id, resolution)
    headers = {**run.merchant(), **({"Idempotency-Key": key} if key else {})}
    r = run.api.post("/v1/returns", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def get_return(run: Running, return_id: str) -> dict:
    r = run.api.get(f"/v1/returns/{return_id}", headers=run.merchant())
    assert r.status_code == 200, r.text
    return r.json()


def wait_status(run: Running, return_id: str, status: str, timeout: float = 60) -> dict:
    """Poll until the return shows `status` (a 202-accepted return may not be readable yet)."""

    def current() -> dict | None:
        r = run.api.get(f"/v1/returns/{return_id}", headers=run.merchant())
        assert r.status_code in (200, 404), r.text
        return r.json() if r.status_code == 200 else None

    return poll(current, lambda r: r is not None and r["status"] == status, timeout, f"status {status}")


def advance(run: Running, tracking_code: str, status: str | None = None) -> dict:
    """Move the sandbox tracker on (to `status`, or the next step); it POSTs a signed webhook to the API."""
    r = run.easypost.post(f"/_sandbox/trackers/{tracking_code}/advance", json={"status": status} if status else None)
    assert r.status_code == 200, r.text
    return r.json()


def refunds_for(run: Running, return_id: str) -> list[dict]:
    r = run.payments.get("/_sandbox/refunds", params={"metadata_key": "return_id", "metadata_value": return_id})
    return r.json()


def labels_for(run: Running, return_id: str) -> list[dict]:
    shipments = run.easypost.get("/_sandbox/shipments", params={"reference": return_id}).json()
    return [s for s in shipments if s.get("postage_label")]


def test_a_return_completes_end_to_end(running: Running):
    run = running
    order_id = new_order(run)
    due = quoted_amount(run, order_id)
    key = f"idem-{uuid.uuid4().hex}"
    ret = create_return(run, order_id, key)
    assert ret["status"] == "label_created" and ret["label"]["tracking_code"]
    assert create_return(run, order_id, key)["id"] == ret["id"]  # a retried POST is the same return

    tracking = ret["label"]["tracking_code"]
    for expected in ("pre_transit", "in_transit", "out_for_delivery", "delivered"):
        delivery = advance(run, tracking)
        assert delivery["event"]["result"]["status"] == expected
        assert [d["status_code"] for d in delivery["deliveries"]] == [200]  # signed webhook accepted
        if expected == "in_transit":  # else the next update may be judged against a record one scan behind
            wait_status(run, ret["id"], "in_transit")
    wait_status(run, ret["id"], "delivered")

    r = run.api.post("/v1/warehouse/receipts", json={"tracking_code": tracking}, headers=run.warehouse())
    assert r.status_code == 202, r.text
    wait_status(run, ret["id"], "received")

    r = run.api.post(
        f"/v1/returns/{ret['id']}/inspection",
        json={"items": [{"line_id": "L1", "grade": "A"}, {"line_id": "L2", "grade": "D", "notes": "sole split"}]},
        headers=run.warehouse(),
    )
    assert r.status_code == 200, r.text
    inspection = r.json()
    # L1 is as new (grade A) and L2 defective (the shopper is never charged for it): all as quoted.
    assert inspection["refund"] == {"amount": due, "currency": "USD"}
    assert {i["line_id"]: i["disposition"] for i in inspection["items"]} == {"L1": "restock", "L2": "recycle"}

    done = wait_status(run, ret["id"], "completed")
    assert done["refund"]["amount"] == due and done["refund"]["method"] == "refund"
    assert len(labels_for(run, ret["id"])) == 1
    refunds = refunds_for(run, ret["id"])
    assert [r["amount"] for r in refunds] == [due] and refunds[0]["id"] == done["refund"]["reference"]

    timeline = run.api.get(f"/v1/returns/{ret['id']}/timeline", headers=run.merchant()).json()["data"]
    statuses = [e["status"] for e in timeline]
    assert statuses[0] == "requested" and statuses[-1] == "completed"
    assert {"label_created", "in_transit", "delivered", "received", "inspected", "settling"} <= set(statuses)

    tracking = run.api.get(f"/v1/returns/{ret['id']}/tracking", headers=run.merchant()).json()["data"]
    updates = [t for t in tracking if t["description"] == "tracker.updated"]
    assert [t["status"] for t in updates] == ["pre_transit", "in_transit", "out_for_delivery", "delivered"]
    # Only the updates that move the return wake its workflow (each signal is a billed action); all are kept here.
    # (A record that lags the workflow can only make the API signal more: domain.carrier.worth_signalling.)
    assert [t["signalled"] for t in updates] == [False, True, False, True]
    assert len(updates[-1]["tracking_details"]) >= 4 and updates[-1]["tracking_details"][-1]["status"] == "delivered"

    listed = run.api.get("/v1/returns", params={"status": "completed"}, headers=run.merchant()).json()
    assert ret["id"] in [x["id"] for x in listed["data"]]

    # The shopper is settled; the defective L2 (grade D) still travels from the US warehouse that
    # received it to the recycler, and the return's workflow stays until the recycler confirms it.
    placed = poll(lambda: get_return(run, ret["id"]), lambda x: x["items"][0]["stage"] == "done", 60, "L1 restocked")
    items = {i["line_id"]: i for i in placed["items"]}
    assert (items["L1"]["stage"], items["L1"]["facility_id"]) == ("done", "wh_demo_us")
    assert items["L2"]["facility_id"] == "rc_demo_rotterdam"
    receipt = poll(
        lambda: run.api.post(
            "/v1/facilities/rc_demo_rotterdam/receipts",
            json={"return_id": ret["id"], "line_id": "L2"},
            headers=run.warehouse(),
        ),
        lambda r: r.status_code != 409,
        60,
        "the transfer label to be bought",
    )
    assert receipt.status_code == 202 and receipt.json()["tracking_code"], receipt.text
    poll(
        lambda: run.api.get(f"/v1/returns/{ret['id']}", headers=run.merchant()).json()["items"][1]["stage"],
        lambda stage: stage == "done",
        60,
        "L2 recycled",
    )
    again = run.api.post(
        "/v1/facilities/rc_demo_rotterdam/receipts",
        json={"return_id": ret["id"], "line_id": "L2"},
        headers=run.warehouse(),
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_received"
    trail = run.api.get(f"/v1/items/{ret['id']}/L2/trail", headers=run.merchant()).json()
    assert [m["movement"] for m in trail["movements"]] == [
        "received",
        "sent_to_facility",
        "received_at_facility",
        "recycled",
    ]
    assert trail["certificate"]["kind"] == "recycling" and trail["certificate"]["facility_id"] == "rc_demo_rotterdam"
    stock = run.api.get(
        "/v1/inventory", params={"sku": "TEE-BLK-M", "location": "wh_demo_us"}, headers=run.merchant()
    ).json()
    assert stock["data"] and stock["data"][0]["condition"] == "sellable" and stock["data"][0]["quantity"] >= 2

    # Ops can read the whole history with the Temporal CLI.
    def show():
        return subprocess.run(
            [
                str(BIN / "temporal"),
                "workflow",
                "show",
                "--workflow-id",
                f"return-{ret['id']}",
                "--address",
                run.settings.temporal_address,
                "--output",
                "json",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )

    shown = poll(
        show,
        lambda out: "COMPLETED" in json.loads(out.stdout)["events"][-1]["eventType"].upper(),
        30,
        "the workflow to close",
    )
    events = json.loads(shown.stdout)["events"]
    types = [e["eventType"] for e in events]
    assert types[0] in ("EVENT_TYPE_WORKFLOW_EXECUTION_STARTED", "WorkflowExecutionStarted")
    assert types[-1] in ("EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED", "WorkflowExecutionCompleted")
    assert (
        sum("SIGNALED" in t.upper() for t in types) == 3
    )  # the two status changes (in_transit, delivered) + the dock receipt
    # Customer data stays in the database: the history carries ids and facts only.
    for pii in ("sam.shopper@example.com", "Sam Shopper", "Montgomery", "94104"):
        assert pii not in shown.stdout
    # Ops find returns by their search attributes.
    query = f'ReturnStatus="completed" AND MerchantId="demo" AND WorkflowId="return-{ret["id"]}"'
    poll(
        lambda: temporal_list(run, query),
        lambda ids: ids == [f"return-{ret['id']}"],
        30,
        "visibility to show the return",
    )


def test_worker_crash_between_label_and_refund_loses_nothing_and_pays_once(running: Running):
    run = running
    order_id = new_order(run)
    due = quoted_amount(run, order_id)
    ret = create_return(run, order_id)
    tracking = ret["label"]["tracking_code"]

    run.stack.kill_worker()  # SIGKILL: no graceful shutdown
    for status in ("in_transit", "delivered"):
        advance(run, tracking, status)  # webhooks still accepted: signals wait in Temporal
    r = run.api.post("/v1/warehouse/receipts", json={"return_id": ret["id"]}, headers=run.warehouse())
    assert r.status_code == 202, r.text
    run.stack.start_worker()

    wait_status(run, ret["id"], "received")
    r = run.api.post(
        f"/v1/returns/{ret['id']}/inspection",
        json={"items": [{"line_id": "L1", "grade": "A"}, {"line_id": "L2", "grade": "A"}]},
        headers=run.warehouse(),
    )
    assert r.status_code == 200, r.text

    # Crash again while the refund call is in flight (the payments sandbox answers slowly).
    run.payments.put("/_sandbox/faults", json={"POST /v1/refunds": {"latency_ms": 3000}})
    try:
        poll(lambda: refunds_pending(run, ret["id"]), bool, 60, "the refund activity to start")
        run.stack.kill_worker()
    finally:
        run.payments.delete("/_sandbox/faults")
    run.stack.start_worker()

    done = wait_status(run, ret["id"], "completed", timeout=120)
    assert done["refund"]["amount"] == due
    assert len(labels_for(run, ret["id"])) == 1
    assert [r["amount"] for r in refunds_for(run, ret["id"])] == [due]

    # The restarted worker takes the notification drain over at once (the killed one's attempt would hold it
    # until its heartbeat timed out, 5 minutes): the shopper hears of the refund within seconds.
    def refund_mail() -> list[str]:
        r = run.api.get(f"/v1/returns/{ret['id']}/notifications", headers=run.merchant())
        return [e["status"] for e in r.json()["emails"] if e["kind"] == "refund_sent"]

    poll(refund_mail, lambda s: s == ["sent"], 30, "the refund email after the worker's restart")


def temporal_list(run: Running, query: str) -> list[str]:
    out = subprocess.run(
        [
            str(BIN / "temporal"),
            "workflow",
            "list",
            "--query",
            query,
            "--address",
            run.settings.temporal_address,
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    rows = json.loads(out.stdout or "[]")
    return [r["execution"]["workflowId"] for r in rows]


def refunds_pending(run: Running, return_id: str) -> bool:
    """True once the worker has started the refund activity for this return."""
    out = subprocess.run(
        [
            str(BIN / "temporal"),
            "workflow",
            "describe",
            "--workflow-id",
            f"return-{return_id}",
            "--address",
            run.settings.temporal_address,
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if out.returncode != 0:
        return False
    pending = json.loads(out.stdout).get("pendingActivities") or []
    return any(
        p.get("activityType", {}).get("name") == "refund_payment" and "STARTED" in str(p.get("state", "")).upper()
        for p in pending
    )


def test_create_while_no_worker_runs_is_accepted_and_completes_later(running: Running):
    run = running
    order_id = new_order(run)
    key = f"idem-{uuid.uuid4().hex}"
    body = {
        "order_id": order_id,
        "items": [{"line_id": "L2", "quantity": 1, "reason": "wrong_item"}],
        "resolution": "refund",
    }
    headers = {**run.merchant(), "Idempotency-Key": key}
    run.stack.kill_worker()
    try:
        r = run.api.post("/v1/returns", json=body, headers=headers)
        assert r.status_code == 202, r.text
        accepted = r.json()
        assert accepted["status"] == "requested" and accepted["label"] is None
        # Readable at once, as it was answered, while no worker has written it yet (a lean return is first written
        # with its label): a merchant that got 202 never reads 404 for its return.
        assert get_return(run, accepted["id"]) == accepted
    finally:
        run.stack.start_worker()
    got = wait_status(run, accepted["id"], "label_created")
    again = run.api.post("/v1/returns", json=body, headers=headers)  # the retry the 202 invites
    assert again.status_code == 201 and again.json()["id"] == accepted["id"]
    assert again.json()["label"] == got["label"]
    assert len(labels_for(run, accepted["id"])) == 1
