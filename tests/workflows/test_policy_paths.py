"""Policy-driven paths of the return workflow: review holds, keep-the-item, fees at settlement."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowUpdateFailedError

from domain.policy import Fee, ProductRule, ReturnPolicy, ReviewRules, RuleMatch
from domain.returns import Grade, Resolution, ReturnReason
from domain.status import ReturnStatus
from tests.polling import poll_async
from tests.workflows.test_return_workflow import (
    closed,
    receipt,
    record_history,
    sandbox_refunds,
    sandbox_shipments,
    submitted,
    timeline,
)
from workflows.messages import ErrorType, InspectedItem, Inspection, ReviewDecision
from workflows.returns import ReturnWorkflow


async def test_held_for_review_until_ops_approves(harness):
    h = harness
    inp = h.new_return(policy=ReturnPolicy(review=ReviewRules(order_value_above=10_000)))
    handle, view = await submitted(h, inp)
    assert view.status == ReturnStatus.PENDING_REVIEW and view.label is None
    assert sandbox_shipments(h, inp.return_id) == []  # nothing bought while held
    approved = await handle.execute_update(
        ReturnWorkflow.review, ReviewDecision(decision="approve", note="ok", reviewer="ops-1")
    )
    assert approved.status == ReturnStatus.LABEL_CREATED and approved.label is not None
    # The review is answered when the new label's status is set, just before the flush that writes the approval;
    # only the worker holding the workflow task for that local activity orders the two, not past a slow write: poll.
    causes = await poll_async(
        lambda: [e.cause for e in timeline(h, inp.return_id)],
        lambda found: any("approved by ops-1" in c for c in found),
        what="the approval on the timeline",
    )
    assert any("held for manual review" in c for c in causes) and any("approved by ops-1" in c for c in causes)
    assert any("policy version 1" in c for c in causes)  # the timeline names the policy version
    with pytest.raises(WorkflowUpdateFailedError) as err:  # a second decision has nothing to decide
        await handle.execute_update(ReturnWorkflow.review, ReviewDecision(decision="reject", reviewer="ops-2"))
    assert err.value.cause.type == ErrorType.WRONG_STATE
    assert (await closed(handle)).status == ReturnStatus.COMPLETED
    record_history("review_approved", await handle.fetch_history())


async def test_rejected_in_review_buys_nothing(harness):
    h = harness
    inp = h.new_return(policy=ReturnPolicy(review=ReviewRules(reasons=[ReturnReason.TOO_SMALL])))
    handle, _ = await submitted(h, inp)
    rejected = await handle.execute_update(
        ReturnWorkflow.review, ReviewDecision(decision="reject", note="serial returner", reviewer="ops-1")
    )
    assert rejected.status == ReturnStatus.REJECTED
    assert (await handle.result()).decision_reasons == ["rejected in review: serial returner"]
    assert sandbox_shipments(h, inp.return_id) == [] and sandbox_refunds(h, inp.return_id) == []
    record_history("review_rejected", await handle.fetch_history())


async def test_keep_the_item_refunds_without_a_label(harness):
    h = harness
    inp = h.new_return(policy=ReturnPolicy(keep_item_below=1_000_000))
    handle, view = await submitted(h, inp)
    final = await handle.result()
    assert final.status == ReturnStatus.COMPLETED and final.label is None
    assert sandbox_shipments(h, inp.return_id) == []
    assert [r["amount"] for r in sandbox_refunds(h, inp.return_id)] == [final.refund.amount.amount]
    assert final.refund.amount.amount == 2 * 2500 + 8999
    record_history("kept_item", await handle.fetch_history())


async def test_restocking_fee_comes_off_the_settlement(harness):
    h = harness
    rule = ProductRule(
        id="shoes-fee", match=RuleMatch(categories=["shoes"]), restocking_fee=Fee(kind="percent", percent=10)
    )
    inp = h.new_return(policy=ReturnPolicy(rules=[rule]), reason=ReturnReason.CHANGED_MIND)
    handle, _ = await submitted(h, inp)
    await handle.signal(ReturnWorkflow.warehouse_receipt, receipt())
    result = await handle.execute_update(
        ReturnWorkflow.inspect,
        Inspection(items=[InspectedItem(line_id="L1", grade=Grade.A), InspectedItem(line_id="L2", grade=Grade.A)]),
    )
    fee = 8999 * 10 // 100
    assert result.refund.amount == 5000 + 8999 - fee
    final = await handle.result()
    assert [r["amount"] for r in sandbox_refunds(h, inp.return_id)] == [5000 + 8999 - fee]
    assert final.refund.method == Resolution.REFUND
