"""PUT/GET /v1/label-rules on the API alone (real SQLite): saved per merchant, invalid rules a 422 naming the field."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from db.seed import seed_merchant
from db.session import make_engine
from db.tables import Merchant
from tests.api.alone import api_alone

A = {"Authorization": "Bearer rf_test_label_rules_a_000000000"}
B = {"Authorization": "Bearer rf_test_label_rules_b_000000000"}
A_WAREHOUSE = {"Authorization": "Bearer rf_test_label_rules_wa_00000000"}
DEFAULTS = {"carriers": [], "services": [], "max_cost": None, "selection": "cheapest", "preferred_carriers": []}


@pytest.fixture
def client(sqlite_url: str) -> Iterator[TestClient]:
    engine = make_engine(sqlite_url)
    seed_merchant(
        engine,
        merchant_id="a",
        name="A",
        merchant_key=A["Authorization"][7:],
        warehouse_key=A_WAREHOUSE["Authorization"][7:],
    )
    seed_merchant(
        engine,
        merchant_id="b",
        name="B",
        merchant_key=B["Authorization"][7:],
        warehouse_key="rf_test_label_rules_wb_00000000",
    )
    engine.dispose()
    with TestClient(api_alone(sqlite_url)) as c:
        yield c


def stored(sqlite_url: str, merchant_id: str) -> dict | None:
    engine = make_engine(sqlite_url)
    try:
        with Session(engine) as session:
            return session.get(Merchant, merchant_id).label_rules
    finally:
        engine.dispose()


def test_rules_are_saved_in_the_merchant_row_and_read_back(client: TestClient, sqlite_url: str):
    assert client.get("/v1/label-rules", headers=A).json() == DEFAULTS  # none saved: the cheapest of everything
    assert stored(sqlite_url, "a") is None
    rules = {
        "carriers": [" UPS ", "FedEx"],
        "max_cost": {"amount": 2500, "currency": "usd"},
        "selection": "preferred_carrier",
        "preferred_carriers": ["FedEx"],
    }
    r = client.put("/v1/label-rules", json=rules, headers=A)
    assert r.status_code == 200, r.text
    saved = {
        **DEFAULTS,
        "carriers": ["UPS", "FedEx"],
        "max_cost": {"amount": 2500, "currency": "USD"},
        "selection": "preferred_carrier",
        "preferred_carriers": ["FedEx"],
    }
    assert r.json() == saved
    assert client.get("/v1/label-rules", headers=A).json() == saved
    assert stored(sqlite_url, "a") == saved
    # Per merchant: B still has none; and only a merchant key may read or change them.
    assert client.get("/v1/label-rules", headers=B).json() == DEFAULTS and stored(sqlite_url, "b") is None
    assert client.get("/v1/label-rules", headers=A_WAREHOUSE).status_code == 403
    assert client.put("/v1/label-rules", json={}, headers={}).status_code == 401
    # Saving the defaults again means "the cheapest of everything".
    assert client.put("/v1/label-rules", json={}, headers=A).json() == DEFAULTS


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        ({"carriers": ["UPS", "ups"]}, "carriers[1]"),
        ({"services": ["Ground", " "]}, "services[1]"),
        ({"selection": "preferred_carrier"}, "preferred_carriers"),
        ({"carriers": ["UPS"], "preferred_carriers": ["FedEx"]}, "preferred_carriers[0]"),
        ({"max_cost": {"amount": -1, "currency": "USD"}}, "max_cost.amount"),
        ({"max_cost": {"amount": 100, "currency": "dollars"}}, "max_cost.currency"),
        ({"selection": "slowest"}, "selection"),
        ({"budget": 100}, "budget"),
    ],
)
def test_invalid_rules_are_a_422_naming_the_field_and_change_nothing(
    client: TestClient, sqlite_url: str, rules: dict, field: str
):
    r = client.put("/v1/label-rules", json=rules, headers=A)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_request"
    assert field in [d["field"] for d in error["details"]], error
    assert stored(sqlite_url, "a") is None
