"""Trouble is seen while it happens: a side effect that keeps failing, a workflow task that keeps
failing, a transition the rules do not allow. Time-skipping server, real activities and sandboxes."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from sqlmodel import select
from temporalio import activity, workflow
from temporalio.common import RetryPolicy
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from db.session import session_scope
from db.tables import AttentionItem, EventDelivery, ReturnRecord, TimelineRecord, WebhookEndpoint
from domain.status import ReturnStatus
from tests.conftest import BIN, free_port
from tests.factories import new_merchant
from tests.polling import poll_async
from tests.workflows.test_carrier_paths import flags
from tests.workflows.test_message_races import task_failures
from tests.workflows.test_return_workflow import (
    closed,
    record_history,
    submitted,
    timeline,
)
from tests.workflows.test_settlement_paths import settle
from workers.trouble import SideEffectWatch, WorkflowTaskWatch
from workflows.ids import return_workflow_id


async def test_a_label_purchase_that_keeps_failing_is_flagged_while_it_retries(harness):
    h = harness
    inp = h.new_return()
    # The carrier answers 502 to the first four purchases; Temporal retries; the fifth buys.
    spec = {"POST /v2/shipments/*/buy": {"error_rate": 1.0, "status": 502, "max_faults": 4}}
    assert httpx.put(f"{h.sandboxes['easypost']}/_sandbox/faults", json=spec).status_code == 200
    try:
        submitting = asyncio.ensure_future(submitted(h, inp))
        # Flagged at the third attempt, while the purchase is still being retried.
        [flag] = await poll_async(
            lambda: flags(h, inp.return_id),
            what="the failing purchase flagged",
            timeout=60,
        )
        assert flag.kind == "side_effect_failing" and "buy_return_label keeps failing (attempt 3)" in flag.reason
        assert not submitting.done()
        handle, view = await asyncio.wait_for(submitting, timeout=90)
    finally:
        httpx.delete(f"{h.sandboxes['easypost']}/_sandbox/faults")
    assert view.status == ReturnStatus.LABEL_CREATED
    causes = await poll_async(
        lambda: [e.cause for e in timeline(h, inp.return_id)],
        lambda c: any("buy_return_label succeeded at attempt 5" in x for x in c),
        what="the recovery noted",
    )
    assert any("keeps failing" in c for c in causes)
    assert await task_failures(handle) == []
    assert (await closed(handle)).status == ReturnStatus.COMPLETED
    record_history("side_effect_flagged", await handle.fetch_history())


@workflow.defn(name="BrokenForTest", sandboxed=False)
class BrokenWorkflow:
    """A workflow whose every task fails, as a bug would make a return's."""

    @workflow.run
    async def run(self) -> None:
        raise RuntimeError("a bug in the workflow")


async def test_a_failing_workflow_task_puts_the_return_on_the_attention_list(harness):
    h = harness
    merchant_id, _, _ = new_merchant(h.engine)
    return_id = f"ret_{uuid.uuid4().hex[:24]}"
    now = datetime.now(UTC)
    with session_scope(h.engine) as s:
        s.add(
            ReturnRecord(
                id=return_id,
                merchant_id=merchant_id,
                order_id="o-1",
                status="label_created",
                resolution="refund",
                items=[],
                request_fingerprint="x",
                created_at=now,
                updated_at=now,
            )
        )
    watch = WorkflowTaskWatch(h.engine).install()
    queue = f"broken-{uuid.uuid4().hex[:8]}"
    # A server of its own: a workflow whose tasks keep failing stops the shared test server skipping time.
    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=str(BIN / "temporal-test-server"))
    try:
        async with Worker(env.client, task_queue=queue, workflows=[BrokenWorkflow]):
            await env.client.start_workflow("BrokenForTest", id=return_workflow_id(return_id), task_queue=queue)

            def listed():
                watch.flag_seen()
                with session_scope(h.engine) as s:
                    return s.exec(select(AttentionItem).where(AttentionItem.return_id == return_id)).all()

            [item] = await poll_async(listed, what="the return on the attention list")
            await env.client.get_workflow_handle(return_workflow_id(return_id)).terminate("test over")
    finally:
        watch.uninstall()
        await env.shutdown()
    assert item.kind == "workflow_task_failed" and "a bug in the workflow" in item.reason
    assert watch.flag_seen() == 0  # once per return, however often the task fails again
    with session_scope(h.engine) as s:
        assert s.exec(select(TimelineRecord).where(TimelineRecord.return_id == return_id)).all() == []


async def test_a_merchant_endpoint_that_is_down_costs_the_return_nothing(harness):
    # Since Patch.NOTIFICATION_OUTBOX the return no longer delivers (nor flags a failing delivery): its events wait
    # in the outbox for the webhook sender's retries (tests/activities). The histories of the old way,
    # merchant_webhook and merchant_webhook_delivery, stay in tests/replay.
    h = harness
    inp = h.new_return()
    with session_scope(h.engine) as s:  # the merchant's endpoint is down
        s.add(
            WebhookEndpoint(
                id=f"we_{uuid.uuid4().hex[:12]}",
                merchant_id=inp.merchant_id,
                url=f"http://127.0.0.1:{free_port()}/hooks",
                secret="whsec_test",
            )
        )
    handle, final = await settle(h, inp)
    assert final.status == ReturnStatus.COMPLETED
    assert [f for f in flags(h, inp.return_id) if f.kind == "side_effect_failing"] == []
    assert not [e for e in timeline(h, inp.return_id) if e.event == "merchant_webhook"]
    with session_scope(h.engine) as s:
        waiting = s.exec(select(EventDelivery).where(EventDelivery.return_id == inp.return_id)).all()
    assert f"evt_{inp.return_id}_refund_succeeded" in {d.event_id for d in waiting}
    assert not [d for d in waiting if d.status == "delivered"]


@dataclass
class _StepFor:
    return_id: str
    merchant_id: str


@activity.defn(name="broken_database_step_for_test")
def _broken_database_step(step: _StepFor) -> None:
    raise RuntimeError("database is locked")


@workflow.defn(name="LocalStepForTest", sandboxed=False)
class _LocalStepWorkflow:
    """Runs a database step as a lean return does: a local activity (workflows.activity_options.database_step)."""

    @workflow.run
    async def run(self, step: _StepFor) -> None:
        await workflow.execute_local_activity(
            _broken_database_step,
            step,
            start_to_close_timeout=timedelta(seconds=5),
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=100), maximum_attempts=4),
        )


async def test_a_local_database_step_that_keeps_failing_is_flagged_too(harness):
    # Since Patch.LEAN_HISTORY a return's database steps are local activities: their failures must reach ops as
    # any other side effect's do. This return has closed, so the watch writes the flag itself.
    h = harness
    inp = h.new_return()
    await settle(h, inp)
    queue = f"local-steps-{uuid.uuid4().hex}"
    # A test server of its own: a local activity retried on the shared one kept it from skipping time afterwards,
    # and every later test waiting on a deadline (an inspection SLA, a transfer) timed out.
    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=str(BIN / "temporal-test-server"))
    try:
        watch = SideEffectWatch(env.client, h.engine, after_attempts=3)
        with ThreadPoolExecutor(max_workers=2) as executor:
            async with Worker(
                env.client,
                task_queue=queue,
                workflows=[_LocalStepWorkflow],
                activities=[_broken_database_step],
                activity_executor=executor,
                interceptors=[watch],
            ):
                handle = await env.client.start_workflow(
                    _LocalStepWorkflow.run, _StepFor(inp.return_id, inp.merchant_id), id=queue, task_queue=queue
                )
                [flag] = await poll_async(
                    lambda: [f for f in flags(h, inp.return_id) if f.kind == "side_effect_failing"],
                    what="the failing local step flagged",
                    timeout=60,
                )
                await handle.terminate()
    finally:
        await env.shutdown()
    assert "broken_database_step_for_test keeps failing (attempt 3)" in flag.reason
