"""Settlement paths: refunds that are pending first, and refunds that fail after pending."""

from __future__ import annotations

from sqlmodel import select

from db.session import session_scope
from db.tables import PaymentRefund, StoreCreditEntry
from domain.returns import Grade, Resolution
from domain.status import ReturnStatus
from tests.workflows.test_return_workflow import (
    receipt,
    sandbox_refunds,
    submitted,
    timeline,
)
from workflows.messages import InspectedItem, Inspection
from workflows.return_workflow import ReturnWorkflow

ALL_AS_NEW = Inspection(items=[InspectedItem(line_id="L1", grade=Grade.A), InspectedItem(line_id="L2", grade=Grade.A)])


async def settle(h, inp):
    handle, _ = await submitted(h, inp)
    await handle.signal(ReturnWorkflow.warehouse_receipt, receipt())
    await handle.execute_update(ReturnWorkflow.inspect, ALL_AS_NEW)
    return handle, await handle.result()


async def test_a_pending_refund_is_followed_until_it_succeeds(harness):
    h = harness
    inp = h.new_return(payment_method="pm_card_refund_pending")
    _, final = await settle(h, inp)
    assert final.status == ReturnStatus.COMPLETED
    assert final.refund.method == Resolution.REFUND and final.refund.status == "succeeded"
    [refund] = sandbox_refunds(h, inp.return_id)
    assert refund["status"] == "succeeded" and refund["id"] == final.refund.reference
    assert any("following it until it settles" in e.cause for e in timeline(h, inp.return_id))
    with session_scope(h.engine) as s:
        assert s.exec(select(PaymentRefund).where(PaymentRefund.return_id == inp.return_id)).one().status == "succeeded"


async def test_a_refund_that_fails_after_pending_becomes_store_credit_once(harness):
    h = harness
    inp = h.new_return(payment_method="pm_card_refundFail")
    _, final = await settle(h, inp)
    assert final.status == ReturnStatus.COMPLETED
    assert final.refund.method == Resolution.STORE_CREDIT and final.refund.amount.amount == 2 * 2500 + 8999
    assert [r["status"] for r in sandbox_refunds(h, inp.return_id)] == ["failed"]  # no second refund attempt
    with session_scope(h.engine) as s:
        credit = s.exec(select(StoreCreditEntry).where(StoreCreditEntry.return_id == inp.return_id)).all()
    assert [c.amount for c in credit] == [13999]
    assert any("refund failed" in e.cause and "expired_or_canceled_card" in e.cause for e in timeline(h, inp.return_id))
