"""Facility capacity bookings, shared by routing and receiving: atomic, never above capacity.

A booking is one conditional UPDATE (`units + n <= capacity`): the database
serialises concurrent bookings of one facility-day row, so two returns routed at
the same moment never overbook, on PostgreSQL and on SQLite alike.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from db.tables import FacilityBooking


def load_for(session: Session, merchant_id: str, day: str) -> dict[str, int]:
    rows = session.exec(
        select(FacilityBooking).where(FacilityBooking.merchant_id == merchant_id, FacilityBooking.day == day)
    ).all()
    return {r.facility_id: r.units for r in rows}


def book(session: Session, merchant_id: str, facility_id: str, day: str, units: int, capacity: int) -> bool:
    """Book `units` if they fit today's capacity; False (nothing booked) if they do not."""
    key = (merchant_id, facility_id, day)
    if session.get(FacilityBooking, key) is None:
        try:
            with session.begin_nested():
                session.add(FacilityBooking(merchant_id=merchant_id, facility_id=facility_id, day=day, units=0))
        except IntegrityError:
            pass  # a concurrent booking created the row first
    result = session.execute(
        update(FacilityBooking)
        .where(
            col(FacilityBooking.merchant_id) == merchant_id,
            col(FacilityBooking.facility_id) == facility_id,
            col(FacilityBooking.day) == day,
            col(FacilityBooking.units) + units <= capacity,
        )
        .values(units=col(FacilityBooking.units) + units)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
