"""A merchant's order snapshots, as pushed to PUT /v1/orders; every function is scoped by merchant id."""

from __future__ import annotations

from sqlmodel import Session

from db.tables import Order
from db.types import utcnow


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
