"""Every timer a return starts carries a name, so the Temporal UI says what it waits for."""

from __future__ import annotations

from datetime import timedelta

from temporalio.api.enums.v1 import EventType
from temporalio.contrib.pydantic import pydantic_data_converter

from domain.status import ReturnStatus
from tests.workflows.test_pickup_paths import window
from tests.workflows.test_return_workflow import submitted


async def timer_names(handle) -> list[str]:
    names = []
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_TIMER_STARTED:
            summary = event.user_metadata.summary
            names.append(pydantic_data_converter.payload_converter.from_payload(summary, str) if summary.data else "")
    return names


async def test_label_expiry_and_pickup_timers_are_named(harness):
    h = harness
    inp = h.new_return().model_copy(update={"pickup": await window(h)})
    handle, _ = await submitted(h, inp)
    await h.env.sleep(timedelta(days=31))
    assert (await handle.result()).status == ReturnStatus.EXPIRED
    names = await timer_names(handle)
    assert "label expiry" in names
    assert {"pickup window opens", "pickup window closed"} <= set(names)
    assert "" not in names, names
