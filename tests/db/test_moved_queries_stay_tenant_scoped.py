"""Review of issue #11: the queries that moved from the routers and api/queries.py into db/ still take
the caller's merchant id and find, change or list nothing of another merchant's (merchant B below
names merchant A's ids). These passed before the move; the test keeps them so."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from db import attention, carrier_events, inventory_queries, receipts, returns, work_orders
from db.session import make_engine, session_scope
from db.tables import AttentionItem, ItemRouteRow, ReturnParcel, ReturnRecord, WorkOrder
from tests.factories import insert_order, new_merchant


@pytest.fixture
def two_shops(sqlite_url):
    engine = make_engine(sqlite_url)
    a, _, _ = new_merchant(engine)
    b, _, _ = new_merchant(engine)
    order = insert_order(engine, a, None)
    now = datetime.now(UTC)
    with session_scope(engine) as s:
        s.add(
            ReturnRecord(
                id="ret_a",
                merchant_id=a,
                order_id=order.id,
                status="label_created",
                resolution="refund",
                items=[{"line_id": "L1", "sku": "S", "quantity": 1, "reason": "too_small"}],
                request_fingerprint="f",
                tracking_code="EZ_A_1",
                tracker_id="trk_a",
                created_at=now,
                updated_at=now,
            )
        )
        s.add(ReturnParcel(tracking_code="EZ_A_2", merchant_id=a, return_id="ret_a", parcel=2))
        s.add(
            ItemRouteRow(
                return_id="ret_a",
                line_id="L1",
                merchant_id=a,
                sku="S",
                quantity=1,
                grade="B",
                disposition="refurbish",
                recovery_value=100,
                currency="USD",
                rule="r",
                from_facility_id="wh_a",
                facility_id="fac_a",
                reason="why",
                day="2026-12-04",
                transfer_tracking_code="EZ_T_A",
            )
        )
        s.add(
            WorkOrder(
                id="wo_a",
                merchant_id=a,
                return_id="ret_a",
                line_id="L1",
                facility_id="fac_a",
                sku="S",
                quantity=1,
                grade_in="B",
            )
        )
        s.add(AttentionItem(merchant_id=a, key="ret_a:item_held:L1", kind="item_held", return_id="ret_a", reason="r"))
    yield engine, a, b
    engine.dispose()


def test_merchant_b_finds_none_of_merchant_as_returns(two_shops):
    engine, a, b = two_shops
    with session_scope(engine) as s:
        assert returns.get_return(s, a, "ret_a") is not None
        assert returns.get_return(s, b, "ret_a") is None
        assert returns.find_return_by_tracking(s, b, "EZ_A_1") is None
        assert returns.find_return_by_tracking(s, b, "EZ_A_2") is None  # a further parcel's code
        assert returns.find_return_by_tracking(s, a, "EZ_A_2").id == "ret_a"
        assert returns.return_and_lines(s, b, "ret_a") == (None, [])
        assert returns.list_returns(s, b, None, 10, None) == []
        assert returns.labelled_returns(s, b, None) == [] and returns.recent_labels(s, b, 10) == []
        assert receipts.scanned_return(s, b, None, "ret_a", None) == (None, "ret_a")
        assert receipts.scanned_return(s, b, "EZ_A_1", None, None) == (None, None)
        assert inventory_queries.item_trail(s, b, "ret_a", "L1") is None
        assert inventory_queries.transfer_to(s, b, "fac_a", tracking_code="EZ_T_A") is None
        assert inventory_queries.transfer_to(s, b, "fac_a", return_id="ret_a", line_id="L1") is None
        assert inventory_queries.transfer_to(s, a, "fac_a", tracking_code="EZ_T_A") is not None
        assert work_orders.work_orders(s, b, None, None, 10) == []
        assert attention.open_attention(s, b, None, 10) == []
        with pytest.raises(receipts.UnknownFacility):
            receipts.receiving_facility(s, b, "fac_a", None)
    # carrier events come for the whole EasyPost account: found without a merchant, naming its own
    with session_scope(engine) as s:
        assert carrier_events.find_return_for_carrier(s, "trk_a", None).merchant_id == a


def test_merchant_b_changes_none_of_merchant_as_rows(two_shops):
    engine, a, b = two_shops
    at = datetime.now(UTC)
    with session_scope(engine) as s:
        assert work_orders.complete_work_order(s, b, "wo_a", "A", "", at) == (None, False)
        item = attention.open_attention(s, a, None, 10)[0]
        assert attention.resolve_attention(s, b, item.id, "ops key x") is None
    with session_scope(engine) as s:
        assert s.get(WorkOrder, "wo_a").status == "open"
        assert s.get(AttentionItem, item.id).resolved_at is None
        row, completed = work_orders.complete_work_order(s, a, "wo_a", "A", "", at)
        assert completed and row.status == "completed"
