"""Attack: a cancel the workflow accepted does not stop a keep-the-item return from paying.

`cancel` is accepted while the return is `requested` (its validator: REQUESTED is cancellable), and
the update answers without error. But the keep-the-item path (`quote.keep_items`) never looks at
`self._cancel`: it moves to `settling`, refunds, and completes. The accepted cancel then answers with
a completed, refunded return. Through the API the window is the first projection write and, for an
exchange, the whole stock reservation activity (the row reads `requested`, the cancel route lets it
through). Here the cancel is delivered with the start, so the race is won every time.
"""

from __future__ import annotations

from temporalio.client import (
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
    WorkflowUpdateStage,
)
from temporalio.common import WorkflowIDConflictPolicy

from domain.label_estimate import label_cost_estimate
from domain.policy import Fee, ReturnPolicy
from domain.status import ReturnStatus
from tests.workflows.test_keep_below_label_cost import SOCKS
from tests.workflows.test_return_workflow import sandbox_refunds
from workflows.ids import TASK_QUEUE, return_workflow_id
from workflows.messages import CancelRequest
from workflows.returns import ReturnWorkflow


async def test_an_accepted_cancel_stops_a_keep_the_item_refund(harness):
    h = harness
    policy = ReturnPolicy(
        keep_item_below_label_cost=True,
        return_shipping_fee=Fee(kind="flat", amount=595),
        currency="USD",
    )
    inp = h.new_return(policy=policy, lines=SOCKS)
    estimate = label_cost_estimate(policy, "US", "USD", [])
    inp = inp.model_copy(
        update={
            "context": inp.context.model_copy(update={"label_cost_estimate": estimate, "strict_flat_amounts": True})
        }
    )
    start = WithStartWorkflowOperation(
        ReturnWorkflow.run,
        inp,
        id=return_workflow_id(inp.return_id),
        task_queue=TASK_QUEUE,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
    )
    try:
        update = await h.client.start_update_with_start_workflow(
            ReturnWorkflow.cancel,
            CancelRequest(reason="fraud suspected"),
            start_workflow_operation=start,
            wait_for_stage=WorkflowUpdateStage.ACCEPTED,
        )
    except WorkflowUpdateFailedError:
        return  # refused: then nothing was promised
    answered = await update.result()  # the cancel was accepted ...
    final = await (await start.workflow_handle()).result()
    # ... so the return is cancelled and nothing was paid, or it answers the truth.
    assert answered.status == ReturnStatus.CANCELLED and final.status == ReturnStatus.CANCELLED, (
        answered.status,
        final.status,
    )
    assert sandbox_refunds(h, inp.return_id) == []
