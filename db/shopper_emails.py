"""The shopper's emails (shopper_emails) as the mailer works through them, and the merchant's switches
(merchants.mail_off). db/outbox.py writes the rows; this module reads what is due and records outcomes.

Statuses: pending -> sent | refused | suppressed | withdrawn | switched_off | failed. A refused address
(a 5xx) suppresses every other pending email of the return: no more mail is sent to it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from db.tables import Merchant, ShopperEmail
from domain.notifications import MailKind

PENDING, SENT, REFUSED, SUPPRESSED = "pending", "sent", "refused", "suppressed"
WITHDRAWN, SWITCHED_OFF, FAILED = "withdrawn", "switched_off", "failed"
SUPPRESSED_WHY = "an earlier email to this address was refused"


def due_by_return(
    session: Session, now: datetime, returns: int = 50, return_id: str | None = None
) -> dict[str, list[ShopperEmail]]:
    """For up to `returns` returns whose next email can go now (the oldest due first): their pending emails that
    come first, by id: those due and those already failing (waiting for their retry: they hold back the later
    ones). A reminder not yet due holds nothing back. A return whose earlier email waits for its retry, or is
    being sent by another mailer, is not chosen: it would send nothing and take a place of the round."""
    earlier = aliased(ShopperEmail)
    held = (
        select(earlier.id)
        .where(
            earlier.return_id == ShopperEmail.return_id,
            earlier.status == PENDING,
            col(earlier.id) < ShopperEmail.id,
            or_(and_(earlier.attempts > 0, earlier.next_attempt_at > now), col(earlier.claimed_until) > now),
        )
        .exists()
    )
    sendable = (
        select(ShopperEmail.return_id)
        .where(ShopperEmail.status == PENDING, ShopperEmail.next_attempt_at <= now, _unclaimed(now), ~held)
        .where(True if return_id is None else ShopperEmail.return_id == return_id)
        .group_by(ShopperEmail.return_id)
        .order_by(func.min(ShopperEmail.next_attempt_at), func.min(ShopperEmail.id))
        .limit(returns)
    )
    ids = list(session.exec(sendable))
    if not ids:
        return {}
    rows = session.exec(
        select(ShopperEmail)
        .where(
            col(ShopperEmail.return_id).in_(ids),
            ShopperEmail.status == PENDING,
            or_(ShopperEmail.next_attempt_at <= now, ShopperEmail.attempts > 0),
        )
        .order_by(ShopperEmail.id)
    )
    out: dict[str, list[ShopperEmail]] = {r: [] for r in ids}
    for row in rows:
        out[row.return_id].append(row)
    return out


def _unclaimed(now: datetime):
    return or_(col(ShopperEmail.claimed_until).is_(None), col(ShopperEmail.claimed_until) <= now)


def claim(session: Session, email_id: int, now: datetime, until: datetime) -> bool:
    """The email is this mailer's to send until `until` when it is pending, due at `now` and no other mailer holds
    it; one conditional UPDATE, so of two mailers at once exactly one gets it. A mailer that dies while holding it
    leaves it due again after `until` (then it may be sent twice: the same Message-ID)."""
    taken = session.exec(
        update(ShopperEmail)
        .where(
            col(ShopperEmail.id) == email_id,
            ShopperEmail.status == PENDING,
            ShopperEmail.next_attempt_at <= now,
            _unclaimed(now),
        )
        .values(claimed_until=until)
    )
    return taken.rowcount == 1


def pending_row(session: Session, email_id: int) -> ShopperEmail | None:
    row = session.get(ShopperEmail, email_id)
    return row if row is not None and row.status == PENDING else None


def refuse(session: Session, row: ShopperEmail, smtp_code: int | None, error: str) -> None:
    """Refused for good: this row says why, and the return's other pending emails are not sent."""
    row.status, row.smtp_code, row.last_error = REFUSED, smtp_code, error[:500]
    row.attempts += 1
    session.add(row)
    others = select(ShopperEmail).where(
        ShopperEmail.return_id == row.return_id, ShopperEmail.status == PENDING, ShopperEmail.id != row.id
    )
    for other in session.exec(others):
        other.status, other.last_error = SUPPRESSED, SUPPRESSED_WHY
        session.add(other)


def sent_times(session: Session, merchant_id: str, return_id: str, kind: MailKind) -> list[datetime]:
    """When each of the return's emails of `kind` went out, oldest first."""
    query = select(ShopperEmail.sent_at).where(
        ShopperEmail.merchant_id == merchant_id,
        ShopperEmail.return_id == return_id,
        ShopperEmail.kind == kind.value,
        ShopperEmail.status == SENT,
    )
    return sorted(at for at in session.exec(query) if at is not None)


# What a mailer of the release before the label email moved into the outbox writes when handed one (it has no words
# for it). During a rolling deploy its drain may run beside a new one: the row is due again for this release's mailer.
OLDER_MAILER_GAVE_UP = "could not be composed: KeyError"


def reopen_label_mail_an_older_mailer_gave_up(session: Session, now: datetime) -> None:
    """As often as an older mailer gives up on one; this release's mailer words its own give-up differently
    (activities/shopper_mail.py), so its failures stay final."""
    session.exec(
        update(ShopperEmail)
        .where(
            ShopperEmail.kind == MailKind.LABEL_READY.value,
            ShopperEmail.status == FAILED,
            ShopperEmail.last_error == OLDER_MAILER_GAVE_UP,
        )
        .values(status=PENDING, next_attempt_at=now, last_error=None)
    )


def refused_before(session: Session, return_id: str) -> bool:
    query = select(ShopperEmail.id).where(ShopperEmail.return_id == return_id, ShopperEmail.status == REFUSED)
    return session.exec(query).first() is not None


def record_sent_elsewhere(
    session: Session,
    merchant_id: str,
    return_id: str,
    kind: MailKind,
    key: str,
    now: datetime,
    *,
    message_id: str,
    smtp_code: int | None = None,
    error: str | None = None,
) -> None:
    """An email sent outside the outbox (the label email, by its workflow activity): its row, once per key.
    `error` set: it was refused (the return's other pending emails are suppressed)."""
    if session.exec(
        select(ShopperEmail.id).where(ShopperEmail.return_id == return_id, ShopperEmail.key == key)
    ).first():
        return
    row = ShopperEmail(
        return_id=return_id,
        merchant_id=merchant_id,
        kind=kind.value,
        key=key,
        status=SENT,
        next_attempt_at=now,
        message_id=message_id,
        created_at=now,
    )
    try:
        with session.begin_nested():
            if error is None:
                row.attempts, row.sent_at, row.smtp_code = 1, now, 250
                session.add(row)
            else:
                refuse(session, row, smtp_code, error)
            session.flush()
    except IntegrityError:  # a concurrent attempt recorded it first
        pass


def switches(session: Session, merchant_id: str) -> dict[str, bool] | None:
    """Every kind of email, on or off (None: no such merchant)."""
    merchant = session.get(Merchant, merchant_id)
    if merchant is None:
        return None
    off = set(merchant.mail_off or [])
    return {kind.value: kind.value not in off for kind in MailKind}


def set_switches(session: Session, merchant_id: str, changes: dict[MailKind, bool]) -> dict[str, bool] | None:
    """Switch the kinds named; the others stay as they were."""
    merchant = session.get(Merchant, merchant_id, with_for_update=True)
    if merchant is None:
        return None
    off = set(merchant.mail_off or [])
    for kind, on in changes.items():
        (off.discard if on else off.add)(kind.value)
    merchant.mail_off = sorted(off)  # a new list: the JSON column sees the change
    session.add(merchant)
    session.flush()
    return switches(session, merchant_id)


def switched_off(session: Session, merchant_id: str, kind: MailKind) -> bool:
    merchant = session.get(Merchant, merchant_id)
    return merchant is not None and kind.value in (merchant.mail_off or [])
