"""Every interleaving of messages ends well: no workflow task ever fails, every update answers,
and the return ends in a final state `domain/status.py` allows.

Time-skipping server, real activities and sandboxes; hypothesis picks the messages, their order,
duplicates, and the time that passes between them.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from temporalio.api.enums.v1 import EventType, WorkflowTaskFailedCause
from temporalio.client import (
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateStage,
)
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Replayer

from domain.policy import ReturnPolicy, ReviewRules
from domain.returns import Grade
from domain.status import ALLOWED_TRANSITIONS, FINAL_STATUSES, ReturnStatus
from tests.polling import poll_async
from tests.workflows.test_carrier_paths import flags
from tests.workflows.test_return_workflow import (
    db_row,
    receipt,
    record_history,
    scan,
    submitted,
    timeline,
)
from workflows.messages import (
    CancelPickup,
    CancelRequest,
    ErrorType,
    InspectedItem,
    Inspection,
    PickupWindow,
    ReviewDecision,
)
from workflows.returns import ReturnWorkflow

S = ReturnStatus
# Every EasyPost tracker status (WIRE.md), including the ones off the normal path.
TRACKING = (
    "unknown",
    "pre_transit",
    "in_transit",
    "out_for_delivery",
    "delivered",
    "available_for_pickup",
    "return_to_sender",
    "failure",
    "cancelled",
    "error",
)
# What a validator may answer: a refusal the API turns into a 4xx.
REFUSALS = {
    ErrorType.WRONG_STATE,
    ErrorType.ALREADY_INSPECTED,
    ErrorType.UNKNOWN_LINE,
    ErrorType.INVALID_PICKUP,
    ErrorType.PICKUP_REFUSED,
    ErrorType.INVALID_INSPECTION,
}


async def task_failures(handle: WorkflowHandle) -> list[str]:
    """Workflow tasks that failed, less the server's routine "new messages arrived while you were
    completing, look again" (UNHANDLED_COMMAND), which is Temporal working as designed."""
    failed = []
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
            attrs = event.workflow_task_failed_event_attributes
            if attrs.cause != WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND:
                failed.append(f"{WorkflowTaskFailedCause.Name(attrs.cause)}: {attrs.failure.message}")
    return failed


def refused_or_answered(task: asyncio.Task) -> str:
    """An update's outcome: 'answered', 'closed', or the refusal's type; anything else fails the test."""
    err = task.exception()
    if err is None:
        return "answered"
    if isinstance(err, RPCError) and err.status == RPCStatusCode.NOT_FOUND:
        return "closed"  # sent as the return ended: the API answers 409 "can no longer change"
    assert isinstance(err, WorkflowUpdateFailedError), repr(err)
    assert isinstance(err.cause, ApplicationError) and err.cause.type in REFUSALS, repr(err.cause)
    return err.cause.type


# The tests read the return as the API does, from the projection: a query would replay the workflow in the
# Java test server, whose legacy-query replays of update-heavy histories are not faithful (seen: a spurious
# nondeterminism on a query while the real history replays cleanly, which `replays_cleanly` checks).
def projected(h, return_id: str):
    return db_row(h, return_id)


async def inspect_rest(h, handle: WorkflowHandle) -> None:
    row = await asyncio.to_thread(projected, h, handle.id.removeprefix("return-"))
    todo = [
        InspectedItem(line_id=i["line_id"], grade=Grade.A)
        for i in row.items
        if i.get("grade") is None and not i.get("stage")
    ]
    if todo:
        try:
            await handle.execute_update(ReturnWorkflow.inspect, Inspection(items=todo))
        except WorkflowUpdateFailedError:
            pass  # raced with an inspection of the same lines


async def leave_nothing_behind(handle: WorkflowHandle, updates: list[asyncio.Task]) -> None:
    for task in updates:
        task.cancel()
    try:
        await handle.terminate("test example over")
    except RPCError:
        pass  # already closed


async def replays_cleanly(handle: WorkflowHandle) -> None:
    """The whole history replays on today's code: the workflow was deterministic under these races."""
    history = await handle.fetch_history()
    await Replayer(workflows=[ReturnWorkflow], data_converter=pydantic_data_converter).replay_workflow(history)


async def skip(h, span: timedelta) -> None:
    try:
        await h.env.sleep(span)
    except RPCError:
        pass  # the test server may give up skipping while activities run; some time passed


async def moved_on(h, handle: WorkflowHandle, before: S) -> None:
    """Give the worker a bounded moment to take the step just asked for."""
    return_id = handle.id.removeprefix("return-")
    try:
        await poll_async(lambda: projected(h, return_id), lambda r: r.status != before.value, timeout=10, what="a step")
    except AssertionError:
        pass  # nothing to move (say, a relabel under way): the next round looks again


async def drive_to_the_end(h, handle: WorkflowHandle):
    """Whatever state the messages left the return in, the ordinary next step for it, until it ends."""
    return_id = handle.id.removeprefix("return-")
    for _ in range(12):
        status = S((await asyncio.to_thread(projected, h, return_id)).status)
        if status.is_final:
            break
        if status == S.PENDING_REVIEW:
            try:
                await handle.execute_update(ReturnWorkflow.review, ReviewDecision(decision="approve", reviewer="ops"))
            except WorkflowUpdateFailedError:
                pass
        elif status == S.LABEL_CREATED:
            await skip(h, timedelta(days=40))  # the label expires (or a cancel under way finishes)
        elif status in (S.IN_TRANSIT, S.DELIVERED):
            await send(h, handle, ("receipt", 99), [])
        elif status == S.RECEIVED:
            await inspect_rest(h, handle)
        else:
            await skip(h, timedelta(minutes=5))
        await moved_on(h, handle, status)
    return await asyncio.wait_for(handle.result(), timeout=120)


actions = st.one_of(
    st.tuples(st.just("scan"), st.sampled_from(TRACKING), st.integers(0, 4)),
    st.tuples(st.just("cancel")),
    st.tuples(st.just("pickup")),
    st.tuples(st.just("cancel_pickup")),
    st.tuples(st.just("receipt"), st.integers(1, 2)),
    st.tuples(st.just("review"), st.sampled_from(["approve", "reject"])),
    st.tuples(st.just("inspect"), st.sampled_from(list(Grade))),
    st.tuples(st.just("wait"), st.sampled_from([0, 1, 30, 24 * 8, 24 * 31])),
)


async def send(h, handle: WorkflowHandle, action: tuple, updates: list[asyncio.Task]) -> None:
    try:
        await _send(h, handle, action, updates)
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            raise  # else the return has ended: the API answers such a message 409 (a carrier's, 200)


async def _send(h, handle: WorkflowHandle, action: tuple, updates: list[asyncio.Task]) -> None:
    kind, *args = action
    if kind == "scan":
        status, n = args
        await handle.signal(ReturnWorkflow.carrier_event, scan(f"evt_{status}_{n}", status))
    elif kind == "receipt":
        await handle.signal(ReturnWorkflow.warehouse_receipt, receipt(args[0]))
    elif kind == "wait":
        await skip(h, timedelta(hours=args[0]) or timedelta(seconds=1))
    else:
        if kind == "cancel":
            call = handle.execute_update(ReturnWorkflow.cancel, CancelRequest(reason="changed my mind"))
        elif kind == "pickup":
            now = await h.env.get_current_time()
            window = PickupWindow(min_datetime=now + timedelta(days=1), max_datetime=now + timedelta(days=1, hours=4))
            call = handle.execute_update(ReturnWorkflow.schedule_pickup, window)
        elif kind == "cancel_pickup":
            call = handle.execute_update(ReturnWorkflow.cancel_pickup, CancelPickup(reason="not home"))
        elif kind == "review":
            call = handle.execute_update(ReturnWorkflow.review, ReviewDecision(decision=args[0], reviewer="ops"))
        else:
            row = await asyncio.to_thread(projected, h, handle.id.removeprefix("return-"))
            items = [InspectedItem(line_id=i["line_id"], grade=args[0]) for i in row.items]
            call = handle.execute_update(ReturnWorkflow.inspect, Inspection(items=items))
        task = asyncio.ensure_future(call)  # not awaited: the next message races it
        task.is_cancel = kind == "cancel"
        updates.append(task)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(messages=st.lists(actions, min_size=1, max_size=8), held_for_review=st.booleans(), slow_carrier=st.booleans())
async def test_any_interleaving_of_messages_ends_well(harness, messages, held_for_review, slow_carrier):
    h = harness
    policy = ReturnPolicy(review=ReviewRules(order_value_above=1)) if held_for_review else None
    inp = h.new_return(policy=policy)
    note(f"{held_for_review=} {slow_carrier=} {messages=}")
    # Messages start once the API would have answered the create (label bought, or held for review).
    # Sent earlier, an update can meet a Java time-skipping-server bug ("StartWorkflowExecutionRequest
    # missing method getNamespace") that the real server does not have.
    handle, _ = await submitted(h, inp)
    updates: list[asyncio.Task] = []
    if slow_carrier:  # voids and pickups take a while: messages land while they are under way
        slow = {"POST /v2/shipments/*/refund": {"latency_ms": 400}, "POST /v2/pickups*": {"latency_ms": 400}}
        assert httpx.put(f"{h.sandboxes['easypost']}/_sandbox/faults", json=slow).status_code == 200
    try:
        for action in messages:
            await send(h, handle, action, updates)
        final = await drive_to_the_end(h, handle)
    except BaseException:
        await leave_nothing_behind(handle, updates)  # the next example and test start from a quiet server
        raise
    finally:
        httpx.delete(f"{h.sandboxes['easypost']}/_sandbox/faults")

    assert await task_failures(handle) == []
    done, pending = await asyncio.wait(updates, timeout=60) if updates else (set(), set())
    assert not pending, "an update never answered"
    for task in done:
        if refused_or_answered(task) == "answered" and task.is_cancel:
            assert task.result().status == S.CANCELLED  # a cancel accepted before the first scan wins
    assert final.status in FINAL_STATUSES
    assert (
        await poll_async(
            lambda: db_row(h, inp.return_id),
            lambda r: r.status == final.status.value,
            what="the projection shows the end",
        )
    ).status == final.status.value
    # Every status the return passed through followed the rules (none forced, none flagged as unexpected).
    path = [S(e.status) for e in timeline(h, inp.return_id)]
    moves = [(a, b) for a, b in zip(path, path[1:]) if a != b]
    assert all(b in ALLOWED_TRANSITIONS[a] for a, b in moves), moves
    assert "unexpected_transition" not in {f.kind for f in flags(h, inp.return_id)}
    await replays_cleanly(handle)


async def test_a_scan_while_an_accepted_cancel_voids_the_label_does_not_stick_the_return(
    harness,
):
    """Issue #10, item 2: the first scan lands while the cancel is voiding the label."""
    h = harness
    inp = h.new_return()
    handle, _ = await submitted(h, inp)
    await handle.signal(ReturnWorkflow.carrier_event, scan("evt_pre", "pre_transit"))
    slow_void = {"POST /v2/shipments/*/refund": {"latency_ms": 1500}}
    assert httpx.put(f"{h.sandboxes['easypost']}/_sandbox/faults", json=slow_void).status_code == 200
    try:
        cancel = await handle.start_update(
            ReturnWorkflow.cancel, CancelRequest(reason="race"), wait_for_stage=WorkflowUpdateStage.ACCEPTED
        )
        await handle.signal(ReturnWorkflow.carrier_event, scan("evt_transit", "in_transit"))
        answered = await asyncio.wait_for(cancel.result(), timeout=60)
    finally:
        httpx.delete(f"{h.sandboxes['easypost']}/_sandbox/faults")
    assert answered.status == S.CANCELLED
    assert (await asyncio.wait_for(handle.result(), timeout=60)).status == S.CANCELLED
    assert [f.kind for f in flags(h, inp.return_id)] == ["scanned_after_cancel"]
    assert await task_failures(handle) == []
    record_history("scanned_after_cancel", await handle.fetch_history())


async def test_a_cancel_after_the_first_scan_is_refused_and_the_return_goes_on(harness):
    h = harness
    inp = h.new_return()
    handle, _ = await submitted(h, inp)
    await handle.signal(ReturnWorkflow.carrier_event, scan("evt_transit", "in_transit"))
    late = asyncio.ensure_future(handle.execute_update(ReturnWorkflow.cancel, CancelRequest(reason="too late")))
    await asyncio.wait([late])
    assert refused_or_answered(late) == ErrorType.WRONG_STATE
    assert (await drive_to_the_end(h, handle)).status == S.COMPLETED
    assert await task_failures(handle) == []


async def test_cancel_and_first_scan_sent_at_the_same_moment_always_end_well(harness):
    h = harness
    for round in range(8):
        inp = h.new_return()
        handle, _ = await submitted(h, inp)
        await handle.signal(ReturnWorkflow.carrier_event, scan("evt_pre", "pre_transit"))

        def send_cancel():
            return asyncio.ensure_future(handle.execute_update(ReturnWorkflow.cancel, CancelRequest(reason="race")))

        def send_scan():
            return asyncio.ensure_future(handle.signal(ReturnWorkflow.carrier_event, scan("evt_transit", "in_transit")))

        if round % 2 == 0:  # both orders of sending, neither waiting for the other
            cancel, _ = send_cancel(), send_scan()
        else:
            _, cancel = send_scan(), send_cancel()
        done, pending = await asyncio.wait([cancel], timeout=60)
        assert not pending, "the cancel never answered"
        if refused_or_answered(cancel) == "answered":
            assert cancel.result().status == S.CANCELLED
            final = await asyncio.wait_for(handle.result(), timeout=60)
        else:
            final = await drive_to_the_end(h, handle)
        assert final.status in (S.CANCELLED, S.COMPLETED)
        assert await task_failures(handle) == []


async def test_a_scan_after_an_accepted_cancel_is_flagged_for_ops(harness):
    h = harness
    inp = h.new_return()
    handle, _ = await submitted(h, inp)
    cancelled = await handle.execute_update(ReturnWorkflow.cancel, CancelRequest(reason="changed my mind"))
    assert cancelled.status == S.CANCELLED
    # The workflow is still following the voided label's refund; the shopper sends the parcel anyway.
    await handle.signal(ReturnWorkflow.carrier_event, scan("evt_late", "in_transit"))
    [flag] = await poll_async(lambda: flags(h, inp.return_id), what="the late scan flagged")
    assert flag.kind == "scanned_after_cancel" and "receive it by hand" in flag.reason
    assert (await handle.result()).status == S.CANCELLED
    assert await task_failures(handle) == []
