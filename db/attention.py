"""Flags raised from outside a return's workflow (the worker's watch on failing side effects and
failing workflow tasks), when the workflow itself cannot say it: it has closed, or it is the
thing that is failing.

The workflow owns its timeline while it runs (it numbers the entries); only a closed return's
timeline is appended to from here, so the two writers never pick the same number.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from db.pages import after_row
from db.session import session_scope
from db.tables import AttentionItem, ReturnRecord, TimelineRecord
from db.types import utcnow


def return_merchant(engine: Engine, return_id: str) -> str | None:
    with session_scope(engine) as session:
        row = session.get(ReturnRecord, return_id)
        return row.merchant_id if row else None


def flag_return(
    engine: Engine,
    *,
    merchant_id: str,
    return_id: str,
    kind: str,
    about: str,
    reason: str,
    on_timeline: bool,
) -> bool:
    """Record that a person must look at this return (once per key); True if it is new.
    `on_timeline`: also append the reason to the (closed) return's timeline."""
    key = f"{return_id}:{kind}:{about}"
    now = utcnow()
    try:
        with session_scope(engine) as session:
            known = select(AttentionItem.id).where(AttentionItem.merchant_id == merchant_id, AttentionItem.key == key)
            if session.exec(known).first() is not None:
                return False
            session.add(
                AttentionItem(
                    merchant_id=merchant_id, key=key, kind=kind, return_id=return_id, reason=reason, created_at=now
                )
            )
            if on_timeline:
                _append_timeline(session, return_id, now, reason)
    except IntegrityError:
        return False  # another worker recorded it first
    return True


def _append_timeline(session, return_id: str, at: datetime, cause: str) -> None:
    ret = session.get(ReturnRecord, return_id)
    if ret is None:
        return
    last = session.exec(select(func.max(TimelineRecord.seq)).where(TimelineRecord.return_id == return_id)).one()
    session.add(
        TimelineRecord(
            return_id=return_id,
            seq=(last or 0) + 1,
            at=at,
            status=ret.status,
            event="attention",
            cause=cause,
        )
    )


# ---- read and resolved through the API ----


class AlreadyResolved(Exception):
    def __init__(self, resolved_at: datetime) -> None:  # the value: the row is expired once the transaction rolls back
        super().__init__(f"resolved at {resolved_at.isoformat()}")
        self.resolved_at = resolved_at


def open_attention(
    session, merchant_id: str, kind: str | None, limit: int, after: tuple[datetime, str] | None = None
) -> list[AttentionItem]:
    """What still needs a person, newest first; after `after`, the (created_at, id) of the last one a page showed."""
    q = select(AttentionItem).where(AttentionItem.merchant_id == merchant_id, AttentionItem.resolved_at.is_(None))
    if kind:
        q = q.where(AttentionItem.kind == kind)
    q = after_row(q, col(AttentionItem.created_at), col(AttentionItem.id), after, newest_first=True)
    return list(
        session.exec(q.order_by(col(AttentionItem.created_at).desc(), col(AttentionItem.id).desc()).limit(limit)).all()
    )


def resolve_attention(session, merchant_id: str, attention_id: int, resolved_by: str) -> AttentionItem | None:
    """Mark the merchant's item handled (None: it has no such item; AlreadyResolved: it was)."""
    row = session.get(AttentionItem, attention_id)
    if row is None or row.merchant_id != merchant_id:
        return None
    if row.resolved_at is not None:
        raise AlreadyResolved(row.resolved_at)
    row.resolved_at = utcnow()
    row.resolved_by = resolved_by
    session.add(row)
    return row


def close_pending_review(session, merchant_id: str, return_id: str, resolved_by: str) -> None:
    """The return's pending-review item, resolved once the review (or a cancel) ended the wait."""
    open_items = select(AttentionItem).where(
        AttentionItem.merchant_id == merchant_id,
        AttentionItem.return_id == return_id,
        AttentionItem.kind == "pending_review",  # workflows.contract AttentionKind.PENDING_REVIEW
        col(AttentionItem.resolved_at).is_(None),
    )
    for row in session.exec(open_items).all():
        row.resolved_at = utcnow()
        row.resolved_by = resolved_by
        session.add(row)


def open_attention_counts(session) -> dict[str, int]:
    """Open items per kind, every merchant together (the API's /metrics gauge): one grouped count over the
    unresolved rows, which the partial index ix_attention_open_return holds apart from the resolved ones."""
    q = (
        select(AttentionItem.kind, func.count())
        .where(col(AttentionItem.resolved_at).is_(None))
        .group_by(AttentionItem.kind)
    )
    return {kind: count for kind, count in session.exec(q).all()}
