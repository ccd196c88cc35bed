"""A store scan racing the hand-in deadline (found by an adversarial review, failed before the fix).

The hand-in deadline passes and `run` is closing the return as expired (for an exchange, `_close` first awaits
`exchange.unwind`: the reserved replacements are released). All that while the status is still
`awaiting_hand_in` and no cancel is set, so `HandIn.check` lets a store scan in: the store is told "received",
then the return closes as `expired` with the replacements released, and the shopper's item sits in the store.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from temporalio import activity
from temporalio.client import WorkflowUpdateFailedError

from activities.exchanges import ExchangeActivities, ReturnRef
from domain.status import ReturnStatus
from tests.polling import poll_async
from tests.workflows.test_exchange_paths import exchange_return
from tests.workflows.test_return_workflow import timeline
from tests.workflows.test_store_drop_off import STORE, scanned
from workers import main as workers_main
from workflows.ids import return_workflow_id
from workflows.messages import ReturnInput, SubmitReturn
from workflows.returns import ReturnWorkflow

QUEUE = "store-races"


async def test_a_scan_while_the_expired_exchange_is_closing_is_not_answered_received(harness, monkeypatch):
    h = harness
    entered, go = threading.Event(), threading.Event()
    original = ExchangeActivities.release_replacements

    @activity.defn(name="release_replacements")
    def gated(self, ref: ReturnRef) -> int:
        entered.set()
        go.wait(30)
        return original(self, ref)

    monkeypatch.setattr(ExchangeActivities, "release_replacements", gated)
    monkeypatch.setattr(workers_main, "TASK_QUEUE", QUEUE)
    monkeypatch.setattr(workers_main, "CARRIER_TASK_QUEUE", QUEUE + "-unused-carrier")  # built, never run
    with ThreadPoolExecutor(max_workers=6) as executor:
        worker = workers_main.build_workers(h.client, h.settings, h.engine, executor)[0]  # the returns queue only
        async with worker:
            inp = exchange_return(h, "SHOE-44", mode="standard")
            inp = ReturnInput.model_validate({**inp.model_dump(), "send_method": "store", "store_id": STORE})
            handle = await h.client.start_workflow(
                ReturnWorkflow.run, inp, id=return_workflow_id(inp.return_id), task_queue=QUEUE
            )
            view = await handle.execute_update(
                ReturnWorkflow.submit, SubmitReturn(request_fingerprint=inp.request_fingerprint)
            )
            assert view.status == ReturnStatus.AWAITING_HAND_IN
            # The hand-in deadline passes while the result is awaited (the environment skips time to the timer):
            # `run` closes it as expired and waits at the gate.
            result = asyncio.create_task(handle.result())
            await poll_async(lambda: entered.is_set(), lambda x: x, what="closing: releasing the replacements")
            try:
                answer = await scanned(handle, STORE)  # the shopper is at the counter right now
            except WorkflowUpdateFailedError:
                answer = None  # refused: what should happen
            finally:
                go.set()
            final = await result
    assert final.status == ReturnStatus.EXPIRED
    received = [e for e in timeline(h, inp.return_id) if e.event == "hand_in" and e.status == "received"]
    assert answer is None, (
        f"store told {answer.status.value!r} at {answer.received_at_facility} but the return closed as "
        f"{final.status.value}; timeline has a store receipt: {bool(received)}"
    )
    assert not received
