"""A merchant's facilities, and which one an item (or a whole return) goes to.

A facility is a place that takes returned items: a warehouse, a refurbishment
centre, a recycler, a donation partner, a liquidator, or one of the merchant's
own stores (where shoppers hand returns in; `hours` says when it is open). Each says what it can do
with an item (its capabilities), which product categories it accepts, how many
units it takes a day and what a unit costs it.

Where things are: `registry` (the facilities and their checks), `routing` (the
routing rule, `route_item` and `receiving_warehouse`), `domain.geo` (points and
distance). Everything public is importable from here.
"""

from __future__ import annotations

from domain.facilities.hours import OpeningHours
from domain.facilities.registry import (
    Capability,
    Facility,
    FacilityAddress,
    FacilityKind,
    FacilityRegistry,
)
from domain.facilities.routing import (
    TIE_KM,
    Held,
    HeldCode,
    Load,
    Routed,
    RouteDecision,
    book,
    capacity_left,
    receiving_warehouse,
    route_item,
)
from domain.geo import EARTH_RADIUS_KM, GeoPoint, distance_km

__all__ = [
    "EARTH_RADIUS_KM",
    "TIE_KM",
    "Capability",
    "Facility",
    "FacilityAddress",
    "FacilityKind",
    "FacilityRegistry",
    "GeoPoint",
    "Held",
    "HeldCode",
    "Load",
    "OpeningHours",
    "RouteDecision",
    "Routed",
    "book",
    "capacity_left",
    "distance_km",
    "receiving_warehouse",
    "route_item",
]
