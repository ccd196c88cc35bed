"""Review of issue #11: `run`'s own pickup booking now holds the label lock, so a `schedule_pickup`
update admitted while that booking is in flight waits for it. Once it has the lock it must see the
pickup now scheduled and refuse, not book (and pay for) a second pickup that orphans the first."""

from __future__ import annotations

import httpx
import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError

from tests.polling import poll_awaitable
from tests.workflows.test_pickup_paths import pickup_status, sandbox_pickups, window
from tests.workflows.test_return_workflow import submitted
from workflows.messages import ErrorType
from workflows.returns import ReturnWorkflow


async def booking_scheduled(handle) -> bool:
    """`run` holds the label lock from before it schedules the booking until the booking answers."""
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            if event.activity_task_scheduled_event_attributes.activity_type.name == "schedule_pickup":
                return True
    return False


async def test_a_pickup_asked_for_while_runs_own_booking_is_in_flight_is_refused(harness):
    h = harness
    faults = f"{h.sandboxes['easypost']}/_sandbox/faults"
    inp = h.new_return().model_copy(update={"pickup": await window(h)})
    # The run's booking (POST /v2/pickups) takes a while, so the update below is admitted before it ends.
    httpx.put(faults, json={"POST /v2/pickups": {"latency_ms": 3000}}).raise_for_status()
    try:
        handle, _ = await submitted(h, inp)  # answered once the label is bought; the booking starts next
        await poll_awaitable(lambda: booking_scheduled(handle), what="run's pickup booking scheduled")
        assert (await handle.query(ReturnWorkflow.view)).label.pickup is None  # still booking
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(ReturnWorkflow.schedule_pickup, await window(h))
        assert refused.value.cause.type == ErrorType.WRONG_STATE
    finally:
        httpx.delete(faults).raise_for_status()
    await poll_awaitable(lambda: pickup_status(handle), lambda s: s == "scheduled", what="pickup booked")
    assert sandbox_pickups(h, inp.return_id, 2) == []  # no second pickup was bought
