"""Attack tests on Patch.LEAN_HISTORY's coalescing: a person is needed as soon as a flag is raised, even when the
wait that saw it is already over (a lean wait writes nothing then) and a slow call to the outside follows."""

from __future__ import annotations

import asyncio

import httpx
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateStage

from domain.facilities_example import example_facilities
from domain.returns import ReturnReason
from domain.status import ReturnStatus as S
from tests.polling import poll_async, poll_awaitable
from tests.workflows.test_carrier_paths import flags
from tests.workflows.test_return_workflow import receipt, scan, submitted
from tests.workflows.test_warehouse_paths import received_at
from workflows import search_attributes as sa
from workflows.messages import CancelRequest, InspectedItem, Inspection
from workflows.returns import ReturnWorkflow


def _first(events, match) -> int:
    return next(n for n, e in enumerate(events) if match(e))


async def test_an_inspection_finding_is_shown_before_the_refund_is_asked_for(harness):
    h = harness
    inp = h.new_return(facilities=example_facilities(), reason=ReturnReason.TOO_SMALL)
    handle, _ = await received_at(h, inp)
    await handle.execute_update(
        ReturnWorkflow.inspect,
        Inspection(items=[InspectedItem(line_id="L1", problem="missing"), InspectedItem(line_id="L2", grade="A")]),
    )
    assert (await handle.result()).status == "completed"
    events = (await handle.fetch_history()).events
    refund = _first(events, lambda e: e.activity_task_scheduled_event_attributes.activity_type.name == "refund_payment")
    flagged = _first(
        events,
        lambda e: (
            e.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
            and "NeedsAttention"
            in e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
        ),
    )
    # The refund may take a day of retries (the payment provider down): ops see the missing item meanwhile.
    assert flagged < refund, (flagged, refund)
    # ... and the attention row is written before it too (the projection's write carries it)
    written = _first(events[flagged:], lambda e: e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED)
    assert flagged + written < refund


async def test_a_scan_after_a_cancel_is_flagged_at_once_while_the_void_is_still_followed(harness):
    """A cancelled return stays open following its voided label's refund (VOID_FOLLOW_UP: up to 30 days); a parcel
    scanned meanwhile needs a person now, not when the carrier settles the void."""
    h = harness
    inp = h.new_return()
    handle, _ = await submitted(h, inp)
    faults = f"{h.sandboxes['easypost']}/_sandbox/faults"
    # Reading a shipment back takes the carrier 8 s for now: the void's follow-up is under way meanwhile.
    httpx.put(faults, json={"GET /v2/shipments/*": {"latency_ms": 8000}}).raise_for_status()
    try:
        cancelled = await handle.execute_update(ReturnWorkflow.cancel, CancelRequest(reason="changed my mind"))
        assert cancelled.status == S.CANCELLED
        await handle.signal(ReturnWorkflow.carrier_event, scan("evt_late_lean", "in_transit"))
        # Seen within seconds (a workflow task and a local activity), long before the carrier answers.
        await poll_awaitable(
            lambda: handle.describe(),
            lambda d: d.typed_search_attributes.get(sa.NEEDS_ATTENTION),
            timeout=5,
            what="NeedsAttention set while the void is followed",
        )
        [flag] = await poll_async(lambda: flags(h, inp.return_id), timeout=2, what="the late scan flagged")
        assert flag.kind == "scanned_after_cancel"
    finally:
        httpx.delete(faults).raise_for_status()
    assert (await asyncio.wait_for(handle.result(), timeout=60)).status == S.CANCELLED


async def test_a_parcel_at_the_dock_after_a_cancel_is_flagged_while_the_label_is_voided(harness):
    """A handler's flag while `run` awaits a slow call (here voiding the cancelled return's label, up to two hours of
    retries): NeedsAttention goes up with the flag, as before Patch.LEAN_HISTORY, not when the call returns."""
    h = harness
    inp = h.new_return()
    handle, _ = await submitted(h, inp)
    faults = f"{h.sandboxes['easypost']}/_sandbox/faults"
    httpx.put(faults, json={"POST /v2/shipments/*/refund": {"latency_ms": 8000}}).raise_for_status()
    try:
        cancel = await handle.start_update(
            ReturnWorkflow.cancel, CancelRequest(reason="changed my mind"), wait_for_stage=WorkflowUpdateStage.ACCEPTED
        )
        await poll_awaitable(lambda: void_scheduled(handle), what="the label's void under way")
        await handle.signal(ReturnWorkflow.warehouse_receipt, receipt())
        await poll_awaitable(
            lambda: handle.describe(),
            lambda d: d.typed_search_attributes.get(sa.NEEDS_ATTENTION),
            timeout=5,
            what="NeedsAttention set while the label is voided",
        )
        assert (await asyncio.wait_for(cancel.result(), timeout=60)).status == S.CANCELLED
    finally:
        httpx.delete(faults).raise_for_status()
    [flag] = await poll_async(lambda: flags(h, inp.return_id), what="the dock scan flagged")
    assert flag.kind == "received_after_cancel"
    assert (await asyncio.wait_for(handle.result(), timeout=60)).status == S.CANCELLED


async def void_scheduled(handle) -> bool:
    history = await handle.fetch_history()
    return any(e.activity_task_scheduled_event_attributes.activity_type.name == "void_label" for e in history.events)
