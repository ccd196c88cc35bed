"""GET /v1/returns' filters in db/returns.py, on SQLite and PostgreSQL: each filter, combinations,
tenant isolation of each, keyset pages across filters, the order's returns, and cursors bound to
their filters. Returns are written the way the worker writes them (StoreActivities.record_return)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from activities.store import StoreActivities
from db import returns as queries
from db.returns import ReturnFilters
from db.session import session_scope
from db.tables import AttentionItem, Order, ReturnRecord
from domain.money import Money
from domain.returns import Resolution, ReturnReason
from domain.status import ReturnStatus
from tests.factories import CUSTOMER, LINES, new_merchant
from workflows.contract.statuses import AttentionKind
from workflows.ids import attention_key
from workflows.messages import AttentionEntry, ItemView, Label, ReturnProjection, ReturnView

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
R = ReturnReason


def label(code: str) -> Label:
    return Label(
        shipment_id=f"shp_{code}",
        carrier="USPS",
        service="Priority",
        tracking_code=code,
        label_url="https://labels.example/x.png",
        rate=Money(amount=500, currency="USD"),
    )


def record(
    engine,
    merchant_id: str,
    return_id: str,
    *,
    order_id: str,
    minute: int,
    status: ReturnStatus = ReturnStatus.LABEL_CREATED,
    items: tuple[tuple[str, ReturnReason], ...] = (("TEE", R.TOO_SMALL),),
    codes: tuple[str, ...] = (),
    attention: bool = False,
) -> None:
    at = T0 + timedelta(minutes=minute)
    view = ReturnView(
        return_id=return_id,
        merchant_id=merchant_id,
        order_id=order_id,
        status=status,
        resolution=Resolution.REFUND,
        items=[ItemView(line_id=f"L{i}", sku=sku, quantity=1, reason=why) for i, (sku, why) in enumerate(items)],
        label=label(codes[0]) if codes else None,
        parcels=[label(c) for c in codes] if len(codes) > 1 else [],
        request_fingerprint="fp",
        created_at=at,
        updated_at=at,
    )
    flags = (
        [AttentionEntry(key=attention_key(return_id, "x"), kind=AttentionKind.CARRIER_EXCEPTION, reason="r", at=at)]
        if attention
        else []
    )
    StoreActivities(engine).record_return(ReturnProjection(view=view, version=1, new_entries=[], new_attention=flags))


def order(engine, merchant_id: str, order_id: str, email: str) -> None:
    with session_scope(engine) as s:
        s.add(
            Order(
                merchant_id=merchant_id,
                id=order_id,
                placed_at=T0 - timedelta(days=3),
                currency="USD",
                customer={**CUSTOMER, "email": email},
                lines=LINES,
            )
        )


@pytest.fixture
def shops(engine):
    """Merchant A's eight returns and merchant B's mirror images (same orders' ids, skus, codes' shapes)."""
    a, _, _ = new_merchant(engine)
    b, _, _ = new_merchant(engine)
    for m, tag in ((a, "a"), (b, "b")):
        order(engine, m, "o1", "Sam.Shopper@Example.com")
        order(engine, m, "o2", "kim@example.com")
        record(engine, m, f"{tag}1", order_id="o1", minute=1, codes=(f"TRK{tag}1",))
        record(engine, m, f"{tag}2", order_id="o1", minute=2, items=(("SHOE", R.DEFECTIVE),), codes=(f"TRK{tag}2",))
        record(
            engine,
            m,
            f"{tag}3",
            order_id="o2",
            minute=3,
            status=ReturnStatus.PENDING_REVIEW,
            items=(("TEE", R.DEFECTIVE), ("CAP", R.CHANGED_MIND)),
            attention=True,
        )
        record(engine, m, f"{tag}4", order_id="o2", minute=4, codes=(f"TRK{tag}4a", f"TRK{tag}4b"))
        record(engine, m, f"{tag}5", order_id="o3", minute=5, status=ReturnStatus.COMPLETED, attention=True)
        record(engine, m, f"{tag}6", order_id="o3", minute=6, status=ReturnStatus.COMPLETED)
        record(engine, m, f"{tag}7", order_id="o1", minute=7, items=(("SHOE", R.TOO_SMALL),))
        record(engine, m, f"{tag}8", order_id="o2", minute=8)
    return a, b


def ids(engine, merchant_id: str, **filters) -> list[str]:
    with session_scope(engine) as s:
        return [r.id for r in queries.list_returns(s, merchant_id, ReturnFilters(**filters), 100, None)]


CASES = [
    ({}, [8, 7, 6, 5, 4, 3, 2, 1]),
    ({"status": "completed"}, [6, 5]),
    ({"status": "pending_review"}, [3]),
    ({"order_id": "o1"}, [7, 2, 1]),
    ({"order_id": "nope"}, []),
    ({"email": "sam.shopper@example.com"}, [7, 2, 1]),
    ({"email": "SAM.SHOPPER@EXAMPLE.COM"}, [7, 2, 1]),
    ({"email": "Kim@Example.com"}, [8, 4, 3]),
    ({"email": "nobody@example.com"}, []),
    ({"tracking_code": "TRK{tag}1"}, [1]),
    ({"tracking_code": "TRK{tag}4a"}, [4]),  # the first parcel (also the return's label)
    ({"tracking_code": "TRK{tag}4b"}, [4]),  # the second parcel
    ({"tracking_code": "TRKzz"}, []),
    ({"sku": "TEE"}, [8, 6, 5, 4, 3, 1]),
    ({"sku": "SHOE"}, [7, 2]),
    ({"sku": "CAP"}, [3]),
    ({"sku": "tee"}, []),  # skus are exact
    ({"reason": "defective"}, [3, 2]),
    ({"reason": "changed_mind"}, [3]),
    ({"needs_attention": True}, [5, 3]),
    ({"needs_attention": False}, [8, 7, 6, 4, 2, 1]),
    ({"created_from": T0 + timedelta(minutes=3)}, [8, 7, 6, 5, 4, 3]),
    ({"created_to": T0 + timedelta(minutes=3)}, [2, 1]),
    ({"created_from": T0 + timedelta(minutes=2), "created_to": T0 + timedelta(minutes=5)}, [4, 3, 2]),
    ({"created_from": (T0 + timedelta(minutes=7)).astimezone(__import__("zoneinfo").ZoneInfo("Asia/Tokyo"))}, [8, 7]),
    # combinations
    ({"order_id": "o1", "sku": "SHOE"}, [7, 2]),
    ({"email": "kim@example.com", "needs_attention": True}, [3]),
    ({"email": "kim@example.com", "status": "label_created"}, [8, 4]),
    ({"sku": "TEE", "reason": "defective"}, [3]),  # the same line: TEE and defective
    ({"sku": "SHOE", "reason": "too_small", "order_id": "o1"}, [7]),
    ({"status": "completed", "needs_attention": False}, [6]),
    ({"tracking_code": "TRK{tag}2", "email": "kim@example.com"}, []),
    ({"tracking_code": "TRK{tag}2", "email": "sam.shopper@example.com", "reason": "defective"}, [2]),
    ({"order_id": "o2", "created_to": T0 + timedelta(minutes=4), "needs_attention": False}, []),
    ({"sku": "TEE", "created_from": T0 + timedelta(minutes=4), "status": "label_created"}, [8, 4]),
]


@pytest.mark.parametrize(("filters", "expected"), CASES)
def test_each_filter_and_combination_finds_exactly_its_returns_and_only_the_merchants(engine, shops, filters, expected):
    a, b = shops
    for m, tag in ((a, "a"), (b, "b")):
        mine = {k: v.format(tag=tag) if isinstance(v, str) else v for k, v in filters.items()}
        assert ids(engine, m, **mine) == [f"{tag}{n}" for n in expected]
        # merchant B's values under A's key find nothing of B's
        other = "b" if tag == "a" else "a"
        theirs = {k: v.format(tag=other) if isinstance(v, str) else v for k, v in filters.items()}
        assert all(r.startswith(tag) for r in ids(engine, m, **theirs))


def test_a_return_with_a_sku_on_two_lines_is_listed_once(engine):
    a, _, _ = new_merchant(engine)
    record(engine, a, "r1", order_id="o1", minute=1, items=(("TEE", R.TOO_SMALL), ("TEE", R.TOO_LARGE)))
    assert ids(engine, a, sku="TEE") == ["r1"]


@pytest.mark.parametrize(
    "filters",
    [{}, {"sku": "TEE"}, {"email": "kim@example.com"}, {"needs_attention": False}, {"created_from": T0}],
)
def test_pages_across_a_filter_never_skip_or_repeat(engine, shops, filters):
    a, _ = shops
    every = ids(engine, a, **filters)
    f = ReturnFilters(**filters)
    seen, after = [], None
    with session_scope(engine) as s:
        while True:
            page = queries.list_returns(s, a, f, 2, after)
            seen += [r.id for r in page]
            if len(page) < 2:
                break
            cursor = queries.encode_cursor(page[-1], f)
            after = queries.decode_cursor(cursor, f)
    assert seen == every and every


def test_a_cursor_is_bound_to_its_filters(engine, shops):
    a, _ = shops
    with session_scope(engine) as s:
        [row] = queries.list_returns(s, a, ReturnFilters(sku="SHOE"), 1, None)
    cursor = queries.encode_cursor(row, ReturnFilters(sku="SHOE"))
    assert queries.decode_cursor(cursor, ReturnFilters(sku="SHOE")) == (row.created_at, row.id)
    for other in (ReturnFilters(), ReturnFilters(sku="TEE"), ReturnFilters(sku="SHOE", status="completed")):
        with pytest.raises(ValueError):
            queries.decode_cursor(cursor, other)
    with pytest.raises(ValueError):  # an unfiltered cursor does not continue a filtered listing
        queries.decode_cursor(queries.encode_cursor(row), ReturnFilters(sku="SHOE"))
    # the email's case is not a different filter
    lower = queries.encode_cursor(row, ReturnFilters(email="kim@example.com"))
    assert queries.decode_cursor(lower, ReturnFilters(email="KIM@example.com"))
    # nor the offset a time is written with
    utc = queries.encode_cursor(row, ReturnFilters(created_from=T0))
    tokyo = T0.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Tokyo"))
    assert queries.decode_cursor(utc, ReturnFilters(created_from=tokyo))


def test_an_open_attention_item_resolved_no_longer_needs_attention(engine, shops):
    a, _ = shops
    with session_scope(engine) as s:
        for item in s.exec(text("SELECT id FROM attention_items")).all():
            row = s.get(AttentionItem, item[0])
            if row.return_id == "a5":
                row.resolved_at = T0
                s.add(row)
    assert ids(engine, a, needs_attention=True) == ["a3"]
    assert "a5" in ids(engine, a, needs_attention=False)


def test_the_orders_returns_newest_first_and_only_the_merchants(engine, shops):
    a, b = shops
    with session_scope(engine) as s:
        assert [r.id for r in queries.order_returns(s, a, "o2")] == ["a8", "a4", "a3"]
        assert [r.id for r in queries.order_returns(s, b, "o2")] == ["b8", "b4", "b3"]
        assert queries.order_returns(s, a, "o9") == []


def test_the_email_filter_can_use_the_lowered_email_index(engine, shops):
    a, _ = shops
    with session_scope(engine) as s:
        q = queries._filtered(s, a, ReturnFilters(email="kim@example.com"))
        sql = str(q.compile(engine, compile_kwargs={"literal_binds": True}))
        if engine.dialect.name == "sqlite":
            plan = " ".join(str(r) for r in s.exec(text(f"EXPLAIN QUERY PLAN {sql}")).all())
        else:
            # A table this small gets another plan whatever the indexes (bench/return_filters.py measures the
            # big one): here the index must cover exactly the expression the query filters on.
            plan = " ".join(str(r) for r in s.exec(text(f"EXPLAIN {sql}")).all())
            index = s.exec(text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_orders_merchant_email'")).one()
            assert "lower((customer ->> 'email'::text))" in index[0] and "lower((customer ->> 'email'::text))" in plan
            plan += f" {index[0]}"
    assert "ix_orders_merchant_email" in plan, plan


def test_migration_0012_backfills_the_lines_of_returns_already_there(database_url):
    """Down to 0011 (return_lines gone), a return written as before, up again: its lines are there."""
    from alembic import command

    from db.migrate import alembic_config
    from db.session import make_engine

    engine = make_engine(database_url)
    try:
        a, _, _ = new_merchant(engine)
        command.downgrade(alembic_config(database_url), "0011")
        with session_scope(engine) as s:  # the returns table is as it was: only return_lines is new
            s.add(
                ReturnRecord(
                    id="old1",
                    merchant_id=a,
                    order_id="o1",
                    status="completed",
                    resolution="refund",
                    items=[{"line_id": "L1", "sku": "TEE", "quantity": 1, "reason": "defective"}],
                    request_fingerprint="fp",
                    created_at=T0,
                    updated_at=T0,
                )
            )
        command.upgrade(alembic_config(database_url), "head")
        assert ids(engine, a, sku="TEE", reason="defective") == ["old1"]
    finally:
        engine.dispose()
