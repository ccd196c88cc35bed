"""A database error's message is logged by the API and the worker and kept in Temporal's history:
it never carries the statement's values (a shopper's email, name, address), on SQLite or PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import SQLAlchemyError

from db.session import session_scope
from db.tables import Order, StoreCreditEntry
from tests.factories import CUSTOMER, LINES, new_merchant

PRIVATE = (CUSTOMER["email"], CUSTOMER["name"], CUSTOMER["address"]["street1"])


def failure(engine, *rows) -> str:
    with (
        pytest.raises((SQLAlchemyError, OverflowError)) as caught,
        session_scope(engine) as session,
    ):
        for row in rows:
            session.add(row)
            session.flush()
    return str(caught.value)


def order(merchant_id: str, unit_price: int = 2500) -> Order:
    lines = [{**LINES[0], "unit_price": unit_price}]
    at = datetime(2026, 11, 1, tzinfo=UTC)
    return Order(
        merchant_id=merchant_id,
        id="o1",
        placed_at=at,
        currency="USD",
        customer=CUSTOMER,
        lines=lines,
    )


def test_a_duplicate_key_error_names_no_customer_data(engine):
    merchant_id, _, _ = new_merchant(engine)
    message = failure(engine, order(merchant_id), order(merchant_id))
    assert "hidden" in message  # SQLAlchemy says the parameters were left out
    assert not [p for p in PRIVATE if p.lower() in message.lower()], message


def test_an_out_of_range_value_error_names_no_customer_data(engine):
    merchant_id, _, _ = new_merchant(engine)
    credit = StoreCreditEntry(
        merchant_id=merchant_id,
        customer_email=CUSTOMER["email"],
        amount=2**70,
        currency="USD",
        kind="issue",
        idempotency_key="k1",
    )
    message = failure(engine, credit)
    assert not [p for p in PRIVATE if p.lower() in message.lower()], message
