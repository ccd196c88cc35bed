"""The webhook half of the outbox against a real HTTP endpoint (a local receiver that verifies every delivery
with the standardwebhooks library), on SQLite and PostgreSQL, driven by explicit `now` values (no sleeping):
order per return, backoff, giving up (failed, endpoint disabled, attention item), re-enabling, rotation, the
event filter, and no rows at all when nobody listens."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from temporalio.testing import ActivityEnvironment

from activities.store import StoreActivities
from activities.webhook_sender import IN_FLIGHT_PER_MERCHANT, WebhookSender
from db import outbox
from db import webhook_deliveries as q
from db import webhook_endpoints as endpoints
from db.session import session_scope
from db.tables import AttentionItem, EventDelivery, MerchantEvent, WebhookDelivery, WebhookEndpoint
from domain.notifications import EventType
from domain.status import ReturnStatus
from sandboxes.serve import serve_in_thread
from tests.db.test_store import entry, view
from tests.factories import new_merchant
from workflows.ids import merchant_event_id
from workflows.messages import ReturnProjection

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@dataclass
class Seen:
    body: bytes
    headers: dict[str, str]
    verified: bool
    status: int

    @property
    def event(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A merchant's endpoint: verifies each request with the one secret it holds (401 if it does not verify),
    answers 500 to the event ids in `failing`, 200 otherwise."""

    url: str = ""
    secret: str = ""
    failing: set[str] = field(default_factory=set)
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle(self, request: Request) -> PlainTextResponse:
        body, headers = await request.body(), dict(request.headers)
        try:
            Webhook(self.secret).verify(body, headers)
            verified = True
        except WebhookVerificationError:
            verified = False
        status = 401 if not verified else 500 if headers.get("webhook-id") in self.failing else 200
        with self.lock:
            self.seen.append(Seen(body, headers, verified, status))
        return PlainTextResponse("no: " + "x" * 500 if status != 200 else "ok", status_code=status)

    def ids(self, status: int | None = None) -> list[str]:
        return [s.headers["webhook-id"] for s in self.seen if status is None or s.status == status]


def verifies(seen: Seen, secret: str) -> bool:
    try:
        Webhook(secret).verify(seen.body, seen.headers)
        return True
    except WebhookVerificationError:
        return False


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    """A Receiver served on a free local port."""
    rec = Receiver()
    app = Starlette(routes=[Route("/hooks", rec.handle, methods=["POST"])])
    url, stop = serve_in_thread(app)
    rec.url = f"{url}/hooks"
    try:
        yield rec
    finally:
        stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as rec:
        yield rec


def make_endpoint(engine, merchant_id: str, receiver: Receiver, events: list[str] | None = None) -> WebhookEndpoint:
    with session_scope(engine) as session:
        row = endpoints.create_endpoint(session, merchant_id, receiver.url, events, None, T0)
    receiver.secret = row.secret
    return row


def add(engine, merchant_id: str, return_id: str | None, event: EventType, at: datetime = T0) -> str:
    """An event as the projection writes it: to the endpoints that want it; its id."""
    event_id = merchant_event_id(return_id or "none", event.value)
    with session_scope(engine) as session:
        targets = outbox.endpoints_wanting(session, merchant_id, event)
        if not targets:  # as the projection does: nobody listens, nothing written
            return event_id
        data = {"return": {"return_id": return_id, "status": "x"}}
        outbox.add_event(session, merchant_id, event_id, event, data, targets, at, return_id)
    return event_id


async def drain(sender: WebhookSender, now: datetime) -> int:
    """Rounds at `now` until nothing more is due (each round sends the heads of the queues), as the drain does."""
    total = 0
    for _ in range(50):
        done = await sender.deliver_due(now)
        if not done:
            return total
        total += done
    raise AssertionError("the sender kept finding work at one instant")


def delivery(engine, event_id: str) -> EventDelivery:
    with session_scope(engine) as session:
        return session.exec(select(EventDelivery).where(EventDelivery.event_id == event_id)).one()


async def test_a_delivery_is_standard_webhooks_signed_and_logged(engine, receiver):
    merchant_id, _, _ = new_merchant(engine)
    ep = make_endpoint(engine, merchant_id, receiver)
    event_id = add(engine, merchant_id, "r1", EventType.RETURN_CREATED)
    sender = WebhookSender(engine)

    assert await drain(sender, T0) == 1
    assert await drain(sender, T0 + timedelta(hours=1)) == 0  # delivered once, never again
    [seen] = receiver.seen
    assert seen.verified and seen.status == 200
    assert seen.headers["webhook-id"] == event_id and seen.headers["content-type"] == "application/json"
    assert abs(int(seen.headers["webhook-timestamp"]) - datetime.now(UTC).timestamp()) < 60
    assert seen.event == {
        "type": "return.created",
        "timestamp": T0.isoformat(),
        "data": {"return": {"return_id": "r1", "status": "x"}},
    }
    assert b": " not in seen.body  # compact: the bytes signed are the bytes sent
    d = delivery(engine, event_id)
    assert (d.status, d.attempts, d.delivered_at, d.first_attempt_at, d.last_status_code) == (
        "delivered",
        1,
        T0,
        T0,
        200,
    )
    with session_scope(engine) as session:
        [log] = session.exec(select(WebhookDelivery).where(WebhookDelivery.delivery_id == d.id)).all()
    assert (log.endpoint_id, log.attempt, log.status_code, log.delivered, log.error) == (ep.id, 1, 200, True, None)
    assert log.latency_ms is not None and log.latency_ms >= 0 and ep.secret not in (log.error or "")


async def test_events_arrive_in_order_per_return_while_other_returns_go_on(engine, receiver):
    merchant_id, _, _ = new_merchant(engine)
    make_endpoint(engine, merchant_id, receiver)
    e1 = add(engine, merchant_id, "r1", EventType.RETURN_CREATED)
    e2 = add(engine, merchant_id, "r1", EventType.RETURN_LABEL_CREATED)
    e3 = add(engine, merchant_id, "r1", EventType.RETURN_IN_TRANSIT)
    f1 = add(engine, merchant_id, "r2", EventType.RETURN_CREATED)
    receiver.failing = {e1}
    sender = WebhookSender(engine)

    await drain(sender, T0)
    assert sorted(receiver.ids()) == sorted([e1, f1])  # r1's later events wait behind its first; r2 goes on
    failed = delivery(engine, e1)
    assert (failed.status, failed.attempts, failed.last_status_code) == ("pending", 1, 500)
    assert failed.last_error == "HTTP 500"  # a loopback receiver is no public endpoint: its body is not read out
    assert await drain(sender, T0 + timedelta(seconds=4)) == 0  # not before its backoff

    receiver.failing = set()
    await drain(sender, failed.next_attempt_at)
    assert [i for i in receiver.ids(200) if i != f1] == [e1, e2, e3]
    assert all(s.verified for s in receiver.seen)
    assert [delivery(engine, e).status for e in (e1, e2, e3)] == ["delivered"] * 3
    assert delivery(engine, e1).attempts == 2


async def test_retries_back_off_doubling_from_5_seconds_to_an_hour(engine, receiver):
    merchant_id, _, _ = new_merchant(engine)
    make_endpoint(engine, merchant_id, receiver)
    event_id = add(engine, merchant_id, "r1", EventType.RETURN_CREATED)
    receiver.failing = {event_id}
    sender = WebhookSender(engine)

    now, gaps = T0, []
    for _ in range(12):
        assert await drain(sender, now - timedelta(seconds=1)) == 0
        assert await drain(sender, now) == 1
        d = delivery(engine, event_id)
        gaps.append((d.next_attempt_at - now).total_seconds())
        now = d.next_attempt_at
    expected = [min(5 * 2**k, 3600) for k in range(12)]  # 5, 10, 20, ... 2560, 3600, 3600
    assert all(e <= g <= e * 1.1 for g, e in zip(gaps, expected, strict=True)), list(zip(gaps, expected))
    d = delivery(engine, event_id)
    assert (d.status, d.attempts, d.first_attempt_at) == ("pending", 12, T0)
    with session_scope(engine) as session:
        logs = session.exec(select(WebhookDelivery).where(WebhookDelivery.delivery_id == d.id)).all()
    assert sorted(log.attempt for log in logs) == list(range(1, 13)) and not any(log.delivered for log in logs)


async def test_after_the_give_up_period_the_delivery_fails_the_endpoint_is_disabled_and_ops_are_told(engine, receiver):
    merchant_id, _, _ = new_merchant(engine)
    ep = make_endpoint(engine, merchant_id, receiver)
    e1 = add(engine, merchant_id, "r1", EventType.RETURN_CREATED)
    e2 = add(engine, merchant_id, "r1", EventType.RETURN_LABEL_CREATED)
    receiver.failing = {e1}
    sender = WebhookSender(engine, give_up_after=timedelta(days=3))

    await drain(sender, T0)
    await drain(sender, T0 + timedelta(days=3) - timedelta(seconds=1))  # still inside the period: retried
    assert delivery(engine, e1).status == "pending"
    gave_up_at = delivery(engine, e1).next_attempt_at
    assert gave_up_at - T0 >= timedelta(days=3)
    await drain(sender, gave_up_at)
    assert receiver.ids() == [e1, e1, e1]  # e2 never went ahead of it
    d = delivery(engine, e1)
    assert (d.status, d.attempts) == ("failed", 3)
    with session_scope(engine) as session:
        row = session.get(WebhookEndpoint, ep.id)
        items = session.exec(select(AttentionItem).where(AttentionItem.merchant_id == merchant_id)).all()
    assert not row.enabled and "72 h" in row.disabled_reason and "HTTP 500" in row.disabled_reason
    assert [(i.kind, i.return_id) for i in items] == [("webhook_endpoint_disabled", None)]
    assert ep.id in items[0].reason and ep.secret not in items[0].reason

    # Disabled: what it held waits; a new event finds no endpoint that wants it.
    assert await drain(sender, gave_up_at + timedelta(hours=1)) == 0
    assert delivery(engine, e2).status == "pending"
    late = add(engine, merchant_id, "r3", EventType.RETURN_CREATED)
    with session_scope(engine) as session:
        assert session.exec(select(MerchantEvent).where(MerchantEvent.id == late)).first() is None

    # Enabled again: the held delivery goes on, with a fresh give-up period.
    receiver.failing = set()
    resumed_at = gave_up_at + timedelta(hours=2)
    with session_scope(engine) as session:
        endpoints.update_endpoint(session, merchant_id, ep.id, {"enabled": True}, resumed_at)
    assert await drain(sender, resumed_at) == 1
    assert receiver.ids(200) == [e2]
    assert delivery(engine, e2).status == "delivered" and delivery(engine, e1).status == "failed"
    with session_scope(engine) as session:
        assert session.get(WebhookEndpoint, ep.id).disabled_reason is None
        [item] = session.exec(select(AttentionItem).where(AttentionItem.merchant_id == merchant_id)).all()
    assert item.resolved_at == resumed_at  # enabling it again is what the item asked for


async def test_during_a_rotation_both_secrets_sign_and_after_it_only_the_new_one(engine, receiver):
    merchant_id, _, _ = new_merchant(engine)
    ep = make_endpoint(engine, merchant_id, receiver)
    old = ep.secret
    with session_scope(engine) as session:
        new = endpoints.rotate_secret(session, merchant_id, ep.id, timedelta(hours=24), T0).secret
    assert new != old and new.startswith("whsec_")
    sender = WebhookSender(engine)

    during = add(engine, merchant_id, "r1", EventType.RETURN_CREATED)
    await drain(sender, T0 + timedelta(hours=23))  # the receiver still holds the old secret only
    [seen] = receiver.seen
    assert seen.verified and seen.status == 200 and verifies(seen, new) and verifies(seen, old)
    assert len(seen.headers["webhook-signature"].split(" ")) == 2

    after = add(engine, merchant_id, "r2", EventType.RETURN_CREATED)
    await drain(sender, T0 + timedelta(hours=24, seconds=1))
    last = receiver.seen[-1]
    assert last.headers["webhook-id"] == after and last.status == 401  # the old secret no longer verifies
    assert verifies(last, new) and not verifies(last, old)
    assert len(last.headers["webhook-signature"].split(" ")) == 1
    assert delivery(engine, during).status == "delivered" and delivery(engine, after).status == "pending"

    receiver.secret = new  # the merchant takes the new secret: the retry lands
    await drain(sender, delivery(engine, after).next_attempt_at)
    assert receiver.seen[-1].status == 200 and delivery(engine, after).status == "delivered"


def project(engine, merchant_id: str, return_id: str) -> None:
    """A return's projection written as the workflow writes it: created, then labelled."""
    projection = ReturnProjection(
        view=view(return_id, merchant_id, ReturnStatus.LABEL_CREATED, T0 + timedelta(hours=1)),
        version=2,
        new_entries=[entry(1, ReturnStatus.REQUESTED), entry(2, ReturnStatus.LABEL_CREATED)],
    )
    ActivityEnvironment().run(StoreActivities(engine).record_return, projection)


async def test_an_endpoint_gets_only_the_events_it_subscribed_to(engine, receiver):
    merchant_id, _, _ = new_merchant(engine)
    everything = make_endpoint(engine, merchant_id, receiver)
    labels_only = make_endpoint(engine, merchant_id, receiver, ["return.label_created"])
    receiver.secret = everything.secret
    project(engine, merchant_id, "r-filter")
    with session_scope(engine) as session:
        rows = session.exec(select(EventDelivery).where(EventDelivery.return_id == "r-filter")).all()
        types = {r.seq: r.type for r in session.exec(select(MerchantEvent))}
    mine = sorted((r.endpoint_id, types[r.event_seq]) for r in rows)
    assert mine == sorted(
        [
            (everything.id, "return.created"),
            (everything.id, "return.label_created"),
            (labels_only.id, "return.label_created"),
        ]
    )
    await drain(WebhookSender(engine), datetime.now(UTC) + timedelta(minutes=1))  # the projection wrote them now
    assert len(receiver.seen) == 3  # one request per delivery, nothing to an endpoint that did not ask
    assert all(verifies(s, everything.secret) or verifies(s, labels_only.secret) for s in receiver.seen)


async def test_no_endpoint_no_event_rows(engine):
    merchant_id, _, _ = new_merchant(engine)
    project(engine, merchant_id, "r-quiet")
    with session_scope(engine) as session:
        assert session.exec(select(MerchantEvent).where(MerchantEvent.merchant_id == merchant_id)).all() == []
        assert session.exec(select(EventDelivery).where(EventDelivery.merchant_id == merchant_id)).all() == []
    assert await WebhookSender(engine).deliver_due(T0 + timedelta(days=1)) == 0


DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def doc_snippet() -> dict:
    """The Python verification snippet of docs/webhooks.md, run: its names."""
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    assert len(blocks) == 1, "docs/webhooks.md has one Python snippet"
    names: dict = {}
    exec(compile(blocks[0], str(DOC), "exec"), names)
    return names


async def test_the_documented_verification_snippet_accepts_a_real_delivery_and_refuses_a_forged_one(engine):
    snippet = doc_snippet()
    seen: list[tuple[bytes, dict, int]] = []

    async def endpoint(request: Request) -> PlainTextResponse:
        body, headers = await request.body(), dict(request.headers)
        status = snippet["handle"](body, headers)
        seen.append((body, headers, status))
        return PlainTextResponse("", status_code=status)

    url, stop = serve_in_thread(Starlette(routes=[Route("/hooks", endpoint, methods=["POST"])]))
    try:
        merchant_id, _, _ = new_merchant(engine)
        with session_scope(engine) as session:
            ep = endpoints.create_endpoint(session, merchant_id, f"{url}/hooks", None, None, T0)
        snippet["SECRET"] = ep.secret
        event_id = add(engine, merchant_id, "r1", EventType.REFUND_SUCCEEDED)
        await drain(WebhookSender(engine), T0)
    finally:
        stop()
    [(body, headers, status)] = seen
    assert status == 200 and delivery(engine, event_id).status == "delivered"
    assert snippet["handled"] == {event_id}
    assert snippet["handle"](body.replace(b"r1", b"r9"), headers) == 400  # a forged body
    snippet["SECRET"] = endpoints.new_secret()
    assert snippet["handle"](body, headers) == 400  # someone else's secret


async def test_a_hanging_endpoint_is_a_timed_out_attempt_and_cannot_take_every_slot_of_a_round(engine, receiver):
    async def hang(request: Request) -> PlainTextResponse:
        await asyncio.Event().wait()  # the endpoint never answers (until the server stops)
        return PlainTextResponse("late")

    url, stop = serve_in_thread(Starlette(routes=[Route("/hooks", hang, methods=["POST"])]))
    try:
        merchant_id, _, _ = new_merchant(engine)
        with session_scope(engine) as session:
            endpoints.create_endpoint(session, merchant_id, f"{url}/hooks", None, None, T0)
        ids = [add(engine, merchant_id, f"r{i}", EventType.RETURN_CREATED) for i in range(40)]
        other, _, _ = new_merchant(engine)  # another shop, whose event fell due after the 40
        make_endpoint(engine, other, receiver)
        later = add(engine, other, "r-other", EventType.RETURN_CREATED, at=T0 + timedelta(seconds=1))
        sender = WebhookSender(engine, timeout_seconds=0.3)
        started = time.monotonic()
        first_round = await sender.deliver_due(T0 + timedelta(seconds=1))
        # The hanging endpoint takes its share of the round; the other shop's event goes in the same round.
        assert first_round == q.PER_ENDPOINT + 1
        assert delivery(engine, later).status == "delivered"
        assert time.monotonic() - started < 5
        assert await sender.deliver_due(T0 + timedelta(seconds=1)) == q.PER_ENDPOINT
    finally:
        stop()
    d = delivery(engine, ids[0])
    assert (d.status, d.attempts, d.last_status_code, d.last_error) == ("pending", 1, None, "timed out after 0.3 s")
    assert 250 <= d.last_latency_ms < 3000


def test_one_attempt_that_cannot_be_recorded_stops_no_other_and_a_job_shows_no_secret(engine, receiver):  # noqa: F811
    merchant_id, _, _ = new_merchant(engine)
    ep = make_endpoint(engine, merchant_id, receiver)
    for return_id in ("r1", "r2"):
        add(engine, merchant_id, return_id, EventType.RETURN_CREATED)
    with session_scope(engine) as session:
        jobs = q.claim_due(session, T0, timedelta(minutes=1))
    assert ep.secret not in repr(jobs) and len(jobs) == 2
    with session_scope(engine) as session:  # the first one's row is gone by the time the attempt is recorded
        session.delete(session.get(EventDelivery, jobs[0].delivery_id))
    done = q.Outcome(delivered=True, status_code=200, error=None, latency_ms=5)
    statuses = WebhookSender(engine)._record(jobs, [done, done], T0)
    assert statuses == ["pending", "delivered"]
    assert delivery(engine, jobs[1].event_id).status == "delivered"


async def test_re_enabling_sends_a_delivery_waiting_out_its_backoff_at_once_but_not_one_being_posted(engine, receiver):
    merchant_id, _, _ = new_merchant(engine)
    ep = make_endpoint(engine, merchant_id, receiver)
    backing_off = add(engine, merchant_id, "r_backoff", EventType.RETURN_CREATED)
    receiver.failing = {backing_off}
    sender = WebhookSender(engine)
    await drain(sender, T0)  # failed once: retried after its backoff
    waits_until = delivery(engine, backing_off).next_attempt_at
    assert waits_until > T0
    posting = add(engine, merchant_id, "r_posting", EventType.RETURN_CREATED)
    with session_scope(engine) as session:
        [leased] = q.claim_due(session, T0, timedelta(minutes=1))  # a sender is posting it now
    assert leased.event_id == posting
    for on in (False, True):
        with session_scope(engine) as session:
            endpoints.update_endpoint(session, merchant_id, ep.id, {"enabled": on}, T0 + timedelta(seconds=1))
    with session_scope(engine) as session:
        due = q.claim_due(session, T0 + timedelta(seconds=1), timedelta(minutes=1))
    assert [job.event_id for job in due] == [backing_off]  # before its backoff ended; the posted one not again
    assert T0 + timedelta(seconds=1) < waits_until


async def test_started_without_waiting_one_merchants_endpoints_together_take_at_most_its_share(engine, receiver):
    """Ten endpoints at one slow URL are still one merchant: at most IN_FLIGHT_PER_MERCHANT of its deliveries in
    flight, however many endpoints it has, while another merchant's go beside them."""
    many, _, _ = new_merchant(engine)
    for _ in range(3):
        with session_scope(engine) as session:
            endpoints.create_endpoint(session, many, receiver.url, None, None, T0)
    [add(engine, many, f"r-many-{i}", EventType.RETURN_CREATED) for i in range(4)]  # 4 each of 3 endpoints
    other, _, _ = new_merchant(engine)
    make_endpoint(engine, other, receiver)
    theirs = [add(engine, other, f"r-other-{i}", EventType.RETURN_CREATED) for i in range(3)]
    sender = WebhookSender(engine)
    assert await sender.deliver_due(T0, wait=False) == IN_FLIGHT_PER_MERCHANT + len(theirs)
    await sender.settle()
    assert all(delivery(engine, e).status == "delivered" for e in theirs)
    with session_scope(engine) as session:
        rows = session.exec(select(EventDelivery).where(EventDelivery.merchant_id == many)).all()
    assert sum(d.attempts for d in rows) == IN_FLIGHT_PER_MERCHANT
