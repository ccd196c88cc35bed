"""Units of an order line reserved by returns, on SQLite and PostgreSQL with real concurrent connections:
a unit is in at most one open or completed return, whatever the timing; a return that ends
cancelled, rejected or expired frees its units; a completed one keeps them."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from activities.store import StoreActivities
from db import return_units
from db.migrate import alembic_config
from db.session import make_engine, session_scope
from db.tables import ReturnUnit
from db.types import UTCDateTime
from domain.requests import RequestedItem
from domain.returns import Resolution, ReturnReason
from domain.status import ReturnStatus
from tests.conftest import POSTGRES_URL
from tests.factories import merchant_row, new_merchant
from workflows.messages import ItemView, ReturnProjection, ReturnView

T0 = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
ONE = [RequestedItem(line_id="L1", quantity=1)]


def reserve(
    engine,
    merchant_id: str,
    return_id: str,
    quantity: int = 1,
    items=ONE,
    order_id: str = "o1",
    fingerprint: str = "fp",
):
    return return_units.reserve(
        engine, merchant_id, order_id, return_id, {"L1": quantity, "L2": 1}, items, fingerprint=fingerprint
    )


def held(engine, merchant_id: str, order_id: str = "o1") -> list[tuple[str, int, str]]:
    with session_scope(engine) as s:
        q = select(ReturnUnit).where(ReturnUnit.merchant_id == merchant_id, ReturnUnit.order_id == order_id)
        return sorted((u.line_id, u.unit, u.return_id) for u in s.exec(q).all())


def at_once(database_url: str, n: int, fn) -> list:
    """fn(engine, i) on n threads, each with its own engine (its own connection), released together."""
    engines = [make_engine(database_url) for _ in range(n)]
    start = threading.Barrier(n)

    def go(i):
        start.wait()
        return fn(engines[i], i)

    try:
        with ThreadPoolExecutor(n) as pool:
            return list(pool.map(go, range(n)))
    finally:
        for e in engines:
            e.dispose()


def project(engine, merchant_id: str, return_id: str, status: ReturnStatus, version: int = 1) -> None:
    view = ReturnView(
        return_id=return_id,
        merchant_id=merchant_id,
        order_id="o1",
        status=status,
        resolution=Resolution.REFUND,
        items=[ItemView(line_id="L1", sku="TEE", quantity=1, reason=ReturnReason.TOO_SMALL)],
        request_fingerprint="fp",
        created_at=T0,
        updated_at=T0,
    )
    StoreActivities(engine).record_return(ReturnProjection(view=view, version=version, new_entries=[]))


def test_twenty_concurrent_reservations_of_one_unit_accept_exactly_one(engine, database_url):
    merchant_id, _, _ = new_merchant(engine)
    results = at_once(database_url, 20, lambda e, i: reserve(e, merchant_id, f"r{i}"))
    accepted = [i for i, (problems, created) in enumerate(results) if not problems]
    assert len(accepted) == 1, results
    assert results[accepted[0]][1] is True
    for problems, created in (r for i, r in enumerate(results) if i != accepted[0]):
        assert not created
        assert [p.field for p in problems] == ["items[0].quantity"]
        assert "more than the 0 left to return of line 'L1' (bought 1)" in problems[0].message
    assert held(engine, merchant_id) == [("L1", 1, f"r{accepted[0]}")]


def test_twenty_concurrent_reservations_of_a_quantity_three_line_accept_three(engine, database_url):
    merchant_id, _, _ = new_merchant(engine)
    results = at_once(database_url, 20, lambda e, i: reserve(e, merchant_id, f"r{i}", quantity=3))
    winners = sorted(f"r{i}" for i, (problems, _) in enumerate(results) if not problems)
    assert len(winners) == 3, results
    assert [(line, unit) for line, unit, _ in held(engine, merchant_id)] == [
        ("L1", 1),
        ("L1", 2),
        ("L1", 3),
    ]
    assert sorted(r for _, _, r in held(engine, merchant_id)) == winners


def test_three_single_unit_returns_then_the_fourth_is_refused(engine):
    merchant_id, _, _ = new_merchant(engine)
    for n in range(1, 4):
        assert reserve(engine, merchant_id, f"r{n}", quantity=3) == ([], True)
    problems, created = reserve(engine, merchant_id, "r4", quantity=3)
    assert not created and "more than the 0 left to return of line 'L1' (bought 3)" in problems[0].message
    two = [
        RequestedItem(line_id="L1", quantity=2),
        RequestedItem(line_id="L2", quantity=1),
    ]
    problems, _ = reserve(engine, merchant_id, "r5", quantity=3, items=two)
    assert [p.field for p in problems] == ["items[0].quantity"]  # all or none: L2 was not reserved either
    assert [u for u in held(engine, merchant_id) if u[0] == "L2"] == []
    with session_scope(engine) as s:
        assert return_units.held_quantities(s, merchant_id, "o1") == {"L1": 3}
        assert return_units.held_quantities(s, merchant_id, "o1", except_return="r2") == {"L1": 2}


def test_a_retry_of_the_same_return_finds_its_own_units(engine):
    merchant_id, _, _ = new_merchant(engine)
    assert reserve(engine, merchant_id, "r1") == ([], True)
    assert reserve(engine, merchant_id, "r1") == ([], False)
    assert held(engine, merchant_id) == [("L1", 1, "r1")]


def test_the_primary_key_refuses_a_second_row_for_a_unit(engine):
    merchant_id, _, _ = new_merchant(engine)
    assert reserve(engine, merchant_id, "r1") == ([], True)
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        s.add(
            ReturnUnit(
                merchant_id=merchant_id,
                order_id="o1",
                line_id="L1",
                unit=1,
                return_id="r2",
            )
        )


def test_units_are_per_merchant_and_order(engine):
    merchant_id, _, _ = new_merchant(engine)
    other_id, _, _ = new_merchant(engine)
    assert reserve(engine, merchant_id, "r1") == ([], True)
    assert reserve(engine, merchant_id, "r2", order_id="o2") == ([], True)
    assert reserve(engine, other_id, "r3") == ([], True)


@pytest.mark.parametrize("final", [ReturnStatus.CANCELLED, ReturnStatus.REJECTED, ReturnStatus.EXPIRED])
def test_a_return_ending_cancelled_rejected_or_expired_frees_its_units(engine, final):
    merchant_id, _, _ = new_merchant(engine)
    assert reserve(engine, merchant_id, "r1") == ([], True)
    project(engine, merchant_id, "r1", ReturnStatus.LABEL_CREATED, version=1)
    assert reserve(engine, merchant_id, "r2")[0]  # held by r1
    project(engine, merchant_id, "r1", final, version=2)
    project(engine, merchant_id, "r1", final, version=2)  # a retried activity: still fine
    assert held(engine, merchant_id) == []
    assert reserve(engine, merchant_id, "r2") == ([], True)
    assert held(engine, merchant_id) == [("L1", 1, "r2")]


def test_a_completed_return_keeps_its_units(engine):
    merchant_id, _, _ = new_merchant(engine)
    assert reserve(engine, merchant_id, "r1") == ([], True)
    project(engine, merchant_id, "r1", ReturnStatus.COMPLETED, version=9)
    assert held(engine, merchant_id) == [("L1", 1, "r1")]
    assert reserve(engine, merchant_id, "r2")[0]


# ---- the migration's backfill --------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def url_at_0008(request, tmp_path):
    """A database migrated to 0008, the schema before return units."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'before.db'}"
        command.upgrade(alembic_config(url), "0008")
        yield url
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    command.upgrade(alembic_config(url), "0008")
    yield url
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def test_the_migration_backfills_units_of_open_and_completed_returns(url_at_0008):
    engine = make_engine(url_at_0008)
    try:
        merchant_id = merchant_row(engine)  # the schema is 0008's
        returns = [  # (id, status, items): r3's and r4's units are free; r5 is the old race's second return
            ("r1", "label_created", [("L1", 1)]),
            ("r2", "completed", [("L1", 1), ("L2", 1)]),
            ("r3", "cancelled", [("L1", 2)]),
            ("r4", "expired", [("L2", 1)]),
            ("r5", "in_transit", [("L2", 1)]),
        ]
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
        with engine.begin() as conn:
            for n, (rid, status, items) in enumerate(returns):
                at = T0.replace(minute=n)
                conn.execute(
                    table.insert().values(
                        id=rid,
                        merchant_id=merchant_id,
                        order_id="o1",
                        status=status,
                        resolution="refund",
                        request_fingerprint="fp",
                        version=1,
                        created_at=at,
                        updated_at=at,
                        items=[
                            {"line_id": line, "sku": "X", "quantity": q, "reason": "too_small"} for line, q in items
                        ],
                    )
                )
        command.upgrade(alembic_config(url_at_0008), "head")
        assert held(engine, merchant_id) == [
            ("L1", 1, "r1"),
            ("L1", 2, "r2"),
            ("L2", 1, "r2"),
            ("L2", 2, "r5"),
        ]
        problems, _ = reserve(engine, merchant_id, "r6", quantity=2)
        assert "more than the 0 left" in problems[0].message
    finally:
        engine.dispose()
