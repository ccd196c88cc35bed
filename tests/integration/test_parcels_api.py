"""A multi-parcel return over HTTP: each parcel's webhook and dock scan finds the return."""

from __future__ import annotations

import uuid

import pytest

from tests.factories import create_payment, order_body
from tests.integration.conftest import Running, poll
from tests.integration.test_end_to_end import advance
from tests.workflows.test_parcel_paths import BULK

pytestmark = pytest.mark.integration


def test_every_parcel_is_tracked_and_the_return_is_received_with_the_last(running: Running, shop):
    run = running
    pi = create_payment(run.settings.stripe_base_url, amount=25 * 8999, merchant_id=shop["id"])
    order_id = f"o-{uuid.uuid4().hex[:8]}"
    assert (
        run.api.put(f"/v1/orders/{order_id}", json=order_body(pi, lines=BULK), headers=shop["merchant"]).status_code
        == 201
    )
    body = {
        "order_id": order_id,
        "resolution": "refund",
        "items": [{"line_id": "L1", "quantity": 25, "reason": "too_small"}],
    }
    r = run.api.post("/v1/returns", json=body, headers=shop["merchant"])
    assert r.status_code == 201, r.text
    ret = r.json()
    assert len(ret["parcels"]) == 2, ret
    first, second = [p["tracking_code"] for p in ret["parcels"]]

    def read(return_id: str) -> dict:
        return run.api.get(f"/v1/returns/{return_id}", headers=shop["merchant"]).json()

    assert first == ret["label"]["tracking_code"] and second != first

    advance(run, second, "in_transit")  # the second parcel's tracker webhook finds the return
    poll(lambda: read(ret["id"])["status"], lambda s: s == "in_transit", 60, "in transit by parcel 2")
    for code, expected in ((second, "in_transit"), (first, "received")):
        r = run.api.post("/v1/warehouse/receipts", json={"tracking_code": code}, headers=shop["warehouse"])
        assert r.status_code == 202 and r.json()["id"] == ret["id"], r.text
        poll(lambda: read(ret["id"])["status"], lambda s: s == expected, 60, f"{expected} after {code}")
