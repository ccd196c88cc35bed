"""Capacity booking and routing on SQLite and PostgreSQL: concurrent returns never overbook a facility."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.exc import OperationalError
from sqlmodel import select

from activities import bookings
from activities.routing import RoutingActivities
from db.session import session_scope
from db.tables import FacilityBooking, InventoryMovement
from domain.disposition import DispositionKind
from domain.money import Money
from domain.returns import Grade
from tests.factories import new_merchant
from workflows.messages import RouteItem, RouteRequest

DAY = "2026-11-27"


def facility(id_, kind, lat, lon, capabilities, capacity, cost=100):
    return {
        "id": id_,
        "kind": kind,
        "name": id_,
        "location": {"lat": lat, "lon": lon},
        "capabilities": capabilities,
        "daily_capacity": capacity,
        "cost_per_unit": cost,
        "currency": "EUR",
        "address": {"street1": "1 Main St", "city": "Town", "zip": "1000", "country": "NL"},
    }


REGISTRY = {
    "facilities": [
        facility("wh", "warehouse", 52.37, 4.90, ["restock"], 100),
        facility("near", "recycler", 52.09, 5.12, ["recycle"], 3),  # Utrecht, ~40 km
        facility("far", "recycler", 51.44, 5.47, ["recycle"], 2),  # Eindhoven, ~110 km
    ]
}


def as_temporal_would(fn, *args):
    """Retry a transaction that lost a write race (SQLite answers busy at once); Temporal retries activities so."""
    for _ in range(50):
        try:
            return fn(*args)
        except OperationalError:
            continue
    raise AssertionError("never succeeded")


def test_concurrent_bookings_never_exceed_capacity(engine):
    merchant_id, _, _ = new_merchant(engine)

    def book_one(_: int) -> bool:
        def attempt() -> bool:
            with session_scope(engine) as s:
                return bookings.book(s, merchant_id, "near", DAY, 1, capacity=5)

        return as_temporal_would(attempt)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(book_one, range(16)))
    assert results.count(True) == 5
    with session_scope(engine) as s:
        assert s.get(FacilityBooking, (merchant_id, "near", DAY)).units == 5


def request(merchant_id: str, n: int) -> RouteRequest:
    item = RouteItem(
        line_id="L1",
        sku="SHOE",
        quantity=1,
        category="shoes",
        grade=Grade.D,
        disposition=DispositionKind.RECYCLE,
        recovery_value=Money(amount=100, currency="EUR"),
        rule="default:D",
    )
    return RouteRequest(return_id=f"ret_{merchant_id}_{n}", merchant_id=merchant_id, at_facility_id="wh", items=[item])


def test_concurrent_returns_fill_the_nearest_then_the_next_then_are_held(engine):
    merchant_id, _, _ = new_merchant(engine, facilities=REGISTRY)
    routing = RoutingActivities(engine)
    with ThreadPoolExecutor(max_workers=8) as pool:
        routes = list(pool.map(lambda n: as_temporal_would(routing.route_items, request(merchant_id, n)), range(8)))
    placed = [r[0].facility_id for r in routes]
    assert placed.count("near") == 3 and placed.count("far") == 2 and placed.count(None) == 3
    assert all("full today" in r[0].reason for r in routes if r[0].held)
    with session_scope(engine) as s:
        booked = {
            b.facility_id: b.units
            for b in s.exec(select(FacilityBooking).where(FacilityBooking.merchant_id == merchant_id))
        }
    assert booked == {"near": 3, "far": 2}


def test_routing_an_item_again_changes_nothing(engine):
    merchant_id, _, _ = new_merchant(engine, facilities=REGISTRY)
    routing = RoutingActivities(engine)
    first = routing.route_items(request(merchant_id, 1))
    assert routing.route_items(request(merchant_id, 1)) == first  # a retried activity
    with session_scope(engine) as s:
        booked = s.exec(select(FacilityBooking).where(FacilityBooking.merchant_id == merchant_id)).all()
        moves = s.exec(select(InventoryMovement).where(InventoryMovement.merchant_id == merchant_id)).all()
    assert [(b.facility_id, b.units) for b in booked] == [("near", 1)]
    assert [m.movement for m in moves] == ["received"]
