"""The facility registry over HTTP: seeded for the demo merchant, replaced whole, validated by field."""

from __future__ import annotations

import copy

import pytest

from domain.facilities_example import example_facilities
from tests.integration.conftest import Running
from tests.integration.test_bad_input import error

pytestmark = pytest.mark.integration


def test_the_demo_merchant_starts_with_facilities_in_several_countries(running: Running):
    got = running.api.get("/v1/facilities", headers=running.merchant()).json()["facilities"]
    assert {f["address"]["country"] for f in got} >= {"NL", "DE"}
    assert {f["kind"] for f in got} == {
        "warehouse",
        "refurbishment_centre",
        "recycler",
        "donation_partner",
        "liquidator",
        "store",  # the demo shop's stores, where shoppers hand returns in (db/demo_shop.py)
    }


def test_registry_is_replaced_whole_and_bad_facilities_name_the_field(running: Running, shop):
    run = running
    assert run.api.get("/v1/facilities", headers=shop["merchant"]).json() == {"facilities": []}
    registry = example_facilities()
    r = run.api.put("/v1/facilities", json=registry, headers=shop["merchant"])
    assert r.status_code == 200 and len(r.json()["facilities"]) == len(registry["facilities"]), r.text

    def broken(**change) -> dict:
        doc = copy.deepcopy(registry)
        first = doc["facilities"][0]
        for path, value in change.items():
            target = first
            *parents, leaf = path.split("__")
            for p in parents:
                target = target[p]
            target[leaf] = value
        return doc

    cases = {
        "unknown capability": (broken(capabilities=["teleport"]), "capabilities"),
        "latitude out of range": (broken(location__lat=123.0), "lat"),
        "longitude out of range": (broken(location__lon=-200.0), "lon"),
        "negative capacity": (broken(daily_capacity=-1), "daily_capacity"),
    }
    for what, (doc, field) in cases.items():
        err = error(run.api.put("/v1/facilities", json=doc, headers=shop["merchant"]), 422)
        assert field in err["message"], (what, err)
    # Refused saves changed nothing.
    assert len(run.api.get("/v1/facilities", headers=shop["merchant"]).json()["facilities"]) == len(
        registry["facilities"]
    )
    assert run.api.put("/v1/facilities", json={"facilities": []}, headers=shop["merchant"]).json() == {"facilities": []}
