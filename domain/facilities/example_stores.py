"""The demo merchant's stores (`make run`'s shop): where its shoppers can hand a return in, with opening hours.

Facilities of kind `store` in the JSON a merchant would PUT to /v1/facilities (beside the example registry's,
costs in EUR like them); they only receive, so routing sends them no items.
"""

from __future__ import annotations

import copy
from typing import Any

_WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]


def _store(id_: str, name: str, street: str, city: str, zip_: str, lat: float, lon: float, hours: list) -> dict:
    return {
        "id": id_,
        "kind": "store",
        "name": name,
        "address": {"company": name, "street1": street, "city": city, "zip": zip_, "country": "NL"},
        "location": {"lat": lat, "lon": lon},
        "capabilities": [],
        "categories": [],
        "daily_capacity": 200,
        "cost_per_unit": 0,
        "currency": "EUR",
        "opening_hours": hours,
    }


EXAMPLE_STORES: list[dict[str, Any]] = [
    _store(
        "st_demo_amsterdam",
        "Demo Store Amsterdam Kalverstraat",
        "Kalverstraat 92",
        "Amsterdam",
        "1012 PH",
        52.3700,
        4.8913,
        [
            {"days": _WEEKDAYS, "opens": "10:00", "closes": "18:00"},
            {"days": ["sat"], "opens": "10:00", "closes": "17:00"},
            {"days": ["sun"], "opens": "12:00", "closes": "17:00"},
        ],
    ),
    _store(
        "st_demo_utrecht",
        "Demo Store Utrecht Oudegracht",
        "Oudegracht 150",
        "Utrecht",
        "3511 AZ",
        52.0894,
        5.1199,
        [
            {"days": _WEEKDAYS, "opens": "09:30", "closes": "12:30"},
            {"days": _WEEKDAYS, "opens": "13:30", "closes": "18:00"},
            {"days": ["sat"], "opens": "10:00", "closes": "17:00"},
        ],
    ),
]


def example_stores() -> list[dict[str, Any]]:
    """A fresh copy (callers may change it)."""
    return copy.deepcopy(EXAMPLE_STORES)
