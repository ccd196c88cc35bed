"""Review of issue #15 (Patch.LEAN_HISTORY): replacements bought together must still stop a cancel at once.

A cancel is refused once a replacement has left for the shopper (guards.check_cancel: the original is expected
back; tests/workflows/test_cancel_races_exchange.py shows why). Shipped one by one (returns before the patch),
the first replacement counted as shipped as soon as its label was bought and recorded. A lean return buys every
replacement's label at once and marked none shipped until the last label came back: while the carrier was slow
(or retrying, for up to two hours) on one, a cancel was accepted with the other's parcel already labelled, and
the return then ended cancelled with that replacement voided if the carrier did not have it yet, given away if
it did.

An advance exchange (its replacements leave at the start) on a test server of its own, the worker's EasyPost
calls through a proxy in front of the sandbox that holds line L2's until released; L1's goes through. Once the
workflow has seen L1's label, a cancel must be refused.
"""

from __future__ import annotations

import asyncio
import threading

import httpx
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, WorkflowUpdateStage

from db.migrate import upgrade
from db.session import make_engine
from sandboxes.serve import serve_in_thread
from tests import conftest as base
from tests.polling import poll_async, poll_awaitable
from tests.workflows.conftest import Harness, running_workers
from tests.workflows.test_exchange_paths import exchange_return, outbound
from tests.workflows.test_return_workflow import submitted
from workflows.messages import CancelRequest
from workflows.returns import ReturnWorkflow


def _holding_proxy(upstream: str, held_reference: list[str], held: threading.Event, release: threading.Event):
    """An ASGI app forwarding to the EasyPost sandbox; a request naming `held_reference[0]` waits for `release`."""

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        query = scope.get("query_string", b"")
        if held_reference and (held_reference[0].encode() in body or held_reference[0].encode() in query):
            held.set()
            await asyncio.to_thread(release.wait, 60)
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in (b"host", b"content-length")]
        url = upstream + scope["path"] + (f"?{query.decode()}" if query else "")
        async with httpx.AsyncClient() as client:
            r = await client.request(scope["method"], url, content=body, headers=headers)
        out = [
            (k.encode(), v.encode())
            for k, v in r.headers.items()
            if k.lower() not in ("content-length", "transfer-encoding", "content-encoding")
        ]
        await send({"type": "http.response.start", "status": r.status_code, "headers": out})
        await send({"type": "http.response.body", "body": r.content})

    return app


async def _seen_by_the_workflow(handle, activity: str) -> bool:
    """True once a `activity` completed and a workflow task completed after it (the workflow has its result)."""
    events = [e async for e in handle.fetch_history_events()]
    scheduled = {
        e.event_id
        for e in events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        and e.activity_task_scheduled_event_attributes.activity_type.name == activity
    }
    done = [
        e.event_id
        for e in events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
        and e.activity_task_completed_event_attributes.scheduled_event_id in scheduled
    ]
    return bool(done) and any(
        e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED and e.event_id > done[0] for e in events
    )


async def test_a_cancel_is_refused_once_one_of_the_replacements_bought_together_has_its_label(sandboxes, tmp_path):
    env = await base.time_skipping_server()
    url = f"sqlite:///{tmp_path / 'returnflow.db'}"
    upgrade(url)
    engine = make_engine(url)
    held, release, held_reference = threading.Event(), threading.Event(), []
    proxy, stop = serve_in_thread(_holding_proxy(sandboxes["easypost"], held_reference, held, release))
    settings = base.test_settings(url, {**sandboxes, "easypost": proxy})
    h = Harness(env, engine, settings, sandboxes)
    handle = None
    try:
        async with running_workers(env.client, settings, engine):
            inp = exchange_return(h, "SHOE-44", mode="advance", on_missing="charge")
            held_reference.append(f"exchange-{inp.return_id}-L2")
            handle, _ = await submitted(h, inp)
            await poll_async(held.is_set, what="line L2's shipment held at the proxy")
            await poll_async(
                lambda: [s for s in outbound(h, inp.return_id) if s["reference"].endswith("-L1")],
                what="line L1's replacement label bought",
            )
            # the workflow has L1's label (a task completed after the activity did)
            await poll_awaitable(
                lambda: _seen_by_the_workflow(handle, "ship_replacement"),
                bool,
                what="the workflow seeing L1's shipment",
            )
            update = await handle.start_update(
                ReturnWorkflow.cancel,
                CancelRequest(reason="changed my mind"),
                wait_for_stage=WorkflowUpdateStage.ACCEPTED,
            )
            try:  # refused: its failure is known at once; accepted: it waits for the return to end
                await asyncio.wait_for(update.result(), timeout=5)
                accepted = True
            except WorkflowUpdateFailedError:
                accepted = False
            except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):  # still waiting: accepted
                accepted = True
            release.set()
            assert not accepted, "a cancel was accepted with a replacement's label already bought"
    finally:
        release.set()
        if handle is not None:
            try:
                await handle.terminate()
            except Exception:  # it may have ended already
                pass
        stop()
        engine.dispose()
        await env.shutdown()
