"""Since Patch.LEAN_HISTORY a return costs fewer Temporal Cloud actions and history events (bench/actions.py
counts them), and since Patch.LABEL_MAIL_OUTBOX its label email is the outbox's. The happy refund and the
standard exchange, submitted as the API does, are kept for tests/replay (`label_mail_outbox_refund`,
`label_mail_outbox_exchange`; `lean_refund`, `lean_exchange` before the label mail moved);
tests/bench/test_actions.py guards the recorded cost."""

from __future__ import annotations

from sqlmodel import select
from temporalio.api.enums.v1 import EventType
from temporalio.client import WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy

from bench.actions import cost_of, count_actions
from db.session import session_scope
from db.tables import ShopperEmail
from tests.workflows.test_everyone_hears import drain_for, drained
from tests.workflows.test_exchange_paths import exchange_return, inspected_as_new
from tests.workflows.test_outbox_patch import patches
from tests.workflows.test_return_workflow import closed, db_row, record_history, scan, timeline
from workflows.ids import TASK_QUEUE, return_workflow_id
from workflows.messages import SubmitReturn
from workflows.returns import ReturnWorkflow
from workflows.returns.patches import Patch
from workflows.search_attributes import at_start


async def submitted_as_the_api_does(h, inp):
    """Started and submitted in one call (update-with-start, as api/returns_gateway.py does): the submit rides
    on the start's first workflow task. Returns the handle and the submit's answer."""
    start = WithStartWorkflowOperation(
        ReturnWorkflow.run,
        inp,
        id=return_workflow_id(inp.return_id),
        task_queue=TASK_QUEUE,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        search_attributes=at_start(inp.merchant_id, inp.context.order.order_id),
    )
    view = await h.client.execute_update_with_start_workflow(
        ReturnWorkflow.submit,
        SubmitReturn(request_fingerprint=inp.request_fingerprint),
        start_workflow_operation=start,
    )
    return await start.workflow_handle(), view


def label_mail(h, return_id: str) -> list[tuple[str, str | None]]:
    """The return's label emails in the outbox: (status, the label's tracking code)."""
    with session_scope(h.engine) as s:
        rows = s.exec(
            select(ShopperEmail).where(ShopperEmail.return_id == return_id, ShopperEmail.kind == "label_ready")
        )
        return [(r.status, r.about) for r in rows]


def activities_run(history) -> set[str]:
    return {
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    }


async def test_a_happy_refund_costs_at_most_15_actions_and_writes_every_step(harness):
    h = harness
    inp = h.new_return()
    handle, view = await submitted_as_the_api_does(h, inp)
    assert view.status == "label_created" and view.label.tracking_code
    # The label email was kept with the label's projection write: the outbox sends it, not the workflow.
    assert label_mail(h, inp.return_id) == [("pending", view.label.tracking_code)]
    await drained(drain_for(h))
    assert label_mail(h, inp.return_id) == [("sent", view.label.tracking_code)]
    await handle.signal(ReturnWorkflow.carrier_event, scan("evt_lean_1", "in_transit"))
    final = await closed(handle)
    assert final.status == "completed" and final.refund.amount.amount > 0

    history = await handle.fetch_history()
    # The one patch asked; none of the older ones costs a marker any more.
    assert patches(history) == {Patch.LABEL_MAIL_OUTBOX.value}
    assert "send_label_email" not in activities_run(history)
    cost = cost_of(history.events)
    assert cost.path == "refund"
    assert cost.total <= 14, cost.actions
    # 82 when the issue measured it, 71 before Patch.LEAN_HISTORY, 47 with it (the label email an activity);
    # 41 here, or a few more as activity results happen to arrive in one workflow task or two.
    assert cost.events <= 44, cost.events
    # Lean, yet the projection holds every step and the search attributes the final state.
    assert db_row(h, inp.return_id).status == "completed"
    statuses = [e.status for e in timeline(h, inp.return_id)]
    for status in ("requested", "label_created", "in_transit", "received", "inspected", "settling", "completed"):
        assert status in statuses
    attrs = (await handle.describe()).typed_search_attributes
    assert {p.key.name: p.value for p in attrs}.items() >= {
        "ReturnStatus": "completed",
        "MerchantId": inp.merchant_id,
        "OrderId": inp.context.order.order_id,
        "TrackingCode": view.label.tracking_code,
    }.items()
    record_history("label_mail_outbox_refund", history)


async def test_a_standard_exchange_costs_at_most_20_actions(harness):
    h = harness
    inp = exchange_return(h, "SHOE-43")
    handle, _ = await submitted_as_the_api_does(h, inp)
    await inspected_as_new(h, handle)
    final = await handle.result()
    assert final.status == "completed"
    assert [r.status for r in final.exchange.replacements] == ["shipped", "shipped"]

    [cost] = await count_actions(h.client, [handle.id])  # as bench/e2e.py reads the returns it drove
    assert cost.workflow_id == handle.id and cost.path == "exchange"
    assert cost.total <= 19, cost.actions
    assert cost.events <= 66, cost.events  # 113 before Patch.LEAN_HISTORY, 71 with it; about 63 here
    assert "send_label_email" not in activities_run(await handle.fetch_history())
    record_history("label_mail_outbox_exchange", await handle.fetch_history())
