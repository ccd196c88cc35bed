"""The worker's drain starts deliveries without waiting for them (deliver_due(wait=False)): a dead endpoint holds
at most four slots for its timeout while another shop's events go past it; `settle` waits for the rest."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from activities.webhook_sender import IN_FLIGHT_PER_ENDPOINT, WebhookSender
from db.session import session_scope
from db.webhook_endpoints import create_endpoint
from domain.notifications import EventType
from sandboxes.serve import serve_in_thread
from tests.activities.test_webhook_sender import T0, add, delivery, make_endpoint, receiver  # noqa: F401
from tests.factories import new_merchant


async def test_a_dead_endpoint_holds_a_few_slots_while_another_shops_events_go_past(engine, receiver):  # noqa: F811
    async def hang(request: Request) -> PlainTextResponse:
        await asyncio.Event().wait()  # the endpoint never answers (until the server stops)
        return PlainTextResponse("late")

    url, stop = serve_in_thread(Starlette(routes=[Route("/hooks", hang, methods=["POST"])]))
    try:
        dead_shop, _, _ = new_merchant(engine)
        with session_scope(engine) as session:
            create_endpoint(session, dead_shop, f"{url}/hooks", None, None, T0)
        dead = [add(engine, dead_shop, f"dead-{i}", EventType.RETURN_CREATED) for i in range(20)]
        shop, _, _ = new_merchant(engine)
        make_endpoint(engine, shop, receiver)
        events = [add(engine, shop, f"r-{i}", EventType.RETURN_CREATED) for i in range(6)]
        sender = WebhookSender(engine, timeout_seconds=3)
        started = time.monotonic()
        assert await sender.deliver_due(T0, wait=False) == 2 * IN_FLIGHT_PER_ENDPOINT  # each endpoint its share

        async def the_shops_events_delivered():
            while not all(delivery(engine, e).status == "delivered" for e in events):
                await sender.deliver_due(T0, wait=False)  # as the drain's pump turns: more as slots free up
                # until one attempt in flight ends (the good shop's: the dead ones hang); bounded by wait_for below
                await asyncio.wait(set(sender._tasks), return_when=asyncio.FIRST_COMPLETED)

        await asyncio.wait_for(the_shops_events_delivered(), 2.5)  # before the dead endpoint's 3 s timeout
        assert time.monotonic() - started < 3
        await sender.settle()
    finally:
        stop()
    waiting = [delivery(engine, d) for d in dead]
    assert sum(d.attempts for d in waiting) == IN_FLIGHT_PER_ENDPOINT  # tried once each, recorded by settle


async def test_an_attempt_overrunning_its_lease_gives_its_slot_back(engine):
    """However an attempt might hang, once its lease has run out its slot is free again and it is cancelled:
    a hung attempt never shrinks the pump for good (the delivery is due again by its lease)."""

    async def hang(request: Request) -> PlainTextResponse:
        await asyncio.Event().wait()  # the endpoint never answers (until the server stops)
        return PlainTextResponse("late")

    url, stop = serve_in_thread(Starlette(routes=[Route("/hooks", hang, methods=["POST"])]))
    try:
        shop, _, _ = new_merchant(engine)
        with session_scope(engine) as session:
            create_endpoint(session, shop, f"{url}/hooks", None, None, T0)
        for i in range(2):
            add(engine, shop, f"slow-{i}", EventType.RETURN_CREATED)
        sender = WebhookSender(engine, timeout_seconds=20)
        sender._lease = timedelta(seconds=0.3)  # as if the attempts had hung past a lease of their length
        assert await sender.deliver_due(T0, wait=False) == 2
        tasks = list(sender._tasks)
        sender._lease = timedelta(0)  # as if the lease had run out: both attempts are overdue now
        assert await sender.deliver_due(T0 + timedelta(seconds=1), wait=False) == 2  # slots back, due again
        assert all(t.cancelled() or t.cancelling() for t in tasks)
        for t in list(sender._tasks):
            t.cancel()
        await asyncio.gather(*sender._tasks, return_exceptions=True)
    finally:
        stop()
