"""Reading returns (the projection the workflows write): by id, tracking code or carrier tracker,
their timeline and carrier events, and the merchant's keyset-paginated, filtered list.

Every lookup a merchant makes takes its merchant id: tenant isolation on every query (the
timeline is read only for a return already found that way).
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import astuple, dataclass
from datetime import UTC, datetime

from sqlalchemy import exists, literal_column
from sqlalchemy.dialects.postgresql import distinct_on
from sqlmodel import Session, col, or_, select

from db.tables import AttentionItem, Order, ReturnLine, ReturnParcel, ReturnRecord, TimelineRecord
from domain.validation import EARLIEST, ID_PATTERN, LATEST, MAX_RETURN_ID_LENGTH


def get_return(session: Session, merchant_id: str, return_id: str) -> ReturnRecord | None:
    row = session.get(ReturnRecord, return_id)
    return row if row is not None and row.merchant_id == merchant_id else None


def keep_accepted(session: Session, fields: dict) -> None:
    """A return answered 202 (its workflow started, no worker has written it yet): readable as requested. Version 0
    is older than anything its workflow writes, so the first projection replaces it (activities/store.py)."""
    if session.get(ReturnRecord, fields["id"]) is None:
        session.add(ReturnRecord(**fields, version=0))


def find_return_by_tracking(session: Session, merchant_id: str, tracking_code: str) -> ReturnRecord | None:
    """By the tracking code of its (first) label, or of any of its parcels."""
    row = session.exec(
        select(ReturnRecord).where(ReturnRecord.merchant_id == merchant_id, ReturnRecord.tracking_code == tracking_code)
    ).first()
    if (
        row is None
        and (parcel := session.get(ReturnParcel, tracking_code)) is not None
        and parcel.merchant_id == merchant_id
    ):
        row = session.get(ReturnRecord, parcel.return_id)
    return row


@dataclass(frozen=True)
class ReturnFilters:
    """What GET /v1/returns narrows by; every field optional, all of them combined (AND)."""

    status: str | None = None
    order_id: str | None = None
    email: str | None = None  # the order's shopper, exact and case-insensitive
    tracking_code: str | None = None  # of any of the return's parcels
    sku: str | None = None
    reason: str | None = None
    needs_attention: bool | None = None  # an open attention item on the return
    created_from: datetime | None = None  # inclusive
    created_to: datetime | None = None  # exclusive

    def fingerprint(self) -> str:
        """Binds a cursor to the filters it was made under ("" when there are none: the unfiltered cursor)."""
        if not any(v is not None for v in astuple(self)):
            return ""
        fields = [
            v.astimezone(UTC).isoformat() if isinstance(v, datetime) else (v.lower() if k == "email" and v else v)
            for k, v in zip(self.__dataclass_fields__, astuple(self))
        ]
        return hashlib.sha256(repr(fields).encode()).hexdigest()[:16]


NO_FILTERS = ReturnFilters()


def encode_cursor(row: ReturnRecord, filters: ReturnFilters = NO_FILTERS) -> str:
    bound = filters.fingerprint()
    raw = f"{row.created_at.isoformat()}|{row.id}" + (f"|{bound}" if bound else "")
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str, filters: ReturnFilters = NO_FILTERS) -> tuple[datetime, str]:
    """What encode_cursor made under the same filters, or ValueError: strict base64 of
    "<aware ISO time>|<return id>[|<filters' fingerprint>]" and nothing else."""
    raw = base64.b64decode(cursor.encode("ascii"), altchars=b"-_", validate=True).decode("utf-8")
    at, sep, rest = raw.partition("|")
    rid, _, bound = rest.partition("|")
    when = datetime.fromisoformat(at)
    if not sep or when.tzinfo is None or not EARLIEST <= when < LATEST:
        raise ValueError("not a cursor")
    if len(rid) > MAX_RETURN_ID_LENGTH or not re.fullmatch(ID_PATTERN, rid):
        raise ValueError("not a cursor")
    if bound != filters.fingerprint():
        raise ValueError("a cursor of another filter")
    return when, rid


# The shopper's email, lowered, as the expression index ix_orders_merchant_email (migration 0012) has it:
# written out literally (no bound parameter) so the planner matches the index on both databases.
_ORDER_EMAIL = {
    "postgresql": "lower(orders.customer ->> 'email')",
    "sqlite": "lower(json_extract(orders.customer, '$.email'))",
}


def _by_line(session: Session, f: ReturnFilters) -> bool:
    """On PostgreSQL a sku or reason filter walks return_lines in the list's order (its index ends in
    created_at, return_id) and joins each return, DISTINCT ON the order so a return listing the sku twice
    comes once: a first page reads about a page of lines, however common the sku or reason. SQLite
    (embedded, small) keeps the semi-join."""
    return bool(f.sku or f.reason) and session.get_bind().dialect.name == "postgresql"


def _filtered(session: Session, merchant_id: str, f: ReturnFilters):
    q = select(ReturnRecord).where(ReturnRecord.merchant_id == merchant_id)
    if f.status:
        q = q.where(ReturnRecord.status == f.status)
    if f.order_id:
        q = q.where(ReturnRecord.order_id == f.order_id)
    if f.created_from:
        q = q.where(ReturnRecord.created_at >= f.created_from)
    if f.created_to:
        q = q.where(ReturnRecord.created_at < f.created_to)
    if f.email:
        email = literal_column(_ORDER_EMAIL[session.get_bind().dialect.name])
        orders = select(Order.id).where(Order.merchant_id == merchant_id, email == f.email.lower())
        q = q.where(col(ReturnRecord.order_id).in_(orders))
    if f.tracking_code:
        first = select(ReturnRecord.id).where(
            ReturnRecord.merchant_id == merchant_id, ReturnRecord.tracking_code == f.tracking_code
        )
        others = select(ReturnParcel.return_id).where(
            ReturnParcel.merchant_id == merchant_id, ReturnParcel.tracking_code == f.tracking_code
        )
        q = q.where(col(ReturnRecord.id).in_(first.union(others)))
    if _by_line(session, f):
        q = q.join(ReturnLine, col(ReturnLine.return_id) == ReturnRecord.id).where(
            ReturnLine.merchant_id == merchant_id
        )
        if f.sku:
            q = q.where(ReturnLine.sku == f.sku)
        if f.reason:
            q = q.where(ReturnLine.reason == f.reason)
        if f.created_from:  # the line's created_at is its return's: the same range, on the index walked
            q = q.where(ReturnLine.created_at >= f.created_from)
        if f.created_to:
            q = q.where(ReturnLine.created_at < f.created_to)
    elif f.sku or f.reason:
        lines = select(ReturnLine.return_id).where(ReturnLine.merchant_id == merchant_id)
        if f.sku:
            lines = lines.where(ReturnLine.sku == f.sku)
        if f.reason:
            lines = lines.where(ReturnLine.reason == f.reason)
        q = q.where(col(ReturnRecord.id).in_(lines))
    if f.needs_attention is not None:
        open_item = exists().where(
            AttentionItem.merchant_id == merchant_id,
            AttentionItem.return_id == ReturnRecord.id,
            col(AttentionItem.resolved_at).is_(None),
        )
        q = q.where(open_item if f.needs_attention else ~open_item)
    return q


def list_returns(
    session: Session,
    merchant_id: str,
    filters: ReturnFilters | str | None,
    limit: int,
    after: tuple[datetime, str] | None,
) -> list[ReturnRecord]:
    """The merchant's returns matching every filter given, newest first, keyset-paginated on
    (created_at, id) so pages never skip or repeat. (A bare string is a status, as before filters.)"""
    if not isinstance(filters, ReturnFilters):
        filters = ReturnFilters(status=filters or None)
    q = _filtered(session, merchant_id, filters)
    by_line = _by_line(session, filters)
    at_col, id_col = (
        (col(ReturnLine.created_at), col(ReturnLine.return_id))
        if by_line
        else (col(ReturnRecord.created_at), col(ReturnRecord.id))
    )
    if after:
        at, rid = after
        q = q.where(or_(at_col < at, (at_col == at) & (id_col < rid)))
    if by_line:
        q = q.ext(distinct_on(at_col, id_col))
    q = q.order_by(at_col.desc(), id_col.desc()).limit(limit)
    return list(session.exec(q).all())


def order_returns(session: Session, merchant_id: str, order_id: str) -> list[ReturnRecord]:
    """The merchant's returns of one order, newest first."""
    q = select(ReturnRecord).where(ReturnRecord.merchant_id == merchant_id, ReturnRecord.order_id == order_id)
    return list(session.exec(q.order_by(col(ReturnRecord.created_at).desc(), col(ReturnRecord.id).desc())).all())


def timeline(session: Session, return_id: str) -> list[TimelineRecord]:
    return list(
        session.exec(
            select(TimelineRecord).where(TimelineRecord.return_id == return_id).order_by(TimelineRecord.seq)
        ).all()
    )


def labelled_returns(session: Session, merchant_id: str, since: datetime | None) -> list[ReturnRecord]:
    """The merchant's returns that bought a label, created since `since` (all when None): the label report's."""
    q = select(ReturnRecord).where(ReturnRecord.merchant_id == merchant_id, col(ReturnRecord.label).is_not(None))
    if since is not None:
        q = q.where(ReturnRecord.created_at >= since)
    return list(session.exec(q).all())


def recent_labels(session: Session, merchant_id: str, limit: int) -> list[tuple[dict | None, list | None]]:
    """(label, parcels) of the merchant's latest `limit` returns with a tracking code, newest first."""
    return list(
        session.exec(
            select(ReturnRecord.label, ReturnRecord.parcels)
            .where(ReturnRecord.merchant_id == merchant_id, col(ReturnRecord.tracking_code).is_not(None))
            .order_by(col(ReturnRecord.created_at).desc())
            .limit(limit)
        ).all()
    )


def return_and_lines(session: Session, merchant_id: str, return_id: str) -> tuple[ReturnRecord | None, list]:
    """The merchant's return and its order's lines (none when the order is gone): what a packing slip lists."""
    row = get_return(session, merchant_id, return_id)
    order = session.get(Order, (merchant_id, row.order_id)) if row else None
    return row, (order.lines or []) if order else []
