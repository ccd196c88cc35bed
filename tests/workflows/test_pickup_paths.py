"""Carrier pickups: booked with the return or later, cancelled, called off by the carrier, missed.
Time-skipping environment with the real EasyPost sandbox."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from temporalio.client import WorkflowUpdateFailedError

from domain.status import ReturnStatus
from tests.polling import poll_async, poll_awaitable
from tests.workflows.test_return_workflow import (
    closed,
    record_history,
    scan,
    submitted,
    timeline,
)
from workflows.messages import CancelPickup, ErrorType, PickupWindow
from workflows.returns import ReturnWorkflow


async def window(h, starts_in: timedelta = timedelta(days=1)) -> PickupWindow:
    now = await h.env.get_current_time()
    return PickupWindow(
        min_datetime=now + starts_in, max_datetime=now + starts_in + timedelta(hours=4), instructions="at the door"
    )


def sandbox_pickups(h, return_id: str, n: int = 1) -> list[dict]:
    r = httpx.get(f"{h.sandboxes['easypost']}/_sandbox/pickups", params={"reference": f"pickup-{return_id}-{n}"})
    r.raise_for_status()
    return r.json()


async def pickup_status(handle) -> str | None:
    pickup = (await handle.query(ReturnWorkflow.view)).label.pickup
    return pickup.status if pickup else None


async def test_a_pickup_booked_with_the_return_is_marked_collected_at_the_first_scan(harness):
    h = harness
    inp = h.new_return().model_copy(update={"pickup": await window(h)})
    handle, view = await submitted(h, inp)
    await poll_awaitable(lambda: pickup_status(handle), lambda s: s == "scheduled", what="pickup booked")
    pickup = (await handle.query(ReturnWorkflow.view)).label.pickup
    [booked] = sandbox_pickups(h, inp.return_id)
    assert booked["status"] == "scheduled" and booked["confirmation"] == pickup.confirmation
    assert pickup.cost.amount == min(int(float(r["rate"]) * 100) for r in booked["pickup_rates"])  # the cheapest
    await handle.signal(ReturnWorkflow.carrier_event, scan("evt_1", "in_transit"))
    await poll_awaitable(lambda: pickup_status(handle), lambda s: s == "picked_up", what="collected")
    assert (await closed(handle)).status == ReturnStatus.COMPLETED
    record_history("pickup_booked", await handle.fetch_history())


async def test_a_pickup_can_be_cancelled_once_and_a_new_one_booked(harness):
    h = harness
    inp = h.new_return()
    handle, _ = await submitted(h, inp)
    booked = await handle.execute_update(ReturnWorkflow.schedule_pickup, await window(h))
    assert booked.label.pickup.status == "scheduled"
    with pytest.raises(WorkflowUpdateFailedError) as again:
        await handle.execute_update(ReturnWorkflow.schedule_pickup, await window(h))
    assert again.value.cause.type == ErrorType.WRONG_STATE
    cancelled = await handle.execute_update(
        ReturnWorkflow.cancel_pickup, CancelPickup(reason="shopper will drop it off")
    )
    assert cancelled.label.pickup.status == "cancelled"
    assert sandbox_pickups(h, inp.return_id)[0]["status"] == "canceled"
    with pytest.raises(WorkflowUpdateFailedError) as twice:
        await handle.execute_update(ReturnWorkflow.cancel_pickup, CancelPickup())
    assert twice.value.cause.type == ErrorType.WRONG_STATE
    rebooked = await handle.execute_update(ReturnWorkflow.schedule_pickup, await window(h, timedelta(days=2)))
    assert (
        rebooked.label.pickup.status == "scheduled" and sandbox_pickups(h, inp.return_id, 2)[0]["status"] == "scheduled"
    )
    past = await window(h, -timedelta(days=1))
    await handle.execute_update(ReturnWorkflow.cancel_pickup, CancelPickup())
    with pytest.raises(WorkflowUpdateFailedError) as stale:
        await handle.execute_update(ReturnWorkflow.schedule_pickup, past)
    assert stale.value.cause.type == ErrorType.INVALID_PICKUP


async def test_a_pickup_the_carrier_calls_off_offers_the_drop_off_instead(harness):
    h = harness
    inp = h.new_return()
    handle, _ = await submitted(h, inp)
    booked = await handle.execute_update(ReturnWorkflow.schedule_pickup, await window(h))
    r = httpx.post(f"{h.sandboxes['easypost']}/_sandbox/pickups/{booked.label.pickup.pickup_id}/carrier_cancel")
    assert r.status_code == 200, r.text
    await h.env.sleep(timedelta(days=1, minutes=5))  # the window opens: the workflow checks the pickup
    await poll_awaitable(
        lambda: pickup_status(handle), lambda s: s == "cancelled_by_carrier", what="carrier cancel noticed"
    )
    # The query sees the new status at once; its timeline line is written when the workflow next flushes.
    await poll_async(
        lambda: [e.cause for e in timeline(h, inp.return_id) if e.event == "pickup"],
        lambda notes: any("carrier cancelled" in n and "drop the parcel off" in n for n in notes),
        what="the drop-off offered on the timeline",
    )


async def test_a_pickup_that_never_comes_is_missed_and_the_drop_off_offered(harness):
    h = harness
    inp = h.new_return()
    handle, _ = await submitted(h, inp)
    await handle.execute_update(ReturnWorkflow.schedule_pickup, await window(h))
    await h.env.sleep(timedelta(days=1, hours=7))  # past the window and the grace
    await poll_awaitable(lambda: pickup_status(handle), lambda s: s == "missed", what="missed pickup")
    await handle.signal(ReturnWorkflow.carrier_event, scan("evt_1", "in_transit"))  # dropped off after all
    assert (await closed(handle)).status == ReturnStatus.COMPLETED
    record_history("pickup_missed", await handle.fetch_history())
