"""A merchant's stores and what a store's scan finds, on SQLite and PostgreSQL; a store key is made as any other."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from db.merchants import authenticate
from db.onboarding import OnboardingError, create_key
from db.registry import save_registry
from db.return_choices import record_choices
from db.seed import seed_merchant
from db.session import session_scope
from db.stores import add_missing_stores, return_id_in, scanned_at_store, store_of, stores_of
from db.tables import ApiKey, ReturnRecord, TimelineRecord
from domain.facilities import FacilityRegistry
from domain.facilities.example_stores import example_stores
from domain.facilities_example import example_facilities
from domain.rma import rma_code
from tests.factories import insert_order

T0 = datetime(2026, 12, 1, 10, tzinfo=UTC)
HOURS = [{"days": ["mon", "tue", "wed", "thu", "fri"], "opens": "09:00", "closes": "18:00"}]


def store(id_: str, **extra) -> dict:
    return {
        "id": id_,
        "kind": "store",
        "name": f"Store {id_}",
        "address": {"street1": "Kalverstraat 1", "city": "Amsterdam", "zip": "1012 NX", "country": "NL"},
        "location": {"lat": 52.37, "lon": 4.89},
        "capabilities": [],
        "daily_capacity": 100,
        "cost_per_unit": 0,
        "currency": "EUR",
        **extra,
    }


@pytest.fixture
def shops(engine):
    for merchant_id in ("sunny", "other"):
        seed_merchant(
            engine,
            merchant_id=merchant_id,
            name=merchant_id,
            merchant_key=f"rf_test_m_{merchant_id}_stores_000000",
            warehouse_key=f"rf_test_w_{merchant_id}_stores_000000",
        )
    registry = example_facilities()
    registry["facilities"] += [store("st_zuid", opening_hours=HOURS), store("st_centrum")]
    with session_scope(engine) as session:
        save_registry(session, "sunny", FacilityRegistry.model_validate(registry))
        save_registry(session, "other", FacilityRegistry.model_validate({"facilities": [store("st_theirs")]}))
    return engine


def test_stores_of_lists_only_the_merchants_stores_with_their_hours(shops):
    with session_scope(shops) as session:
        found = stores_of(session, "sunny")
        assert [s.id for s in found] == ["st_centrum", "st_zuid"]
        assert found[0].opening_hours is None
        assert found[1].opening_hours[0].model_dump() == HOURS[0]
        assert [s.id for s in stores_of(session, "other")] == ["st_theirs"]
        assert stores_of(session, "nobody") == []


def test_store_of_is_none_for_a_warehouse_another_merchants_store_and_an_unknown_id(shops):
    with session_scope(shops) as session:
        assert store_of(session, "sunny", "st_zuid").name == "Store st_zuid"
        assert store_of(session, "sunny", "wh_demo_nl") is None  # a facility, but no store
        assert store_of(session, "sunny", "st_theirs") is None
        assert store_of(session, "sunny", "st_nothing") is None


def test_a_scan_finds_the_merchants_return_by_rma_code_or_id_and_whether_a_store_has_it(shops):
    order = insert_order(shops, "sunny", None)
    with session_scope(shops) as session:
        for return_id, merchant_id in (("ret_0a1b2c", "sunny"), ("ret_9f8e7d", "other")):
            session.add(
                ReturnRecord(
                    id=return_id,
                    merchant_id=merchant_id,
                    order_id=order.id,
                    status="awaiting_hand_in",
                    resolution="refund",
                    items=[],
                    request_fingerprint="f",
                    created_at=T0,
                    updated_at=T0,
                )
            )
        session.flush()
        record_choices(session, "sunny", "ret_0a1b2c", "nl", "store", "st_zuid")
    assert return_id_in("  rma-RET_0A1B2C\n") == return_id_in("ret_0a1b2c") == "ret_0a1b2c"
    with session_scope(shops) as session:
        found = scanned_at_store(session, "sunny", rma_code("ret_0a1b2c"))
        assert (found.row.id, found.choices.send_method, found.choices.store_id) == ("ret_0a1b2c", "store", "st_zuid")
        assert not found.handed_in
        assert scanned_at_store(session, "sunny", "ret_9f8e7d") is None  # another merchant's
        assert scanned_at_store(session, "sunny", "RMA-RET_9F8E7D") is None
        assert scanned_at_store(session, "sunny", "ret_nothing") is None
        session.add(
            TimelineRecord(
                return_id="ret_0a1b2c", seq=1, at=T0, status="received", event="hand_in", cause="handed in at st_zuid"
            )
        )
    with session_scope(shops) as session:
        assert scanned_at_store(session, "sunny", "ret_0a1b2c").handed_in


def test_a_store_key_is_made_like_any_other_and_an_unknown_scope_is_refused(shops):
    with session_scope(shops) as session:
        made = create_key(session, "sunny", "store", test_mode=True, now=T0)
    with session_scope(shops) as session:
        key = authenticate(session, ApiKey.hash(made.key), T0)
        assert (key.merchant_id, key.scope) == ("sunny", "store")
        with pytest.raises(OnboardingError, match="unknown scope"):
            create_key(session, "sunny", "shop", test_mode=True, now=T0)


def test_the_demo_stores_are_added_once_beside_the_registry_and_a_store_in_another_currency_changes_nothing(shops):
    with session_scope(shops) as session:
        assert add_missing_stores(session, "sunny", example_stores()) == ["st_demo_amsterdam", "st_demo_utrecht"]
    with session_scope(shops) as session:
        assert add_missing_stores(session, "sunny", example_stores()) == []  # the seed runs on every start
        ids = [s.id for s in stores_of(session, "sunny")]
        assert ids == ["st_centrum", "st_demo_amsterdam", "st_demo_utrecht", "st_zuid"]
        assert store_of(session, "sunny", "st_demo_utrecht").opening_hours[1].opens == "13:30"
        assert store_of(session, "sunny", "wh_demo_nl") is None  # the warehouses stay
    with session_scope(shops) as session:
        with pytest.raises(ValueError, match="differs from facilities"):
            add_missing_stores(session, "sunny", [{**store("st_usd"), "currency": "USD"}])
    with session_scope(shops) as session:
        assert "st_usd" not in [s.id for s in stores_of(session, "sunny")]
