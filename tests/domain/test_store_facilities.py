"""A store is a facility shoppers hand returns in at: its opening hours are checked, it needs no capability,
and routing sends items to it only for what it can do (labels are never addressed to it)."""

from __future__ import annotations

import pytest

from domain.facilities import (
    Capability,
    Facility,
    FacilityKind,
    FacilityRegistry,
    GeoPoint,
    Routed,
    receiving_warehouse,
    route_item,
)
from domain.facilities.hours import day_name, week

AMSTERDAM = GeoPoint(lat=52.3676, lon=4.9041)


def facility(id: str, kind: str, capabilities: list[str], **extra) -> dict:
    return {
        "id": id,
        "kind": kind,
        "name": f"Facility {id}",
        "address": {"street1": "Kalverstraat 1", "city": "Amsterdam", "zip": "1012 NX", "country": "NL"},
        "location": {"lat": 52.3702, "lon": 4.8952},
        "capabilities": capabilities,
        "daily_capacity": 50,
        "cost_per_unit": 0,
        "currency": "EUR",
        **extra,
    }


WEEK = [
    {"days": ["mon", "tue", "wed", "thu", "fri"], "opens": "09:00", "closes": "12:30"},
    {"days": ["fri", "mon", "tue", "wed", "thu"], "opens": "13:30", "closes": "18:00"},
    {"days": ["sat"], "opens": "10:00", "closes": "17:00"},
]


def test_a_store_with_opening_hours_and_no_capability_is_valid_and_reads_back_the_same():
    store = Facility.model_validate(facility("st_centrum", "store", [], opening_hours=WEEK))
    assert store.kind is FacilityKind.STORE and store.is_store and store.capabilities == []
    assert [h.days for h in store.opening_hours][1] == ["mon", "tue", "wed", "thu", "fri"]  # the week's order
    again = Facility.model_validate(store.model_dump(mode="json"))
    assert again == store


def test_a_store_without_hours_is_allowed_and_a_facility_saved_before_stores_reads_and_writes_as_before():
    store = Facility.model_validate(facility("st_west", "store", []))
    assert store.opening_hours is None
    warehouse = facility("wh_1", "warehouse", ["restock"])
    assert Facility.model_validate(warehouse).model_dump(mode="json").keys() == {*warehouse, "categories"}


def test_only_a_store_may_have_no_capability():
    with pytest.raises(ValueError, match="only a store may have none"):
        Facility.model_validate(facility("wh_1", "warehouse", []))


@pytest.mark.parametrize(
    "hours,where,says",
    [
        ([{"days": ["mon"], "opens": "18:00", "closes": "09:00"}], "opening_hours.0", "must be after opens"),
        ([{"days": ["mon"], "opens": "09:00", "closes": "09:00"}], "opening_hours.0", "must be after opens"),
        ([{"days": ["mon"], "opens": "9:00", "closes": "18:00"}], "opening_hours.0.opens", "pattern"),
        ([{"days": ["mon"], "opens": "09:00", "closes": "24:00"}], "opening_hours.0.closes", "pattern"),
        ([{"days": ["mon"], "opens": "09:60", "closes": "18:00"}], "opening_hours.0.opens", "pattern"),
        ([{"days": ["mon", "mon"], "opens": "09:00", "closes": "18:00"}], "opening_hours.0.days.1", "already"),
        ([{"days": ["monday"], "opens": "09:00", "closes": "18:00"}], "opening_hours.0.days.0", "mon"),
        ([{"days": [], "opens": "09:00", "closes": "18:00"}], "opening_hours.0.days", "at least 1"),
        ([{"days": ["mon"], "opens": "09:00"}], "opening_hours.0.closes", "required"),
        (
            [
                {"days": ["mon", "tue"], "opens": "09:00", "closes": "18:00"},
                {"days": ["tue"], "opens": "17:00", "closes": "20:00"},
            ],
            "opening_hours.1.days",
            "overlaps opening_hours[0] (09:00-18:00) on tue",
        ),
    ],
)
def test_opening_hours_that_cannot_be_are_refused_at_their_field(hours, where, says):
    with pytest.raises(ValueError) as err:
        Facility.model_validate(facility("st_1", "store", [], opening_hours=hours))
    errors = err.value.errors()
    assert any(".".join(map(str, e["loc"])) == where and says in e["msg"] for e in errors), errors


def test_back_to_back_spans_on_one_day_do_not_overlap():
    hours = [
        {"days": ["sun"], "opens": "10:00", "closes": "12:00"},
        {"days": ["sun"], "opens": "12:00", "closes": "16:00"},
    ]
    assert len(Facility.model_validate(facility("st_1", "store", [], opening_hours=hours)).opening_hours) == 2


def test_routing_never_sends_items_to_a_store_that_cannot_handle_them_and_labels_never_go_to_a_store():
    registry = FacilityRegistry.model_validate(
        {
            "facilities": [
                facility("st_near", "store", [], opening_hours=WEEK),  # nearest, but only receives
                {**facility("wh_far", "warehouse", ["restock"]), "location": {"lat": 51.2254, "lon": 6.7763}},
            ]
        }
    )
    decision = route_item(registry.facilities, Capability.RESTOCK, "apparel", 1, AMSTERDAM, {})
    assert isinstance(decision, Routed) and decision.facility_id == "wh_far"
    assert receiving_warehouse(registry.facilities, AMSTERDAM, {}, 1).id == "wh_far"


def test_a_store_that_restocks_takes_items_for_restock_but_never_a_label():
    store = facility("st_shelf", "store", ["restock"])
    registry = FacilityRegistry.model_validate({"facilities": [store]})
    decision = route_item(registry.facilities, Capability.RESTOCK, "apparel", 1, AMSTERDAM, {})
    assert isinstance(decision, Routed) and decision.facility_id == "st_shelf"
    assert receiving_warehouse(registry.facilities, AMSTERDAM, {}, 1) is None


def test_the_week_reads_as_a_shop_door_from_monday_with_closed_days_empty():
    hours = Facility.model_validate(facility("st_1", "store", [], opening_hours=WEEK)).opening_hours
    assert week(hours) == [
        ("mon", [("09:00", "12:30"), ("13:30", "18:00")]),
        ("tue", [("09:00", "12:30"), ("13:30", "18:00")]),
        ("wed", [("09:00", "12:30"), ("13:30", "18:00")]),
        ("thu", [("09:00", "12:30"), ("13:30", "18:00")]),
        ("fri", [("09:00", "12:30"), ("13:30", "18:00")]),
        ("sat", [("10:00", "17:00")]),
        ("sun", []),
    ]
    assert week(None) == [(day, []) for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")]


@pytest.mark.parametrize(
    "language,monday,sunday",
    [("nl", "maandag", "zondag"), ("en", "Monday", "Sunday"), ("de", "Montag", "Sonntag"), ("fr", "lundi", "dimanche")],
)
def test_days_are_named_in_the_shoppers_language(language, monday, sunday):
    assert (day_name("mon", language), day_name("sun", language)) == (monday, sunday)
