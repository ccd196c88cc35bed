"""The address check of POST /v1/returns on the API alone: real SQLite, the real EasyPost sandbox (or
nothing listening), and no Temporal, which shows the check runs before anything is started."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from db.seed import seed_merchant
from db.session import make_engine
from settings import DEV_EASYPOST_KEY
from tests.api.alone import api_alone
from tests.conftest import free_port
from tests.factories import CUSTOMER, insert_order

KEY = "rf_test_address_check_m_0000000000"
HEADERS = {"Authorization": f"Bearer {KEY}"}


def app_with(sqlite_url: str, easypost_base_url: str) -> TestClient:
    return TestClient(api_alone(sqlite_url, easypost_base_url=easypost_base_url, easypost_api_key=DEV_EASYPOST_KEY))


@pytest.fixture
def order_with(sqlite_url: str):
    engine = make_engine(sqlite_url)
    seed_merchant(
        engine, merchant_id="m1", name="Shop", merchant_key=KEY, warehouse_key="rf_test_address_check_w_000000000"
    )

    def make(**address) -> dict:
        customer = {**CUSTOMER, "address": {**CUSTOMER["address"], **address}}
        order = insert_order(engine, "m1", None, customer=customer)
        return {
            "order_id": order.id,
            "items": [{"line_id": "L1", "quantity": 1, "reason": "too_small"}],
            "resolution": "refund",
        }

    yield make
    engine.dispose()


@pytest.fixture
def client(sqlite_url: str, sandboxes: dict[str, str]) -> Iterator[TestClient]:
    with app_with(sqlite_url, f"{sandboxes['easypost']}/v2") as c:
        yield c


def test_a_good_address_passes_the_check(client: TestClient, order_with):
    r = client.post("/v1/returns", json=order_with(), headers=HEADERS)
    # Past the address check, the next step needs Temporal, which is down here.
    assert r.status_code == 503 and r.json()["error"]["code"] == "temporal_unavailable", r.text


def test_a_bad_zip_is_refused_before_temporal_is_asked(client: TestClient, order_with):
    r = client.post("/v1/returns", json=order_with(zip="123"), headers=HEADERS)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert (error["code"], error["field"]) == ("address_unverifiable", "customer.address.zip")
    assert error["details"] == [
        {"field": "customer.address", "code": "E.ADDRESS.NOT_FOUND", "message": "Address not found"},
        {"field": "customer.address.zip", "code": "E.ZIP.INVALID", "message": "Invalid zip"},
    ]


def test_easypost_unreachable_is_a_503_never_a_500(sqlite_url: str, order_with):
    with app_with(sqlite_url, f"http://127.0.0.1:{free_port()}/v2") as client:
        r = client.post("/v1/returns", json=order_with(), headers=HEADERS)
    assert r.status_code == 503, r.text
    assert r.json()["error"]["code"] == "carrier_unavailable"
