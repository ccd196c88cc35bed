"""Helpers for the API-alone hostile input tests: a seeded app on SQLite (no Temporal), orders, error checks.

The fixtures `module_db` and `client` are shared by importing `hostile_db` and `hostile_client` (their names
here) into a test module.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from db.migrate import upgrade
from db.seed import seed_merchant
from db.session import make_engine
from tests.api.alone import api_alone
from tests.factories import order_body

MERCHANT = {"Authorization": "Bearer rf_test_hostile_merchant_0000"}
WAREHOUSE = {"Authorization": "Bearer rf_test_hostile_warehouse_000"}
OPS = {"Authorization": "Bearer rf_test_hostile_ops_000000000000"}


def make_client(sqlite_url: str, **settings) -> TestClient:
    engine = make_engine(sqlite_url)
    seed_merchant(
        engine,
        merchant_id="hostile",
        name="Hostile shop",
        merchant_key=MERCHANT["Authorization"][7:],
        warehouse_key=WAREHOUSE["Authorization"][7:],
        ops_key=OPS["Authorization"][7:],
    )
    engine.dispose()
    app = api_alone(sqlite_url, **settings)
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture(scope="module", name="module_db")
def hostile_db(tmp_path_factory) -> str:
    """One migrated database for the module (each test uses orders of its own)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'returnflow.db'}"
    upgrade(url)
    return url


@pytest.fixture(scope="module", name="client")
def hostile_client(module_db: str) -> Iterator[TestClient]:
    with make_client(module_db) as c:
        yield c


def refused(r: httpx.Response, status: int, field: str | None = None) -> dict:
    """The ApiError shape, and (for a 422) the field it names."""
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] and error["message"]
    if field is not None:
        assert field in [d["field"] for d in error["details"]], error
    return error


def put_order(client: TestClient, body: dict, order_id: str | None = None) -> httpx.Response:
    return client.put(f"/v1/orders/{order_id or new_id()}", json=body, headers=MERCHANT)


def new_id() -> str:
    return f"o-{uuid.uuid4().hex[:10]}"


def order(**changes) -> dict:
    body = json.loads(json.dumps(order_body(None)))  # a deep copy: factories' CUSTOMER and LINES stay as they are
    for path, value in changes.items():  # "customer__address__city" -> body["customer"]["address"]["city"]
        *parents, leaf = path.split("__")
        target = body
        for p in parents:
            target = target[int(p)] if p.isdigit() else target[p]
        target[int(leaf) if leaf.isdigit() else leaf] = value
    return body
