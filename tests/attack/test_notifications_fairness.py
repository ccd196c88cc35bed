"""Attack: one merchant's dead endpoint with a few hundred returns waiting still starves every other merchant.

`claim_due` (db/webhook_deliveries.py) takes at most PER_ENDPOINT (8) deliveries of one endpoint per round, but it
picks them from a window of the `limit * per_endpoint` (256) oldest due rows. When one endpoint has more than 256
due deliveries older than anyone else's (a shop with a busy day whose ERP is down: every return heads its own
queue), the window holds that endpoint only: each round sends its 8 and nobody else's. Another shop's delivery
waits until the dead endpoint's whole backlog has been tried at 8 a round, each round taking the 10 s timeout:
3,000 waiting returns are about an hour of rounds, and as their backoff reaches an hour they are due again before
the backlog is through, so the other shops wait for good. Fix: choose per endpoint in the query (a window function:
ROW_NUMBER() OVER (PARTITION BY endpoint_id ORDER BY next_attempt_at, id) <= per_endpoint), or round-robin over
the endpoints with due deliveries.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from sqlmodel import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from activities.webhook_sender import WebhookSender
from db import webhook_deliveries as q
from db import webhook_endpoints as endpoints
from db.session import session_scope
from db.tables import EventDelivery
from domain.notifications import EventType
from sandboxes.serve import serve_in_thread
from tests.activities.test_webhook_sender import T0, add, make_endpoint, receiver  # noqa: F401 - the fixture
from tests.factories import new_merchant

BACKLOG = 300  # more than the claim's window of 32 * 8 rows


def status_of(engine, event_id: str) -> str:
    with session_scope(engine) as session:
        return session.exec(select(EventDelivery.status).where(EventDelivery.event_id == event_id)).one()


async def test_a_dead_endpoints_backlog_does_not_hold_back_another_shops_delivery(engine, receiver):  # noqa: F811
    async def hang(request: Request) -> PlainTextResponse:
        await asyncio.Event().wait()  # the endpoint never answers (until the server stops)
        return PlainTextResponse("late")

    url, stop = serve_in_thread(Starlette(routes=[Route("/hooks", hang, methods=["POST"])]))
    try:
        busy, _, _ = new_merchant(engine)
        with session_scope(engine) as session:
            endpoints.create_endpoint(session, busy, f"{url}/hooks", None, None, T0)
        for i in range(BACKLOG):
            add(engine, busy, f"r{i}", EventType.RETURN_CREATED)
        other, _, _ = new_merchant(engine)
        make_endpoint(engine, other, receiver)
        later = add(engine, other, "r-other", EventType.RETURN_CREATED, at=T0 + timedelta(seconds=1))
        sender = WebhookSender(engine, timeout_seconds=0.3)
        now = T0 + timedelta(seconds=2)
        for _ in range(3):  # three rounds: the other shop's one delivery should have gone in the first
            await sender.deliver_due(now)
        assert status_of(engine, later) == "delivered", "three rounds, and the other shop's event was never tried"
    finally:
        stop()
    assert q.PER_ENDPOINT * 3 < BACKLOG


def test_a_few_dead_endpoints_with_old_backlogs_do_not_fill_a_round_either(engine):
    """Five endpoints with eight old deliveries each are 40 heads for a round of 32: the round takes every
    endpoint's first before anyone's second, so another shop's newer delivery is in it."""
    busy, _, _ = new_merchant(engine)
    with session_scope(engine) as session:
        for n in range(5):
            endpoints.create_endpoint(session, busy, f"https://erp{n}.example/hooks", None, None, T0)
    for i in range(q.PER_ENDPOINT):
        add(engine, busy, f"r{i}", EventType.RETURN_CREATED)
    other, _, _ = new_merchant(engine)
    with session_scope(engine) as session:
        endpoints.create_endpoint(session, other, "https://other.example/hooks", None, None, T0)
    later = add(engine, other, "r-other", EventType.RETURN_CREATED, at=T0 + timedelta(seconds=1))
    with session_scope(engine) as session:
        claimed = q.claim_due(session, T0 + timedelta(seconds=2), timedelta(minutes=1), limit=32)
    assert len(claimed) == 32 and later in {job.event_id for job in claimed}
    assert max(Counter(job.endpoint_id for job in claimed).values()) <= q.PER_ENDPOINT
