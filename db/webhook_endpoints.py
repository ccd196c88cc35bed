"""A merchant's webhook endpoints: created, read, changed, rotated, deleted; and the single-endpoint API of
before (PUT/GET /v1/webhook-endpoint) as a view of the merchant's first endpoint.

A secret is `whsec_` + base64 of 32 random bytes (the Standard Webhooks form), shown to the merchant once.
Deliveries and the event outbox are db/webhook_deliveries.py's."""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from db.tables import AttentionItem, EventDelivery, Merchant, WebhookDelivery, WebhookEndpoint
from workflows.contract.statuses import AttentionKind

MAX_ENDPOINTS = 10
CANCELLED = "cancelled"  # a delivery whose endpoint was deleted


class TooManyEndpoints(Exception):
    pass


class RotationInProgress(Exception):
    """A replaced secret still signs until `until`: rotating again would retire it before the time it was given."""

    def __init__(self, until: datetime) -> None:
        super().__init__(f"the secret replaced last still signs until {until.isoformat()}; rotate again after that")
        self.until = until


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def new_endpoint_id() -> str:
    return "we_" + secrets.token_hex(12)


def endpoints(session: Session, merchant_id: str) -> list[WebhookEndpoint]:
    query = select(WebhookEndpoint).where(WebhookEndpoint.merchant_id == merchant_id)
    return list(session.exec(query.order_by(col(WebhookEndpoint.created_at), col(WebhookEndpoint.id))))


def endpoint(session: Session, merchant_id: str, endpoint_id: str) -> WebhookEndpoint | None:
    """The merchant's endpoint by id; another merchant's is None, like one that never existed."""
    row = session.get(WebhookEndpoint, endpoint_id)
    return row if row is not None and row.merchant_id == merchant_id else None


def create_endpoint(
    session: Session,
    merchant_id: str,
    url: str,
    events: list[str] | None,
    description: str | None,
    now: datetime,
    limit: int = MAX_ENDPOINTS,
) -> WebhookEndpoint:
    """A new endpoint with a new secret (the returned row holds it: show it once). TooManyEndpoints past `limit`."""
    if len(endpoints(session, merchant_id)) >= limit:
        raise TooManyEndpoints(f"a merchant has at most {limit} webhook endpoints; delete one first")
    row = WebhookEndpoint(
        id=new_endpoint_id(),
        merchant_id=merchant_id,
        url=url,
        events=_filter(events),
        description=description,
        secret=new_secret(),
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return row


def update_endpoint(
    session: Session, merchant_id: str, endpoint_id: str, changes: dict, now: datetime
) -> WebhookEndpoint | None:
    """Apply the fields given (url, events, description, enabled). Re-enabling clears the reason it was disabled
    and gives the deliveries it held a fresh give-up period, due now (all but one a sender is posting right now:
    it keeps its lease, or it would be posted twice)."""
    row = endpoint(session, merchant_id, endpoint_id)
    if row is None:
        return None
    if "url" in changes:
        row.url = changes["url"]
        _mirror(session, row)
    if "events" in changes:
        row.events = _filter(changes["events"])
    if "description" in changes:
        row.description = changes["description"]
    if "enabled" in changes and changes["enabled"] != row.enabled:
        row.enabled = bool(changes["enabled"])
        if row.enabled:
            row.disabled_reason = None
            for held in _pending(session, endpoint_id):
                held.first_attempt_at = None
                if held.next_attempt_at <= now or _backing_off(session, held):
                    held.next_attempt_at = now  # a leased one (being posted now) keeps its lease: posted once
                session.add(held)
            _resolve_disabled_items(session, row, now)
        else:
            row.disabled_reason = "disabled by the merchant"
    row.updated_at = now
    session.add(row)
    return row


def delete_endpoint(session: Session, merchant_id: str, endpoint_id: str, now: datetime) -> bool:
    """Remove the endpoint; its pending deliveries are cancelled (the log of what was sent stays)."""
    row = endpoint(session, merchant_id, endpoint_id)
    if row is None:
        return False
    for pending in _pending(session, endpoint_id):
        pending.status, pending.last_error = CANCELLED, "the endpoint was deleted"
        session.add(pending)
    _unmirror(session, row)
    session.delete(row)
    return True


def rotate_secret(
    session: Session, merchant_id: str, endpoint_id: str, overlap: timedelta, now: datetime
) -> WebhookEndpoint | None:
    """A new secret; the one it replaces keeps signing beside it until `now + overlap`. Only one replaced secret
    is kept, so while one still overlaps another rotation is refused (RotationInProgress): every replaced secret
    signs until the end it was given. No overlap retires every old secret at once (a leaked secret), whenever."""
    row = endpoint(session, merchant_id, endpoint_id)
    if row is None:
        return None
    overlapping = row.previous_secret and row.previous_secret_until is not None and row.previous_secret_until > now
    if overlap > timedelta(0) and overlapping:
        raise RotationInProgress(row.previous_secret_until)
    if overlap > timedelta(0):
        row.previous_secret, row.previous_secret_until = row.secret, now + overlap
    else:
        row.previous_secret, row.previous_secret_until = None, None
    row.secret = new_secret()
    row.updated_at = now
    session.add(row)
    _mirror(session, row)
    return row


# ---- the single endpoint of before: PUT/GET /v1/webhook-endpoint ----


def first_endpoint(session: Session, merchant_id: str) -> WebhookEndpoint | None:
    rows = endpoints(session, merchant_id)
    return rows[0] if rows else None


def put_single_endpoint(session: Session, merchant_id: str, url: str, now: datetime) -> WebhookEndpoint:
    """Create the merchant's first endpoint (every event) or move it to `url`; a new secret each time, at once."""
    row = first_endpoint(session, merchant_id)
    if row is None:
        row = create_endpoint(session, merchant_id, url, None, None, now)
    else:
        row.url, row.secret = url, new_secret()
        row.previous_secret = row.previous_secret_until = None
        row.updated_at = now
        session.add(row)
    _mirror(session, row)
    return row


def _mirror(session: Session, row: WebhookEndpoint) -> None:
    """Returns started before the outbox still deliver through the merchant's own URL and secret: the first
    endpoint keeps them current."""
    first = first_endpoint(session, row.merchant_id)
    merchant = session.get(Merchant, row.merchant_id)
    if merchant is not None and first is not None and first.id == row.id:
        merchant.webhook_url, merchant.webhook_secret = row.url, row.secret
        session.add(merchant)


def _unmirror(session: Session, row: WebhookEndpoint) -> None:
    merchant = session.get(Merchant, row.merchant_id)
    if merchant is not None and merchant.webhook_url == row.url and merchant.webhook_secret == row.secret:
        merchant.webhook_url = merchant.webhook_secret = None
        session.add(merchant)


def _resolve_disabled_items(session: Session, row: WebhookEndpoint, now: datetime) -> None:
    """The attention item opened when the endpoint was disabled is done once the merchant enables it again."""
    kind = AttentionKind.WEBHOOK_ENDPOINT_DISABLED.value
    query = select(AttentionItem).where(
        AttentionItem.merchant_id == row.merchant_id,
        col(AttentionItem.key).startswith(f"{kind}:{row.id}:", autoescape=True),
        col(AttentionItem.resolved_at).is_(None),
    )
    for item in session.exec(query):
        item.resolved_at, item.resolved_by = now, "the endpoint was enabled again"
        session.add(item)


def _pending(session: Session, endpoint_id: str) -> list[EventDelivery]:
    query = select(EventDelivery).where(EventDelivery.endpoint_id == endpoint_id, EventDelivery.status == "pending")
    return list(session.exec(query))


def _backing_off(session: Session, d: EventDelivery) -> bool:
    """Whether a delivery not yet due waits out a retry's backoff (set by its last attempt) rather than a sender's
    lease (set by a claim, next_attempt_at the lease's end): there is no lease column, and the backoff is fixed
    per row and attempt, so the last attempt's time plus it tells them apart. A mismatch only keeps it waiting."""
    from db.webhook_deliveries import backoff  # that module imports this one

    if d.attempts == 0:
        return False  # never attempted, yet not due: only a claim sets that
    query = select(WebhookDelivery.attempted_at).where(
        WebhookDelivery.delivery_id == d.id, WebhookDelivery.attempt == d.attempts
    )
    last = session.exec(query.order_by(col(WebhookDelivery.id).desc())).first()
    if last is None:
        return False
    return abs(_utc(last) + backoff(d.attempts, d.id) - _utc(d.next_attempt_at)) < timedelta(milliseconds=1)


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _filter(events: list[str] | None) -> list[str] | None:
    """None or ["*"] is every event (stored as None); otherwise the names, once each, in the order given."""
    if not events or "*" in events:
        return None
    return list(dict.fromkeys(events))


def shown_url(url: str | None) -> str | None:
    """The URL as answered and logged: a password saved before userinfo was refused (docs/webhooks.md) is masked."""
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return parts._replace(netloc=f"{parts.username}:***@{host}").geturl()
