"""Reading returns (the projection the workflows write): by id, tracking code or carrier tracker,
their timeline and carrier events, and the merchant's keyset-paginated list.

Every lookup a merchant makes takes its merchant id: tenant isolation on every query (the
timeline is read only for a return already found that way).
"""

from __future__ import annotations

import base64
import re
from datetime import datetime

from sqlmodel import Session, col, or_, select

from db.tables import Order, ReturnParcel, ReturnRecord, TimelineRecord
from domain.validation import EARLIEST, ID_PATTERN, LATEST, MAX_RETURN_ID_LENGTH


def get_return(session: Session, merchant_id: str, return_id: str) -> ReturnRecord | None:
    row = session.get(ReturnRecord, return_id)
    return row if row is not None and row.merchant_id == merchant_id else None


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


def encode_cursor(row: ReturnRecord) -> str:
    return base64.urlsafe_b64encode(f"{row.created_at.isoformat()}|{row.id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """What encode_cursor made, or ValueError: strict base64 of "<aware ISO time>|<return id>" and nothing else."""
    raw = base64.b64decode(cursor.encode("ascii"), altchars=b"-_", validate=True).decode("utf-8")
    at, sep, rid = raw.partition("|")
    when = datetime.fromisoformat(at)
    if not sep or when.tzinfo is None or not EARLIEST <= when < LATEST:
        raise ValueError("not a cursor")
    if len(rid) > MAX_RETURN_ID_LENGTH or not re.fullmatch(ID_PATTERN, rid):
        raise ValueError("not a cursor")
    return when, rid


def list_returns(
    session: Session, merchant_id: str, status: str | None, limit: int, after: tuple[datetime, str] | None
) -> list[ReturnRecord]:
    """Newest first, keyset-paginated on (created_at, id) so pages never skip or repeat."""
    q = select(ReturnRecord).where(ReturnRecord.merchant_id == merchant_id)
    if status:
        q = q.where(ReturnRecord.status == status)
    if after:
        at, rid = after
        q = q.where(or_(ReturnRecord.created_at < at, (ReturnRecord.created_at == at) & (ReturnRecord.id < rid)))
    q = q.order_by(col(ReturnRecord.created_at).desc(), col(ReturnRecord.id).desc()).limit(limit)
    return list(session.exec(q).all())


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
