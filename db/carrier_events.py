"""EasyPost tracker events as received by the webhook: matched to a return, recorded once by id.

Carrier events come for our EasyPost account as a whole, not per merchant, so these lookups
are not merchant-scoped: the return they find names its merchant.
"""

from __future__ import annotations

from sqlmodel import Session, col, or_, select

from db.tables import CarrierEventRecord, ReturnParcel, ReturnRecord


def seen_event(session: Session, event_id: str) -> CarrierEventRecord | None:
    return session.get(CarrierEventRecord, event_id)


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


def last_signalled_tracking_status(
    session: Session, return_id: str, tracker_id: str | None = None, tracking_code: str | None = None
) -> str | None:
    """The status last signalled for this parcel (its tracker or tracking code) of the return: a replacement
    label's or another parcel's same status is news, not a repeat."""
    parcel = []
    if tracker_id:
        parcel.append(CarrierEventRecord.tracker_id == tracker_id)
    if tracking_code:
        parcel.append(CarrierEventRecord.tracking_code == tracking_code)
    query = select(CarrierEventRecord).where(CarrierEventRecord.return_id == return_id, CarrierEventRecord.signalled)
    if parcel:
        query = query.where(or_(*parcel))
    row = session.exec(query.order_by(col(CarrierEventRecord.received_at).desc())).first()
    return row.tracking_status if row else None


def carrier_events(session: Session, return_id: str) -> list[CarrierEventRecord]:
    return list(
        session.exec(
            select(CarrierEventRecord)
            .where(CarrierEventRecord.return_id == return_id)
            .order_by(col(CarrierEventRecord.received_at))
        ).all()
    )


def record_carrier_event(session: Session, record: CarrierEventRecord) -> None:
    """A second copy of the same event id is an IntegrityError at commit."""
    session.add(record)
