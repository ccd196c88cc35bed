"""Settlement paths: pending refunds, refunds failing after pending, instant refunds for trusted tiers."""

from __future__ import annotations

from sqlmodel import select

from db.session import session_scope
from db.tables import PaymentRefund, StoreCreditEntry
from domain.policy import LoyaltyTier, ReturnPolicy
from domain.returns import Grade, Resolution, ReturnReason
from domain.status import ReturnStatus
from tests.polling import poll_async
from tests.workflows.test_return_workflow import (
    closed,
    receipt,
    record_history,
    sandbox_refunds,
    scan,
    submitted,
    timeline,
)
from workflows import search_attributes as sa
from workflows.messages import InspectedItem, Inspection
from workflows.returns import ReturnWorkflow


async def settle(h, inp):
    """Submitted, received, every line inspected as new: the handle and the final view."""
    handle, _ = await submitted(h, inp)
    return handle, await closed(handle)


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


async def test_trusted_tier_is_refunded_at_first_scan_and_owes_what_inspection_takes_off(harness):
    h = harness
    gold = ReturnPolicy(tiers=[LoyaltyTier(name="gold", instant_refund=True)])
    inp = h.new_return(policy=gold, customer_tier="gold", reason=ReturnReason.TOO_SMALL)
    handle, _ = await submitted(h, inp)
    await handle.signal(ReturnWorkflow.carrier_event, scan("evt_scan", "in_transit"))
    # Refunded in full while the parcel is still on its way.
    refunds = await poll_async(
        lambda: sandbox_refunds(h, inp.return_id), lambda r: len(r) == 1, 30, "the instant refund"
    )
    assert refunds[0]["amount"] == 2 * 2500 + 8999
    assert (await handle.query(ReturnWorkflow.view)).status == ReturnStatus.IN_TRANSIT

    await handle.signal(ReturnWorkflow.warehouse_receipt, receipt())
    await handle.execute_update(
        ReturnWorkflow.inspect,
        Inspection(items=[InspectedItem(line_id="L1", grade=Grade.A), InspectedItem(line_id="L2", grade=Grade.C)]),
    )
    final = await handle.result()
    assert final.status == ReturnStatus.COMPLETED and final.refund.amount.amount == 13999
    assert [r["amount"] for r in sandbox_refunds(h, inp.return_id)] == [13999]  # never refunded twice
    owed = 8999 - 8999 * 50 // 100
    assert any(f"owes {owed // 100}.{owed % 100:02d} USD" in e.cause for e in timeline(h, inp.return_id))
    described = await handle.describe()
    assert described.typed_search_attributes.get(sa.NEEDS_ATTENTION) is True
    record_history("instant_refund", await handle.fetch_history())
