"""The notification outbox, written in the projection's transaction: the events some endpoint wants
(one delivery per endpoint) and the shopper's emails the merchant has switched on. Each announcement
is kept once per return (its key), so a retried or later projection adds nothing twice; nothing is
written when nobody wants it (no endpoint for the event, the email switched off).

The outbox drain (activities/outbox.py) sends what is due; this module only decides what to keep.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from db.tables import EventDelivery, Merchant, MerchantEvent, ShopperEmail, WebhookEndpoint
from domain.notifications import Announcement, EventType, MailKind, wanted_by, withdrawn
from workflows.ids import merchant_event_id

REFUSED = "refused"


def keep(
    session: Session,
    merchant_id: str,
    return_id: str,
    status: str,
    announcements: list[Announcement],
    payload: dict,
    now: datetime,
) -> None:
    """Write what `announcements` asks for that nobody has written before, and withdraw the reminders
    the return's progress (`status`) made pointless."""
    events = [a for a in announcements if a.event is not None]
    mails = [a for a in announcements if a.mail is not None]
    if events:
        _keep_events(session, merchant_id, return_id, events, payload, now)
    if mails:
        _keep_mails(session, merchant_id, return_id, status, mails, now)
    pointless = [kind.value for kind in MailKind if withdrawn(kind, status)]
    if pointless:
        # One conditional statement, not read-then-write: a reminder the mailer records sent meanwhile stays sent
        # (PostgreSQL re-checks `pending` once the mailer's row lock is released).
        session.exec(
            update(ShopperEmail)
            .where(
                ShopperEmail.return_id == return_id,
                ShopperEmail.status == "pending",
                col(ShopperEmail.kind).in_(pointless),
            )
            .values(status="withdrawn", last_error=f"the return is {status}")
        )


def endpoints_wanting(session: Session, merchant_id: str, event: EventType) -> list[WebhookEndpoint]:
    query = select(WebhookEndpoint).where(WebhookEndpoint.merchant_id == merchant_id, WebhookEndpoint.enabled)
    return [e for e in session.exec(query.order_by(WebhookEndpoint.created_at)) if wanted_by(e.events, event)]


def add_event(
    session: Session,
    merchant_id: str,
    event_id: str,
    event: EventType,
    data: dict,
    endpoints: list[WebhookEndpoint],
    now: datetime,
    return_id: str | None = None,
) -> MerchantEvent | None:
    """The event and one pending delivery per endpoint; None if it was written before (nothing added)."""
    if session.exec(select(MerchantEvent.seq).where(MerchantEvent.id == event_id)).first() is not None:
        return None
    row = MerchantEvent(
        id=event_id, merchant_id=merchant_id, return_id=return_id, type=event.value, payload=data, created_at=now
    )
    session.add(row)
    session.flush()
    for endpoint in endpoints:
        session.add(
            EventDelivery(
                event_seq=row.seq,
                event_id=event_id,
                endpoint_id=endpoint.id,
                merchant_id=merchant_id,
                return_id=return_id,
                next_attempt_at=now,
                created_at=now,
            )
        )
    return row


def _keep_events(session, merchant_id, return_id, events: list[Announcement], payload: dict, now) -> None:
    for a in events:
        endpoints = endpoints_wanting(session, merchant_id, a.event)
        if not endpoints:  # nobody listens: no row, no delivery, nothing on the timeline
            continue
        event_id = merchant_event_id(return_id, a.key)
        data = {"event_id": event_id, "return": payload} | ({"subject": a.about} if a.about else {})
        add_event(session, merchant_id, event_id, a.event, data, endpoints, now, return_id)


def _keep_mails(session, merchant_id, return_id, status: str, mails: list[Announcement], now) -> None:
    merchant = session.get(Merchant, merchant_id)
    off = set((merchant.mail_off if merchant else None) or [])
    known = {row.key: row for row in session.exec(select(ShopperEmail).where(ShopperEmail.return_id == return_id))}
    refused = any(row.status == REFUSED for row in known.values())
    for a in mails:
        if a.key in known or a.mail.value in off:
            continue
        if a.due_at is not None and a.due_at <= now:  # a reminder already too late (a short expiry, a pickup soon)
            continue
        if withdrawn(a.mail, status):  # pointless already (the label was scanned in the write that bought it)
            continue
        row = ShopperEmail(
            return_id=return_id,
            merchant_id=merchant_id,
            kind=a.mail.value,
            key=a.key,
            about=a.about,
            status="suppressed" if refused else "pending",
            last_error="an earlier email to this address was refused" if refused else None,
            scheduled=a.due_at is not None,
            next_attempt_at=a.due_at or now,
            created_at=now,
        )
        session.add(row)
        known[a.key] = row
        if a.mail == MailKind.LABEL_READY:  # a new label: the one it replaced need not be mailed (nor hold this back)
            for older in known.values():
                if older.kind == a.mail.value and older.about != a.about and older.status == "pending":
                    older.status, older.last_error = "withdrawn", "a newer label replaced it"
                    session.add(older)
