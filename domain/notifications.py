"""Who hears about what: the merchant's events and the shopper's emails a return's progress implies.

Pure. The projection (activities/store.py) calls `announcements` with what it is writing now; the
outbox keeps each announcement once per return (its `key`), so calling it again with the same or a
later picture adds nothing twice. Status events come from the timeline entries being written (each
is written once), money and shipment events from the return's current picture (level-triggered:
true from now on, kept once by key).

Order: within one write, announcements come in the order the return lived them: status steps in
timeline order, money and shipment news just before the final status of that write (a refund is
sent before the return completes), a pickup's news at its lines, attention where it was flagged.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class EventType(StrEnum):
    """What a merchant's endpoint may subscribe to (its `events` filter); values are in stored rows."""

    RETURN_CREATED = "return.created"
    RETURN_PENDING_REVIEW = "return.pending_review"
    RETURN_REJECTED = "return.rejected"
    RETURN_LABEL_CREATED = "return.label_created"
    RETURN_AWAITING_HAND_IN = "return.awaiting_hand_in"  # a store return: no label, waits for the shopper
    RETURN_IN_TRANSIT = "return.in_transit"
    RETURN_DELIVERED = "return.delivered"
    RETURN_RECEIVED = "return.received"
    RETURN_INSPECTED = "return.inspected"
    RETURN_COMPLETED = "return.completed"
    RETURN_CANCELLED = "return.cancelled"
    RETURN_EXPIRED = "return.expired"
    RETURN_NEEDS_ATTENTION = "return.needs_attention"
    REFUND_SUCCEEDED = "refund.succeeded"
    REFUND_FAILED = "refund.failed"
    STORE_CREDIT_ISSUED = "store_credit.issued"
    EXCHANGE_SHIPPED = "exchange.shipped"
    EXCHANGE_CHARGED = "exchange.charged"
    # Sent only by POST /v1/webhook-endpoint/test, to the endpoints asked, whatever their filter.
    PING = "webhook.ping"


SUBSCRIBABLE = tuple(t for t in EventType if t != EventType.PING)


class MailKind(StrEnum):
    """The shopper's emails; a merchant switches each on or off (GET/PUT /v1/merchant/notifications)."""

    # The label and its QR code attached: kept with the label's line since the workflow's Patch.LABEL_MAIL_OUTBOX
    # (Progress.label_mail); returns started before it send it by an activity of their own and record its row
    LABEL_READY = "label_ready"
    HAND_IN_READY = "hand_in_ready"  # a store return accepted: where and until when to bring it
    HELD_FOR_REVIEW = "held_for_review"
    REVIEW_APPROVED = "review_approved"
    REJECTED = "rejected"
    LABEL_REMINDER = "label_reminder"  # the label is unused and expires in REMINDER_BEFORE_EXPIRY
    PICKUP_BOOKED = "pickup_booked"
    PICKUP_REMINDER = "pickup_reminder"  # the day before the pickup window
    PICKUP_MISSED = "pickup_missed"  # the window passed without the carrier: drop it off instead
    IN_TRANSIT = "in_transit"
    RECEIVED = "received"
    REFUND_SENT = "refund_sent"
    STORE_CREDIT_ISSUED = "store_credit_issued"
    EXCHANGE_SHIPPED = "exchange_shipped"
    MONEY_OWED = "money_owed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


REMINDER_BEFORE_EXPIRY = timedelta(days=3)
PICKUP_REMINDER_BEFORE = timedelta(days=1)

_STATUS_EVENTS = {
    "requested": EventType.RETURN_CREATED,
    "pending_review": EventType.RETURN_PENDING_REVIEW,
    "rejected": EventType.RETURN_REJECTED,
    "label_created": EventType.RETURN_LABEL_CREATED,
    "awaiting_hand_in": EventType.RETURN_AWAITING_HAND_IN,
    "in_transit": EventType.RETURN_IN_TRANSIT,
    "delivered": EventType.RETURN_DELIVERED,
    "received": EventType.RETURN_RECEIVED,
    "inspected": EventType.RETURN_INSPECTED,
    "completed": EventType.RETURN_COMPLETED,
    "cancelled": EventType.RETURN_CANCELLED,
    "expired": EventType.RETURN_EXPIRED,
}
_STATUS_MAILS = {
    "awaiting_hand_in": MailKind.HAND_IN_READY,
    "pending_review": MailKind.HELD_FOR_REVIEW,
    "rejected": MailKind.REJECTED,
    "in_transit": MailKind.IN_TRANSIT,
    "delivered": MailKind.IN_TRANSIT,  # a first scan at delivery: the parcel was on its way (once, by key)
    "received": MailKind.RECEIVED,
    "cancelled": MailKind.CANCELLED,
    "expired": MailKind.EXPIRED,
}
# Delivered after in_transit: the shopper was told it is on its way when it was.
_TOLD_IN_TRANSIT = ("delivered", "in_transit")
FINAL = frozenset({"rejected", "completed", "cancelled", "expired"})
# Past these the label was used (or the return ended): a pending label reminder is withdrawn.
LABEL_USED_OR_GONE = frozenset({"in_transit", "delivered", "received", "inspected", "settling"}) | FINAL
# The lines that give the shopper a label: the first one bought, a new one for a label the carrier cancelled.
_LABEL_LINES = frozenset({"label", "relabel"})
# The timeline events of the lines written where money is paid or replacements ship (workflows/returns).
_MONEY_LINES = frozenset({"settlement", "exchange"})
# A pickup that will not come (missed, or called off by the carrier): the shopper is offered the drop-off.
DROP_OFF_OFFERED = frozenset({"missed", "cancelled_by_carrier"})


@dataclass(frozen=True)
class Step:
    """One timeline entry being written now (domain view of workflows' TimelineEntry)."""

    seq: int
    at: datetime
    status: str
    event: str
    cause: str = ""


@dataclass(frozen=True)
class PickupFacts:
    pickup_id: str
    status: str  # workflows PickupStatus values
    window_start: datetime


@dataclass(frozen=True)
class Progress:
    """The return as the projection writes it now, reduced to what notifications depend on."""

    status: str
    steps: tuple[Step, ...] = ()  # the entries written now, in seq order
    # The status of the line before this write's first (None: the first write, or not known). A status is news
    # at the line that entered it; after the end only new attention is (items routed after completion).
    status_before: str | None = None
    # (attention key, kind, reason) flagged now; the reason is the cause of the timeline line that flagged it
    new_attention: tuple[tuple[str, ...], ...] = ()
    settlement_method: str | None = None  # refund | store_credit | exchange
    settlement_status: str | None = None
    settlement_amount: int = 0
    label_tracking_code: str | None = None
    label_mail: bool = False  # the label email is the outbox's (else the return's workflow sends it itself)
    label_expires_at: datetime | None = None  # None: no reminder (an advance exchange's original, a store)
    pickup: PickupFacts | None = None
    replacements_shipped: tuple[str, ...] = ()  # tracking codes
    exchange_charged: bool = False
    refund_failed: bool = False  # a refund refused for good (the shopper got credit instead)


@dataclass(frozen=True)
class Announcement:
    """An event for the merchant's endpoints or an email for the shopper, kept once per (return, key)."""

    key: str
    event: EventType | None = None
    mail: MailKind | None = None
    due_at: datetime | None = None  # a reminder: not before then, and only while `still_wanted`
    about: str | None = None  # what a keyed-by-instance announcement is about (a pickup, an attention key)
    position: float = field(default=0.0, compare=False)


# A key is kept in stored rows (an event's id is made of it): a long subject is cut to a digest.
_LONGEST_ABOUT = 80


def _keyed(prefix: str, about: str | None) -> str:
    if not about:
        return prefix
    if len(about) > _LONGEST_ABOUT:
        about = about[:40] + "~" + hashlib.sha256(about.encode()).hexdigest()[:24]
    return f"{prefix}:{about}"


def _event(event: EventType, position: float, about: str | None = None) -> Announcement:
    return Announcement(key=_keyed(event.value, about), event=event, about=about, position=position)


def _mail(kind: MailKind, position: float, about: str | None = None, due_at: datetime | None = None) -> Announcement:
    return Announcement(
        key=_keyed("mail:" + kind.value, about), mail=kind, about=about, due_at=due_at, position=position
    )


def announcements(progress: Progress) -> list[Announcement]:
    """Every announcement this write implies, in the order the return lived them (dedupe by key is the
    outbox's: the same announcement implied again by a later write is dropped there)."""
    out: list[Announcement] = []
    steps = progress.steps
    final_at = next((i for i, s in enumerate(steps) if s.status in FINAL), len(steps))
    before = progress.status_before
    for i, step in enumerate(steps):
        entered, came_from, before = step.status != before, before, step.status
        if entered and (event := _STATUS_EVENTS.get(step.status)):
            out.append(_event(event, i))
        if entered and (kind := _STATUS_MAILS.get(step.status)) and (step.status, came_from) != _TOLD_IN_TRANSIT:
            out.append(_mail(kind, i))
        if step.event == "review" and step.status == "pending_review" and step.cause.startswith("approved"):
            out.append(_mail(MailKind.REVIEW_APPROVED, i))
        if (
            step.status == "label_created"
            and step.event in _LABEL_LINES
            and progress.label_mail
            and progress.label_tracking_code
        ):
            # The label the return has now, once per label (a relabel is a new one); the mailer sends it only
            # while it is still the shopper's (activities/shopper_mail.py).
            out.append(_mail(MailKind.LABEL_READY, i, about=progress.label_tracking_code))
        if step.status == "label_created" and progress.label_expires_at is not None:
            # One per return: a relabel gives the shopper a new label but not a later deadline.
            due = progress.label_expires_at - REMINDER_BEFORE_EXPIRY
            out.append(_mail(MailKind.LABEL_REMINDER, i, due_at=due))
    out.extend(_attention(progress, len(steps)))
    if progress.status_before not in FINAL:  # the picture's facts were news while the return lived, not after
        # Money and shipments change in a write with a settlement or exchange line; the end says them again
        # (kept once by key), so a path that changed them without such a line is announced then at the latest.
        if final_at < len(steps) or any(s.event in _MONEY_LINES for s in steps):
            out.extend(_money_and_shipments(progress, final_at - 0.5))
        out.extend(_pickup(progress))
    out.sort(key=lambda a: a.position)
    seen: set[str] = set()
    return [a for a in out if not (a.key in seen or seen.add(a.key))]


def _attention(p: Progress, end: int) -> list[Announcement]:
    """Each flag where its timeline line is (the line says the flag's reason), else at the end of the write."""
    lines = [(i, s.cause) for i, s in enumerate(p.steps) if s.event == "attention"]
    out = []
    for j, (key, _kind, *reason) in enumerate(p.new_attention):
        at = next((i for i, cause in lines if reason and cause == reason[0]), None)
        if at is not None:
            lines.remove((at, reason[0]))
        out.append(_event(EventType.RETURN_NEEDS_ATTENTION, (at if at is not None else end) + 0.1 + j / 1000, key))
    return out


def _money_and_shipments(p: Progress, position: float) -> list[Announcement]:
    out = []
    if p.refund_failed:
        out.append(_event(EventType.REFUND_FAILED, position))
    if p.settlement_amount > 0 and p.settlement_method == "refund" and p.settlement_status == "succeeded":
        out += [_event(EventType.REFUND_SUCCEEDED, position), _mail(MailKind.REFUND_SENT, position)]
    if p.settlement_amount > 0 and p.settlement_method == "store_credit" and p.settlement_status == "issued":
        out += [_event(EventType.STORE_CREDIT_ISSUED, position), _mail(MailKind.STORE_CREDIT_ISSUED, position)]
    if p.replacements_shipped:
        out += [_event(EventType.EXCHANGE_SHIPPED, position), _mail(MailKind.EXCHANGE_SHIPPED, position)]
    if p.exchange_charged:
        out.append(_event(EventType.EXCHANGE_CHARGED, position))
    if p.settlement_status == "charge_failed":
        out.append(_mail(MailKind.MONEY_OWED, position))
    return out


def _pickup(p: Progress) -> list[Announcement]:
    """A pickup is news in the write of its line: booked (and its reminder) while it is scheduled, at the
    first pickup line; missed (or called off) at the last. A later write that merely still shows it says
    nothing again (an email switched on meanwhile does not hear of an old booking)."""
    lines = [i for i, s in enumerate(p.steps) if s.event == "pickup"]
    if p.pickup is None or not lines:
        return []
    pid, out = p.pickup.pickup_id, []
    if p.pickup.status == "scheduled":
        due = p.pickup.window_start - PICKUP_REMINDER_BEFORE
        out += [
            _mail(MailKind.PICKUP_BOOKED, lines[0] + 0.1, about=pid),
            _mail(MailKind.PICKUP_REMINDER, lines[0] + 0.1, about=pid, due_at=due),
        ]
    if p.pickup.status in DROP_OFF_OFFERED:
        out.append(_mail(MailKind.PICKUP_MISSED, lines[-1] + 0.1, about=pid))
    return out


def still_wanted(kind: MailKind, about: str | None, status: str, pickup: PickupFacts | None) -> bool:
    """A scheduled reminder, when it falls due: sent only if what it reminds of still stands."""
    if kind == MailKind.LABEL_REMINDER:
        return status == "label_created"
    if kind == MailKind.PICKUP_REMINDER:
        return pickup is not None and pickup.pickup_id == about and pickup.status == "scheduled"
    return True


# Pending, these are pointless once the label is used or the return ended (a label email still retrying, too: the
# shopper evidently has the label, and the return's later emails must not wait behind it).
_ABOUT_THE_UNUSED_LABEL = (MailKind.LABEL_READY, MailKind.LABEL_REMINDER, MailKind.PICKUP_REMINDER)


def withdrawn(kind: MailKind, status: str) -> bool:
    """A pending email the return's progress has made pointless: after the first scan (or the end) nobody
    needs the label mailed, nor reminding of it or of a pickup."""
    return kind in _ABOUT_THE_UNUSED_LABEL and status in LABEL_USED_OR_GONE


def wanted_by(filter_: list[str] | None, event: EventType) -> bool:
    """An endpoint's filter: None or ["*"] is every event; the ping goes to whoever is asked."""
    return event == EventType.PING or not filter_ or "*" in filter_ or event.value in filter_
