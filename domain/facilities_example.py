"""The demo merchant's facilities (`make run` seeds them): the JSON a merchant would PUT to /v1/facilities.

NL, DE and BE plus a US warehouse, one facility of each kind, real-looking coordinates; costs in EUR.
"""

from __future__ import annotations

import copy
from typing import Any


def _facility(
    id, kind, name, street, city, zip_, country, lat, lon, capabilities, capacity, cost, currency, categories=()
):
    return {
        "id": id,
        "kind": kind,
        "name": name,
        "address": {"company": name, "street1": street, "city": city, "zip": zip_, "country": country},
        "location": {"lat": lat, "lon": lon},
        "capabilities": capabilities,
        "categories": list(categories),
        "daily_capacity": capacity,
        "cost_per_unit": cost,
        "currency": currency,
    }


EXAMPLE_FACILITIES: dict[str, Any] = {
    "facilities": [
        _facility(
            "wh_demo_nl",
            "warehouse",
            "Demo Returns Centre Amsterdam",
            "Hoofdweg 12",
            "Amsterdam",
            "1058 AA",
            "NL",
            52.3676,
            4.8522,
            ["restock"],
            500,
            120,
            "EUR",
        ),
        _facility(
            "wh_demo_de",
            "warehouse",
            "Demo Lager Düsseldorf",
            "Königsallee 1",
            "Düsseldorf",
            "40212",
            "DE",
            51.2254,
            6.7763,
            ["restock"],
            300,
            140,
            "EUR",
        ),
        _facility(
            "wh_demo_us",
            "warehouse",
            "Demo Returns Reno",
            "1 E Liberty St",
            "Reno",
            "89501",
            "US",
            39.5272,
            -119.8136,
            ["restock"],
            800,
            90,
            "EUR",
        ),
        _facility(
            "rf_demo_eindhoven",
            "refurbishment_centre",
            "Eindhoven Refurb Works",
            "Strijp 7",
            "Eindhoven",
            "5617 AB",
            "NL",
            51.4486,
            5.4577,
            ["refurbish"],
            120,
            850,
            "EUR",
            ["electronics", "shoes"],
        ),
        _facility(
            "rc_demo_rotterdam",
            "recycler",
            "Rotterdam Circular",
            "Waalhaven 30",
            "Rotterdam",
            "3089 JH",
            "NL",
            51.8944,
            4.4330,
            ["recycle", "dispose"],
            1000,
            60,
            "EUR",
        ),
        _facility(
            "dn_demo_berlin",
            "donation_partner",
            "Kleiderbrücke Berlin",
            "Torstraße 5",
            "Berlin",
            "10119",
            "DE",
            52.5290,
            13.4010,
            ["donate"],
            200,
            0,
            "EUR",
            ["apparel", "shoes"],
        ),
        _facility(
            "lq_demo_antwerp",
            "liquidator",
            "Antwerp Stock Outlet",
            "Noorderlaan 100",
            "Antwerpen",
            "2030",
            "BE",
            51.2505,
            4.4179,
            ["liquidate"],
            400,
            30,
            "EUR",
        ),
    ]
}


def example_facilities() -> dict[str, Any]:
    return copy.deepcopy(EXAMPLE_FACILITIES)
