"""What the shopper portal reads: a merchant by its public slug, an order by its number, the order's returns.

Every read is scoped by merchant id; the portal never lists anything across orders or merchants.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from db.tables import Merchant, Order, ReturnRecord


def merchant_by_slug(session: Session, slug: str) -> Merchant | None:
    """The merchant whose returns page is /portal/<slug>; only the slug, never the id (ids are not public)."""
    if not slug or len(slug) > 64:
        return None
    return session.exec(select(Merchant).where(col(Merchant.slug) == slug)).first()


def order_for_lookup(session: Session, merchant_id: str, order_number: str) -> Order | None:
    """The order with this number at this merchant (the same single-row read whether it exists or not)."""
    if not order_number or len(order_number) > 128:
        return None
    return session.get(Order, (merchant_id, order_number))


def returns_of_order(session: Session, merchant_id: str, order_id: str) -> list[ReturnRecord]:
    """This order's returns, newest first."""
    q = select(ReturnRecord).where(ReturnRecord.merchant_id == merchant_id, ReturnRecord.order_id == order_id)
    return list(session.exec(q.order_by(col(ReturnRecord.created_at).desc(), col(ReturnRecord.id).desc())))


def order_and_returns(session: Session, merchant_id: str, order_id: str) -> tuple[Order | None, list[ReturnRecord]]:
    """The shopper's order and its returns (only this order's), for the order page."""
    order = session.get(Order, (merchant_id, order_id))
    return order, returns_of_order(session, merchant_id, order_id) if order is not None else []
