"""What the shopper portal reads: a merchant by its public slug, an order by its number, the order's returns.

Every read is scoped by merchant id; the portal never lists anything across orders or merchants. A slug or order
number that cannot be one (the shape of ids: domain.validation.ID_PATTERN) is not looked up at all: it finds
nothing, like any unknown one, and never reaches the database (PostgreSQL refuses a NUL in text with an error).
"""

from __future__ import annotations

import re

from sqlmodel import Session, col, select

from db.tables import Merchant, Order, ReturnRecord
from domain.validation import ID_PATTERN, MAX_ID_LENGTH

MAX_SLUG = 64
_ID = re.compile(ID_PATTERN)


def could_be_id(value: object, max_length: int = MAX_ID_LENGTH) -> bool:
    """`value` has the shape of an id (slugs too: a slug is domain.merchant's SLUG_PATTERN, or a merchant id for
    merchants from before slugs, whose slug is their id; both fit ID_PATTERN)."""
    return isinstance(value, str) and 0 < len(value) <= max_length and _ID.fullmatch(value) is not None


def merchant_by_slug(session: Session, slug: str) -> Merchant | None:
    """The merchant whose returns page is /portal/<slug>; only the slug, never the id (ids are not public)."""
    if not could_be_id(slug, MAX_SLUG):
        return None
    return session.exec(select(Merchant).where(col(Merchant.slug) == slug)).first()


def order_for_lookup(session: Session, merchant_id: str, order_number: str) -> Order | None:
    """The order with this number at this merchant (the same single-row read whether it exists or not)."""
    if not could_be_id(order_number):
        return None
    return session.get(Order, (merchant_id, order_number))


def returns_of_order(session: Session, merchant_id: str, order_id: str) -> list[ReturnRecord]:
    """This order's returns, newest first."""
    q = select(ReturnRecord).where(ReturnRecord.merchant_id == merchant_id, ReturnRecord.order_id == order_id)
    return list(session.exec(q.order_by(col(ReturnRecord.created_at).desc(), col(ReturnRecord.id).desc())))


def order_and_returns(session: Session, merchant_id: str, order_id: str) -> tuple[Order | None, list[ReturnRecord]]:
    """The shopper's order and its returns (only this order's), for the order page."""
    if not (could_be_id(merchant_id) and could_be_id(order_id)):
        return None, []
    order = session.get(Order, (merchant_id, order_id))
    return order, returns_of_order(session, merchant_id, order_id) if order is not None else []
