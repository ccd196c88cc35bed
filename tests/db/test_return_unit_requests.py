"""One return id is one request (db/return_units.py): the same Idempotency-Key sent with two different
bodies, one after the other or at the same moment, on SQLite and PostgreSQL with real concurrent
connections, reserves units for one of them only; the other is an IdempotencyConflict (the API's 409),
never a retry that starts a return whose units are someone else's."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command

from db import return_units
from db.migrate import alembic_config
from db.session import make_engine
from db.types import UTCDateTime
from domain.requests import RequestedItem
from tests.db.test_return_units import T0, at_once, held, reserve, url_at_0008  # noqa: F401
from tests.factories import merchant_row, new_merchant

ONE_L1 = [RequestedItem(line_id="L1", quantity=1)]
L2 = [RequestedItem(line_id="L2", quantity=1)]


def outcome(fn):
    try:
        return fn()
    except return_units.IdempotencyConflict:
        return "conflict"


def test_the_same_return_id_with_another_request_is_a_conflict_not_a_retry(engine):  # noqa: F811
    merchant_id, _, _ = new_merchant(engine)
    assert reserve(engine, merchant_id, "r1", fingerprint="a") == ([], True)
    assert reserve(engine, merchant_id, "r1", fingerprint="a") == ([], False)  # the same request again
    for other in (
        lambda: reserve(engine, merchant_id, "r1", fingerprint="b"),  # the same units, another body
        lambda: reserve(engine, merchant_id, "r1", items=L2, fingerprint="b"),  # other units of the order
        lambda: reserve(engine, merchant_id, "r1", order_id="o2", fingerprint="b"),  # another order
    ):
        assert outcome(other) == "conflict"
    assert held(engine, merchant_id) == [("L1", 1, "r1")]
    assert held(engine, merchant_id, "o2") == []


@pytest.mark.parametrize("other_order", [False, True], ids=["same-order", "other-order"])
def test_one_key_two_bodies_at_the_same_moment_reserve_for_one_body_only(engine, database_url, other_order):  # noqa: F811
    """20 creates with one Idempotency-Key at once: half want line L1, half line L2 (or a line of another
    order): no unit is wanted twice, so only the return id can tell them apart."""
    merchant_id, _, _ = new_merchant(engine)

    def go(e, i):
        body = "ab"[i % 2]
        items, order = (ONE_L1, "o1") if body == "a" else (L2, "o2" if other_order else "o1")
        return body, outcome(lambda: reserve(e, merchant_id, "r1", items=items, order_id=order, fingerprint=body))

    results = at_once(database_url, 20, go)
    winners = {body for body, result in results if result != "conflict"}
    assert len(winners) == 1, results
    [winner] = winners
    assert sorted(result for body, result in results if body == winner) == [([], False)] * 9 + [([], True)]
    assert all(result == "conflict" for body, result in results if body != winner)
    rows = held(engine, merchant_id) + held(engine, merchant_id, "o2")
    assert rows == ([("L1", 1, "r1")] if winner == "a" else [("L2", 1, "r1")]), rows


def test_the_migration_gives_existing_units_their_returns_fingerprint_and_one_claim(url_at_0008):  # noqa: F811
    eng = make_engine(url_at_0008)
    try:
        merchant_id = merchant_row(eng)  # the schema is 0008's
        table = sa.table(
            "returns",
            *(
                sa.column(c)
                for c in ("id", "merchant_id", "order_id", "status", "resolution", "request_fingerprint", "version")
            ),
            sa.column("items", sa.JSON),
            sa.column("created_at", UTCDateTime()),
            sa.column("updated_at", UTCDateTime()),
        )
        items = [{"line_id": line, "sku": "X", "quantity": 1, "reason": "too_small"} for line in ("L1", "L2")]
        with eng.begin() as conn:
            conn.execute(
                table.insert().values(
                    id="r1",
                    merchant_id=merchant_id,
                    order_id="o1",
                    status="label_created",
                    resolution="refund",
                    request_fingerprint="fp-r1",
                    version=1,
                    created_at=T0,
                    updated_at=T0,
                    items=items,
                )
            )
        command.upgrade(alembic_config(url_at_0008), "head")
        with eng.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT line_id, request_fingerprint, claim FROM return_units ORDER BY line_id")
            ).all()
        assert [tuple(r) for r in rows] == [("L1", "fp-r1", "r1"), ("L2", "fp-r1", None)]
        assert outcome(lambda: reserve(eng, merchant_id, "r1", fingerprint="fp-other")) == "conflict"
        assert reserve(eng, merchant_id, "r1", fingerprint="fp-r1") == ([], False)
    finally:
        eng.dispose()
