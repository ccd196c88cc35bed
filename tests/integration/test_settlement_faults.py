"""Settlement completes, paying exactly once, while the payments service misbehaves."""

from __future__ import annotations

import pytest

from tests.integration.conftest import Running
from tests.integration.test_end_to_end import (
    advance,
    create_return,
    new_order,
    quoted_amount,
    refunds_for,
    wait_status,
)

pytestmark = pytest.mark.integration


def run_to_refund(run: Running, faults: dict) -> tuple[dict, int]:
    order_id = new_order(run)
    due = quoted_amount(run, order_id)
    ret = create_return(run, order_id)
    advance(run, ret["label"]["tracking_code"], "delivered")
    assert (
        run.api.post("/v1/warehouse/receipts", json={"return_id": ret["id"]}, headers=run.warehouse()).status_code
        == 202
    )
    wait_status(run, ret["id"], "received")
    assert run.payments.put("/_sandbox/faults", json=faults).status_code == 200
    try:
        r = run.api.post(
            f"/v1/returns/{ret['id']}/inspection",
            json={"items": [{"line_id": "L1", "grade": "A"}, {"line_id": "L2", "grade": "A"}]},
            headers=run.warehouse(),
        )
        assert r.status_code == 200, r.text
        return wait_status(run, ret["id"], "completed", timeout=150), due
    finally:
        run.payments.delete("/_sandbox/faults")


def test_5xx_and_429_are_retried_until_the_refund_goes_through(running: Running):
    faults = {
        "POST /v1/refunds": {
            "error_rate": 0.5,
            "rate_limit_rate": 0.5,
            "status": 503,
            "max_faults": 3,
            "seed": 7,
            "latency_ms": 300,
        }
    }
    done, due = run_to_refund(running, faults)
    assert done["refund"]["method"] == "refund" and done["refund"]["amount"] == due
    assert [r["amount"] for r in refunds_for(running, done["id"])] == [due]


def test_a_lost_response_is_retried_with_the_same_key_and_pays_once(running: Running):
    # The refund is made, then its answer takes longer than the activity may wait: the retry
    # (same Idempotency-Key) must get the stored refund, not make a second one.
    faults = {"POST /v1/refunds": {"timeout_rate": 1.0, "after_execute": True, "timeout_ms": 35000, "max_faults": 1}}
    done, due = run_to_refund(running, faults)
    assert done["refund"]["method"] == "refund" and done["refund"]["amount"] == due
    assert [r["amount"] for r in refunds_for(running, done["id"])] == [due]
