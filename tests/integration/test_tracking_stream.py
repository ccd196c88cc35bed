"""Carrier webhooks over HTTP as EasyPost sends them: out of order, duplicated, and off the happy path."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.integration.conftest import Running, poll
from tests.integration.test_bad_input import sign
from tests.integration.test_end_to_end import create_return, get_return, new_order

pytestmark = pytest.mark.integration


def tracker_event(ret: dict, status: str, event_id: str | None = None) -> dict:
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex}",
        "object": "Event",
        "description": "tracker.updated",
        "result": {
            "id": ret["label"].get("tracker_id") or "trk_x",
            "object": "Tracker",
            "tracking_code": ret["label"]["tracking_code"],
            "status": status,
            "tracking_details": [],
        },
    }


def deliver(run: Running, event: dict) -> dict:
    body = json.dumps(event).encode()
    secret = run.settings.easypost_webhook_secret.get_secret_value()
    r = run.api.post("/v1/webhooks/easypost", content=body, headers={"X-Hmac-Signature": sign(body, secret)})
    assert r.status_code == 200, r.text
    return r.json()


def timeline(run: Running, return_id: str) -> list[dict]:
    return run.api.get(f"/v1/returns/{return_id}/timeline", headers=run.merchant()).json()["data"]


def test_an_out_of_order_and_duplicated_stream_never_moves_a_return_back(running: Running):
    run = running
    ret = create_return(run, new_order(run))
    delivered = tracker_event(ret, "delivered")
    late = [tracker_event(ret, "in_transit"), tracker_event(ret, "pre_transit")]
    deliver(run, delivered)
    poll(lambda: get_return(run, ret["id"])["status"], lambda s: s == "delivered", 60, "delivered")
    for event in (late[0], delivered, late[1]):
        deliver(run, event)  # the late in_transit and pre_transit, and the repeat, change nothing
    # The late scans cannot move a delivered return, so its workflow is not even told (a signal is a billed action);
    # the tracking keeps every distinct event, and says which ones were signalled.
    tracking = run.api.get(f"/v1/returns/{ret['id']}/tracking", headers=run.merchant()).json()["data"]
    updates = [(t["status"], t["signalled"]) for t in tracking if t["description"] == "tracker.updated"]
    assert updates == [("delivered", True), ("in_transit", False), ("pre_transit", False)]  # each event once
    entries = timeline(run, ret["id"])
    first_delivered = next(i for i, e in enumerate(entries) if e["status"] == "delivered")
    assert all(e["status"] == "delivered" for e in entries[first_delivered:])  # never back to in_transit
    assert "in_transit" not in [e["status"] for e in entries]
    assert get_return(run, ret["id"])["status"] == "delivered"


def test_return_to_sender_goes_to_ops(running: Running):
    run = running
    ret = create_return(run, new_order(run))
    deliver(run, tracker_event(ret, "in_transit"))
    poll(lambda: get_return(run, ret["id"])["status"], lambda s: s == "in_transit", 60, "in transit")
    deliver(run, tracker_event(ret, "return_to_sender"))
    ops = {"Authorization": f"Bearer {run.settings.demo_ops_key.get_secret_value()}"}
    flags = poll(
        lambda: [a for a in run.api.get("/v1/attention", headers=ops).json()["data"] if a["return_id"] == ret["id"]],
        bool,
        60,
        "ops told",
    )
    assert flags[0]["kind"] == "carrier_exception" and "back to the shopper" in flags[0]["reason"]
    assert get_return(run, ret["id"])["status"] == "in_transit"
