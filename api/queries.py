"""The API's database reads (and its few writes of merchant-supplied data).

Every function takes the caller's merchant id: tenant isolation on every query.
"""

from __future__ import annotations

import base64
import re
from datetime import datetime

from sqlmodel import Session, col, or_, select

from db.tables import (
    CarrierEventRecord,
    Order,
    ReturnParcel,
    ReturnRecord,
    TimelineRecord,
)
from db.types import utcnow
from domain.validation import EARLIEST, ID_PATTERN, LATEST, MAX_RETURN_ID_LENGTH


def get_order(session: Session, merchant_id: str, order_id: str) -> Order | None:
    return session.get(Order, (merchant_id, order_id))


def upsert_order(session: Session, merchant_id: str, order_id: str, values: dict) -> tuple[Order, bool]:
    row = session.get(Order, (merchant_id, order_id))
    created = row is None
    row = row or Order(merchant_id=merchant_id, id=order_id, **values)
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return row, created


def get_return(session: Session, merchant_id: str, return_id: str) -> ReturnRecord | None:
    row = session.get(ReturnRecord, return_id)
    return row if row is not None and row.merchant_id == merchant_id else None


def find_return_by_tracking(session: Session, merchant_id: str, tracking_code: str) -> ReturnRecord | None:
    """By the tracking code of its (first) label, or of any of its parcels."""
    row = session.exec(
        select(ReturnRecord).where(ReturnRecord.merchant_id == merchant_id, ReturnRecord.tracking_code == tracking_code)
    ).first()
    if row is None and (parcel := session.get(ReturnParcel, tracking_code)) is not None and parcel.merchant_id == merchant_id:
        row = session.get(ReturnRecord, parcel.return_id)
    return row


def find_return_for_carrier(session: Session, tracker_id: str | None, tracking_code: str | None) -> ReturnRecord | None:
    """Carrier events come for our EasyPost account as a whole, not per merchant."""
    conditions = []
    if tracker_id:
        conditions.append(ReturnRecord.tracker_id == tracker_id)
    if tracking_code:
        conditions.append(ReturnRecord.tracking_code == tracking_code)
    if not conditions:
        return None
    row = session.exec(select(ReturnRecord).where(or_(*conditions))).first()
    if row is None:  # a further parcel of a multi-parcel return
        parcel_conditions = [ReturnParcel.tracker_id == tracker_id] if tracker_id else []
        parcel_conditions += [ReturnParcel.tracking_code == tracking_code] if tracking_code else []
        parcel = session.exec(select(ReturnParcel).where(or_(*parcel_conditions))).first()
        row = session.get(ReturnRecord, parcel.return_id) if parcel else None
    return row


def last_signalled_tracking_status(session: Session, return_id: str) -> str | None:
    row = session.exec(
        select(CarrierEventRecord)
        .where(CarrierEventRecord.return_id == return_id, CarrierEventRecord.signalled)
        .order_by(col(CarrierEventRecord.received_at).desc())
    ).first()
    return row.tracking_status if row else None


def carrier_events(session: Session, return_id: str) -> list[CarrierEventRecord]:
    return list(
        session.exec(
            select(CarrierEventRecord)
            .where(CarrierEventRecord.return_id == return_id)
            .order_by(col(CarrierEventRecord.received_at))
        ).all()
    )


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
        session.exec(select(TimelineRecord).where(TimelineRecord.return_id == return_id).order_by(TimelineRecord.seq)).all()
    )
