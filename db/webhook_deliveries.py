"""Event deliveries to merchants' endpoints: which are due (the head of each endpoint's queue per return),
what an attempt did (the delivery's state, the attempt log, the endpoint disabled after the give-up period),
the merchant's view of them, a redelivery, and the test ping.

The sender (activities/webhook_sender.py) claims what is due, posts outside any transaction, and records."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from db import outbox
from db.pages import after_row
from db.tables import AttentionItem, EventDelivery, MerchantEvent, WebhookDelivery, WebhookEndpoint
from db.webhook_endpoints import endpoint, endpoints, shown_url
from domain.notifications import EventType
from workflows.contract.statuses import AttentionKind

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
FIRST_RETRY = timedelta(seconds=5)
MAX_RETRY = timedelta(hours=1)
PER_ENDPOINT = 8  # deliveries one endpoint may take of a round (of the sender's 32)


class EndpointGone(Exception):
    """The delivery's endpoint was deleted: nothing to redeliver to."""


class DeliveryPending(Exception):
    """The delivery is still pending: the sender tries it on its own (it may be posting it right now)."""


@dataclass(frozen=True)
class Job:
    """One attempt to make: what to post where, signed with which secrets (the previous one too while it overlaps)."""

    delivery_id: int
    merchant_id: str
    endpoint_id: str
    return_id: str | None
    url: str
    secrets: tuple[str, ...] = field(repr=False)  # never in a log line or a traceback's locals
    event_id: str
    event_type: str
    event_at: datetime
    data: dict


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    status_code: int | None
    error: str | None
    latency_ms: int


def backoff(attempts: int, delivery_id: int) -> timedelta:
    """5 s after the first failure, doubling, at most an hour; plus up to 10 % jitter fixed per row and attempt
    (deliveries that failed together do not all come back in the same second)."""
    base = min(FIRST_RETRY * 2 ** max(attempts - 1, 0), MAX_RETRY)
    jitter = ((delivery_id * 2654435761 + attempts * 40503) % 1000) / 10_000
    return base * (1 + jitter)


def claim_due(
    session: Session,
    now: datetime,
    lease: timedelta,
    limit: int = 200,
    per_endpoint: int = PER_ENDPOINT,
    busy: dict[str, int] | None = None,
    merchants_busy: dict[str, int] | None = None,
    per_merchant: int | None = None,
) -> list[Job]:
    """The due deliveries at the head of their (endpoint, return) queue, leased until `now + lease` so nothing
    else sends them meanwhile (a lease that runs out makes them due again). At most `per_endpoint` of one
    endpoint, less what it has in flight already (`busy`): a hanging endpoint with a thousand returns waiting
    cannot take every slot. With `per_merchant`, at most that many of one merchant's endpoints together, less
    what the merchant has in flight (`merchants_busy`): ten endpoints at one slow URL are still one merchant."""
    earlier = aliased(EventDelivery)
    blocked = (
        select(earlier.id)
        .where(
            earlier.endpoint_id == EventDelivery.endpoint_id,
            earlier.return_id == EventDelivery.return_id,
            earlier.status == PENDING,
            earlier.event_seq < EventDelivery.event_seq,
        )
        .exists()
    )
    # Each endpoint's own oldest `per_endpoint` due heads, numbered in the query: however many deliveries one
    # endpoint has waiting it takes no more than its share, and the round takes every endpoint's first before
    # anyone's second, so a few dead endpoints with old backlogs cannot fill it either.
    rank = (
        func.row_number()
        .over(
            partition_by=EventDelivery.endpoint_id,
            order_by=(col(EventDelivery.next_attempt_at), col(EventDelivery.id)),
        )
        .label("rank")
    )
    heads = (
        select(
            EventDelivery.id, EventDelivery.endpoint_id, EventDelivery.merchant_id, EventDelivery.next_attempt_at, rank
        )
        .join(WebhookEndpoint, col(WebhookEndpoint.id) == EventDelivery.endpoint_id)
        .where(EventDelivery.status == PENDING, EventDelivery.next_attempt_at <= now, col(WebhookEndpoint.enabled))
        .where(~blocked)
        .subquery()
    )
    query = (
        select(heads.c.id, heads.c.endpoint_id, heads.c.merchant_id, heads.c.rank)
        .where(heads.c.rank <= per_endpoint)
        .order_by(heads.c.rank, heads.c.next_attempt_at, heads.c.id)
    )
    busy = busy or {}
    taken_by = dict(merchants_busy or {})
    chosen = []
    for d, endpoint_id, merchant_id, rank in session.exec(query).all():
        if rank > per_endpoint - busy.get(endpoint_id, 0):
            continue
        if per_merchant is not None and taken_by.get(merchant_id, 0) >= per_merchant:
            continue
        taken_by[merchant_id] = taken_by.get(merchant_id, 0) + 1
        chosen.append(d)
    chosen = chosen[:limit]
    claimed = []
    for delivery_id in chosen:
        taken = session.exec(
            update(EventDelivery)
            .where(
                col(EventDelivery.id) == delivery_id,
                EventDelivery.status == PENDING,
                EventDelivery.next_attempt_at <= now,
            )
            .values(next_attempt_at=now + lease)
        )
        if taken.rowcount == 1:
            claimed.append(delivery_id)
    return jobs(session, claimed, now)


def jobs(session: Session, delivery_ids: list[int], now: datetime) -> list[Job]:
    """What to send for these deliveries (those whose endpoint still exists)."""
    if not delivery_ids:
        return []
    query = (
        select(EventDelivery, WebhookEndpoint, MerchantEvent)
        .join(WebhookEndpoint, col(WebhookEndpoint.id) == EventDelivery.endpoint_id)
        .join(MerchantEvent, col(MerchantEvent.seq) == EventDelivery.event_seq)
        .where(col(EventDelivery.id).in_(delivery_ids))
        .order_by(col(EventDelivery.id))
    )
    out = []
    for d, e, event in session.exec(query).all():
        keys = (e.secret,)
        if e.previous_secret and e.previous_secret_until is not None and e.previous_secret_until > now:
            keys += (e.previous_secret,)
        out.append(
            Job(
                delivery_id=d.id,
                merchant_id=d.merchant_id,
                endpoint_id=e.id,
                return_id=d.return_id,
                url=e.url,
                secrets=keys,
                event_id=event.id,
                event_type=event.type,
                event_at=event.created_at,
                data=event.payload or {},
            )
        )
    return out


def record_attempt(session: Session, job: Job, outcome: Outcome, now: datetime, give_up_after: timedelta) -> str:
    """The attempt on the delivery and in the log; a failure is retried with backoff until `give_up_after` has
    passed since the first attempt: then the delivery fails, its endpoint is disabled and ops are told.
    The delivery's resulting status."""
    d = session.get(EventDelivery, job.delivery_id)
    d.attempts += 1
    d.first_attempt_at = d.first_attempt_at or now
    d.last_status_code, d.last_latency_ms, d.last_error = outcome.status_code, outcome.latency_ms, outcome.error
    if d.status != PENDING:
        pass  # cancelled while it was being sent (its endpoint deleted): only logged
    elif outcome.delivered:
        d.status, d.delivered_at = DELIVERED, now
    elif job.event_type == EventType.PING:  # a test: its answer is the merchant's now; never retried, never disabling
        d.status = FAILED
    elif now - d.first_attempt_at >= give_up_after:
        d.status = FAILED
        _disable(session, job, now, give_up_after, outcome)
    else:
        d.next_attempt_at = now + backoff(d.attempts, d.id)
    session.add(d)
    session.add(
        WebhookDelivery(
            merchant_id=job.merchant_id,
            event_id=job.event_id,
            event_type=job.event_type,
            return_id=job.return_id,
            url=shown_url(job.url),  # never a password saved before userinfo was refused
            attempt=d.attempts,
            status_code=outcome.status_code,
            error=outcome.error,
            delivered=outcome.delivered,
            attempted_at=now,
            endpoint_id=job.endpoint_id,
            delivery_id=d.id,
            latency_ms=outcome.latency_ms,
        )
    )
    return d.status


def _disable(session: Session, job: Job, now: datetime, give_up_after: timedelta, outcome: Outcome) -> None:
    row = session.get(WebhookEndpoint, job.endpoint_id)
    if row is None or not row.enabled:
        return
    hours = give_up_after.total_seconds() / 3600
    last = f"HTTP {outcome.status_code}" if outcome.status_code is not None else "no answer"
    reason = f"no 2xx answer for {hours:g} h (last: {last}); its deliveries wait until it is enabled again"
    row.enabled, row.disabled_reason, row.updated_at = False, reason, now
    session.add(row)
    session.add(
        AttentionItem(
            merchant_id=row.merchant_id,
            key=f"{AttentionKind.WEBHOOK_ENDPOINT_DISABLED.value}:{row.id}:{now.isoformat()}",
            kind=AttentionKind.WEBHOOK_ENDPOINT_DISABLED.value,
            return_id=None,
            reason=f"webhook endpoint {row.id} disabled: {reason}",
            created_at=now,
        )
    )


# ---- the merchant's view ----


@dataclass(frozen=True)
class DeliveryRow:
    delivery: EventDelivery
    event_type: str
    url: str | None  # None: the endpoint was deleted


def delivery_rows(
    session: Session,
    merchant_id: str,
    limit: int,
    after: tuple[datetime, int] | None = None,
    *,
    endpoint_id: str | None = None,
    event_id: str | None = None,
    return_id: str | None = None,
    status: str | None = None,
) -> list[DeliveryRow]:
    """The merchant's deliveries, newest first (after `after`: a page's last (created_at, id))."""
    query = (
        select(EventDelivery, MerchantEvent.type, WebhookEndpoint.url)
        .join(MerchantEvent, col(MerchantEvent.seq) == EventDelivery.event_seq)
        .join(WebhookEndpoint, col(WebhookEndpoint.id) == EventDelivery.endpoint_id, isouter=True)
        .where(EventDelivery.merchant_id == merchant_id)
    )
    for column, value in (
        (EventDelivery.endpoint_id, endpoint_id),
        (EventDelivery.event_id, event_id),
        (EventDelivery.return_id, return_id),
        (EventDelivery.status, status),
    ):
        if value is not None:
            query = query.where(column == value)
    query = after_row(query, col(EventDelivery.created_at), col(EventDelivery.id), after, newest_first=True)
    query = query.order_by(col(EventDelivery.created_at).desc(), col(EventDelivery.id).desc()).limit(limit)
    return [DeliveryRow(d, t, u) for d, t, u in session.exec(query).all()]


def delivery(session: Session, merchant_id: str, delivery_id: int) -> EventDelivery | None:
    row = session.get(EventDelivery, delivery_id)
    return row if row is not None and row.merchant_id == merchant_id else None


def attempts(session: Session, merchant_id: str, delivery_id: int) -> list[WebhookDelivery] | None:
    """Every attempt at the delivery, first first; None when it is not the merchant's."""
    if delivery(session, merchant_id, delivery_id) is None:
        return None
    query = select(WebhookDelivery).where(WebhookDelivery.delivery_id == delivery_id)
    return list(session.exec(query.order_by(col(WebhookDelivery.attempt), col(WebhookDelivery.id))))


def redeliver(session: Session, merchant_id: str, delivery_id: int, now: datetime) -> EventDelivery | None:
    """The delivery pending again, due now, with a fresh give-up period (its attempts keep counting).
    None: not the merchant's; EndpointGone: its endpoint was deleted; DeliveryPending: it is still pending. A
    pending delivery may be leased to a sender posting it now (next_attempt_at is then the lease's end): making it
    due would hand it to a second sender, so only a delivered, failed or cancelled one is sent again."""
    row = delivery(session, merchant_id, delivery_id)
    if row is None:
        return None
    if row.status == PENDING:
        raise DeliveryPending(f"webhook delivery {delivery_id} is still pending: it is tried on its own")
    if endpoint(session, merchant_id, row.endpoint_id) is None:
        raise EndpointGone(f"the endpoint {row.endpoint_id} of this delivery was deleted")
    row.status, row.next_attempt_at, row.first_attempt_at, row.delivered_at = PENDING, now, None, None
    session.add(row)
    return row


def add_ping(
    session: Session, merchant_id: str, endpoint_id: str | None, now: datetime, lease: timedelta
) -> list[int] | None:
    """A `webhook.ping` event for one endpoint (None: every endpoint of the merchant), its deliveries leased to
    the caller, who sends them now. None: no such endpoint of the merchant."""
    if endpoint_id is not None:
        found = endpoint(session, merchant_id, endpoint_id)
        if found is None:
            return None
        targets = [found]
    else:
        targets = endpoints(session, merchant_id)
    if not targets:
        return []
    event_id = "evt_ping_" + secrets.token_hex(12)
    data = {"message": "a test event from Returnflow"}
    event = outbox.add_event(session, merchant_id, event_id, EventType.PING, data, targets, now)
    session.flush()
    rows = session.exec(select(EventDelivery).where(EventDelivery.event_seq == event.seq)).all()
    for row in rows:
        row.next_attempt_at = now + lease
        session.add(row)
    return [row.id for row in rows]
