"""What a shopper's email (one shopper_emails row) is about, read from the database by its ids: the shopper's
address and name (from the order), the reader (activities.audience), and the facts its kind tells.

The address is used to send and nothing else: never logged, never in an error. Facts only here; the
words are activities/mail_words.py's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from activities.audience import Audience, audience_of
from db.return_choices import choices_of
from db.returns import timeline
from db.store_credit import customer_entries
from db.stores import store_of, stores_of
from db.tables import Merchant, Order, ReturnRecord, ShopperEmail
from domain.facilities import Facility
from domain.money import Money
from domain.notifications import MailKind, PickupFacts
from domain.store_credit import Entry, balance

# Where a shopper follows a parcel, by carrier (as EasyPost names them); another carrier: the code and the portal.
TRACKING_PAGES = {
    "usps": "https://tools.usps.com/go/TrackConfirmAction?tLabels={code}",
    "ups": "https://www.ups.com/track?tracknum={code}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={code}",
    "dhl": "https://www.dhl.com/global-en/home/tracking.html?tracking-id={code}",
    "dhlexpress": "https://www.dhl.com/global-en/home/tracking.html?tracking-id={code}",
    "postnl": "https://jouw.postnl.nl/track-and-trace/{code}",
    "dpd": "https://tracking.dpd.de/status/en_US/parcel/{code}",
}


@dataclass(frozen=True)
class Shipped:
    title: str
    tracking_code: str
    link: str | None


@dataclass(frozen=True)
class MailFacts:
    kind: MailKind
    to: str
    shopper_name: str
    return_id: str
    merchant_id: str
    order_id: str
    status: str  # the return's, now: a reminder is sent only while it still stands
    pickup: PickupFacts | None
    audience: Audience
    carrier: str | None = None
    tracking_code: str | None = None
    label_url: str | None = None
    window: tuple[datetime, datetime] | None = None  # a booked pickup's, UTC
    until: datetime | None = None  # the label's expiry or the hand-in deadline
    stores: list[Facility] = field(default_factory=list)
    amount: Money | None = None
    balance: Money | None = None
    payment_method: str | None = None  # None: "the original payment method"
    reasons: list[str] = field(default_factory=list)
    shipped: list[Shipped] = field(default_factory=list)


def tracking_link(carrier: str | None, code: str) -> str | None:
    page = TRACKING_PAGES.get("".join(c for c in (carrier or "").lower() if c.isalnum()))
    return page.format(code=code) if page else None


def _aware(value: Any) -> datetime | None:
    try:
        at = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return at if at.tzinfo is not None else None


def _money(value: Any) -> Money | None:
    if not isinstance(value, dict) or not isinstance(value.get("amount"), int) or not value.get("currency"):
        return None
    return Money(amount=value["amount"], currency=value["currency"])


def _first_at(session: Session, return_id: str, **match: str) -> datetime | None:
    for entry in timeline(session, return_id):
        if all(getattr(entry, k) == v for k, v in match.items()):
            return entry.at
    return None


def read_facts(session: Session, email: ShopperEmail) -> MailFacts | str:
    """The facts of `email`, or why it cannot be sent (a sentence without customer data)."""
    row = session.get(ReturnRecord, email.return_id)
    if row is None or row.merchant_id != email.merchant_id:
        return f"return {email.return_id} not found"
    order = session.get(Order, (row.merchant_id, row.order_id))
    customer = (order.customer if order else None) or {}
    if not customer.get("email"):
        return f"order {row.order_id} has no shopper email"
    merchant = session.get(Merchant, row.merchant_id)
    label = row.label or {}
    pickup = label.get("pickup") or None
    window = (pickup or {}).get("window") or {}
    start, end = _aware(window.get("min_datetime")), _aware(window.get("max_datetime"))
    facts = dict(
        kind=MailKind(email.kind),
        to=customer["email"],
        shopper_name=customer.get("name") or "",
        return_id=row.id,
        merchant_id=row.merchant_id,
        order_id=row.order_id,
        status=row.status,
        pickup=PickupFacts(str(pickup.get("pickup_id", "")), str(pickup.get("status", "scheduled")), start)
        if pickup and start
        else None,
        audience=audience_of(session, merchant, row.merchant_id, row.id),
        carrier=(pickup or {}).get("carrier") or label.get("carrier"),
        tracking_code=label.get("tracking_code"),
        label_url=label.get("label_url"),
        window=(start, end) if start and end else None,
    )
    return MailFacts(**facts, **_of_kind(session, MailKind(email.kind), row, order, merchant))


def _of_kind(session: Session, kind: MailKind, row: ReturnRecord, order: Order, merchant: Merchant | None) -> dict:
    expiry = timedelta(days=merchant.label_expiry_days if merchant else 30)
    refund = row.refund or {}
    if kind == MailKind.HAND_IN_READY:
        choice = choices_of(session, row.merchant_id, row.id)
        chosen = store_of(session, row.merchant_id, choice.store_id) if choice and choice.store_id else None
        waiting = _first_at(session, row.id, status="awaiting_hand_in")
        advance = (row.exchange or {}).get("mode") == "advance"  # its original has a deadline of its own
        until = waiting + expiry if waiting and not advance else None
        return {"stores": [chosen] if chosen else stores_of(session, row.merchant_id), "until": until}
    if kind == MailKind.LABEL_REMINDER:
        bought = _first_at(session, row.id, event="label")
        return {"until": bought + expiry if bought else None}
    if kind == MailKind.REJECTED:
        return {"reasons": [str(r) for r in row.decision_reasons or []]}
    if kind == MailKind.REFUND_SENT:
        method = (order.payment or {}).get("method") if order else None
        return {"amount": _money(refund.get("amount")), "payment_method": method if isinstance(method, str) else None}
    if kind == MailKind.STORE_CREDIT_ISSUED:
        amount = _money(refund.get("amount"))
        return {"amount": amount, "balance": _balance(session, row.merchant_id, order, amount)}
    if kind == MailKind.EXCHANGE_SHIPPED:
        return {"shipped": _shipped(row, order)}
    if kind == MailKind.MONEY_OWED:
        difference = _money((row.exchange or {}).get("difference"))
        return {"amount": difference if difference and difference.amount > 0 else _money(refund.get("amount"))}
    return {}


def _balance(session: Session, merchant_id: str, order: Order, issued: Money | None) -> Money | None:
    if issued is None:
        return None
    rows = customer_entries(session, merchant_id, order.customer["email"])
    entries = [
        Entry(amount=r.amount, currency=r.currency, kind=r.kind, created_at=r.created_at, expires_at=r.expires_at)
        for r in rows
    ]
    return balance(entries, issued.currency)


def _shipped(row: ReturnRecord, order: Order | None) -> list[Shipped]:
    titles = {line.get("sku"): line.get("title") for line in ((order.lines if order else None) or [])}
    carrier = (row.label or {}).get("carrier")  # replacements go with the return's carrier account
    return [
        Shipped(
            titles.get(r.get("sku")) or r.get("sku") or "",
            r["tracking_code"],
            tracking_link(carrier, r["tracking_code"]),
        )
        for r in (row.exchange or {}).get("replacements") or []
        if r.get("status") == "shipped" and r.get("tracking_code")
    ]
