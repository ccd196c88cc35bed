"""The database layer on SQLite and PostgreSQL: migrations, projection upserts, ledger, queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from temporalio.testing import ActivityEnvironment

from activities.payments import PaymentActivities, SettlementRequest
from activities.store import StoreActivities
from db import returns as queries
from db.session import session_scope
from db.tables import Order, ReturnRecord, StoreCreditEntry, TimelineRecord
from domain.money import Money
from domain.returns import Resolution, ReturnReason
from domain.status import ReturnStatus
from tests.factories import CUSTOMER, LINES, create_payment, new_merchant, stripe_client
from workflows.messages import ItemView, ReturnProjection, ReturnView, TimelineEntry, TimelineEvent

T0 = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)


def view(return_id: str, merchant_id: str, status: ReturnStatus, at: datetime, order_id: str = "o1") -> ReturnView:
    return ReturnView(
        return_id=return_id,
        merchant_id=merchant_id,
        order_id=order_id,
        status=status,
        resolution=Resolution.REFUND,
        items=[ItemView(line_id="L1", sku="TEE", quantity=1, reason=ReturnReason.TOO_SMALL)],
        request_fingerprint="fp",
        created_at=T0,
        updated_at=at,
    )


def entry(seq: int, status: ReturnStatus) -> TimelineEntry:
    return TimelineEntry(
        seq=seq, at=T0 + timedelta(minutes=seq), status=status, event=TimelineEvent.SETTLEMENT, cause=f"step {seq}"
    )


def test_migrations_create_every_table(engine):
    tables = set(inspect(engine).get_table_names())
    assert {
        "merchants",
        "api_keys",
        "orders",
        "returns",
        "return_timeline",
        "carrier_events",
        "store_credit_entries",
    } <= tables


def test_projection_is_idempotent_and_never_goes_back(engine):
    merchant_id, _, _ = new_merchant(engine)
    store = StoreActivities(engine)
    env = ActivityEnvironment()
    newer = ReturnProjection(
        view=view("r1", merchant_id, ReturnStatus.IN_TRANSIT, T0 + timedelta(hours=2)),
        version=3,
        new_entries=[
            entry(1, ReturnStatus.REQUESTED),
            entry(2, ReturnStatus.LABEL_CREATED),
            entry(3, ReturnStatus.IN_TRANSIT),
        ],
    )
    older = ReturnProjection(
        view=view("r1", merchant_id, ReturnStatus.LABEL_CREATED, T0 + timedelta(hours=1)),
        version=2,
        new_entries=[entry(1, ReturnStatus.REQUESTED), entry(2, ReturnStatus.LABEL_CREATED)],
    )
    env.run(store.record_return, newer)
    env.run(store.record_return, newer)  # a retried activity
    env.run(store.record_return, older)  # a late, older write
    with session_scope(engine) as s:
        row = s.get(ReturnRecord, "r1")
        assert row.status == "in_transit" and row.version == 3
        assert row.updated_at == T0 + timedelta(hours=2) and row.updated_at.tzinfo is not None
        seqs = [
            t.seq
            for t in s.exec(select(TimelineRecord).where(TimelineRecord.return_id == "r1").order_by(TimelineRecord.seq))
        ]
    assert seqs == [1, 2, 3]


def paid_order(engine, merchant_id: str, payments_url: str) -> None:
    """Order o1, paid (store credit is bounded by the payment: domain/payout.py)."""
    pi = create_payment(payments_url, 5000, currency="eur", merchant_id=merchant_id)
    with session_scope(engine) as s:
        s.add(
            Order(
                merchant_id=merchant_id,
                id="o1",
                placed_at=T0,
                currency="EUR",
                customer=CUSTOMER,
                lines=LINES,
                payment={"provider": "stripe", "reference": pi},
            )
        )


def test_store_credit_is_issued_once_per_return(engine, sandboxes):
    merchant_id, _, _ = new_merchant(engine)
    paid_order(engine, merchant_id, sandboxes["payments"])
    StoreActivities(engine).record_return(
        ReturnProjection(view=view("r2", merchant_id, ReturnStatus.SETTLING, T0), version=1, new_entries=[])
    )
    payments = PaymentActivities(engine, stripe_client(sandboxes["payments"]))
    req = SettlementRequest(return_id="r2", merchant_id=merchant_id, amount=Money(amount=1234, currency="EUR"))
    first = ActivityEnvironment().run(payments.issue_store_credit, req)
    again = ActivityEnvironment().run(payments.issue_store_credit, req)
    assert first == again and first.amount.amount == 1234
    with session_scope(engine) as s:
        entries = s.exec(select(StoreCreditEntry).where(StoreCreditEntry.merchant_id == merchant_id)).all()
    assert [(e.amount, e.customer_email) for e in entries] == [(1234, "sam.shopper@example.com")]


def test_issued_credit_carries_the_configured_expiry(engine, sandboxes):
    merchant_id, _, _ = new_merchant(engine)
    paid_order(engine, merchant_id, sandboxes["payments"])
    StoreActivities(engine).record_return(
        ReturnProjection(view=view("r3", merchant_id, ReturnStatus.SETTLING, T0), version=1, new_entries=[])
    )
    req = SettlementRequest(return_id="r3", merchant_id=merchant_id, amount=Money(amount=500, currency="EUR"))
    ActivityEnvironment().run(
        PaymentActivities(engine, stripe_client(sandboxes["payments"]), credit_expiry_days=365).issue_store_credit, req
    )
    with session_scope(engine) as s:
        [entry] = s.exec(select(StoreCreditEntry).where(StoreCreditEntry.merchant_id == merchant_id)).all()
    assert entry.expires_at - entry.created_at == timedelta(days=365)


def test_ledger_key_is_unique_per_merchant(engine):
    merchant_id, _, _ = new_merchant(engine)
    row = dict(
        merchant_id=merchant_id, customer_email="a@b.c", amount=5, currency="EUR", kind="issue", idempotency_key="k"
    )
    with session_scope(engine) as s:
        s.add(StoreCreditEntry(**row))
    with pytest.raises(IntegrityError):
        with session_scope(engine) as s:
            s.add(StoreCreditEntry(**row))


def test_listing_is_tenant_scoped_and_pages_without_gaps(engine):
    mine, _, _ = new_merchant(engine)
    theirs, _, _ = new_merchant(engine)
    store = StoreActivities(engine)
    for i in range(7):
        v = view(f"m{i}", mine, ReturnStatus.LABEL_CREATED, T0).model_copy(
            update={"created_at": T0 + timedelta(minutes=i % 3)}
        )
        store.record_return(ReturnProjection(view=v, version=1, new_entries=[]))
    store.record_return(
        ReturnProjection(view=view("t0", theirs, ReturnStatus.LABEL_CREATED, T0), version=1, new_entries=[])
    )
    seen, after = [], None
    with session_scope(engine) as s:
        while True:
            page = queries.list_returns(s, mine, None, 3, after)
            seen += [r.id for r in page]
            if len(page) < 3:
                break
            after = (page[-1].created_at, page[-1].id)
        assert sorted(seen) == [f"m{i}" for i in range(7)] and len(seen) == len(set(seen))
        assert queries.get_return(s, mine, "t0") is None
        assert queries.list_returns(s, mine, "completed", 10, None) == []
