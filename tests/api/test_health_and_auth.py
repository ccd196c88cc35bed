"""The API on its own: a real SQLite database, and a Temporal address where nothing listens."""

from __future__ import annotations

from fastapi.testclient import TestClient

from db.seed import seed_merchant
from db.session import make_engine
from tests.api.alone import api_alone


def app_without_temporal(sqlite_url: str):
    return api_alone(sqlite_url)


def test_healthz_says_which_dependency_is_down(sqlite_url):
    with TestClient(app_without_temporal(sqlite_url)) as client:
        r = client.get("/healthz")
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "degraded" and body["checks"]["database"] == "ok"
    assert body["checks"]["temporal"].startswith("unreachable")


def test_a_write_that_needs_temporal_is_a_clear_503_not_a_500(sqlite_url):
    engine = make_engine(sqlite_url)
    seed_merchant(
        engine,
        merchant_id="m1",
        name="Shop",
        merchant_key="rf_test_m1_key_000000000000",
        warehouse_key="rf_test_w1_key_00000000000",
    )
    engine.dispose()
    with TestClient(app_without_temporal(sqlite_url)) as client:
        headers = {"Authorization": "Bearer rf_test_w1_key_00000000000"}
        r = client.post("/v1/warehouse/receipts", json={"return_id": "ret_x"}, headers=headers)
        # Tenant-scoped lookup first: no such return, so nothing to signal; the parcel is kept for ops.
        assert r.status_code == 202 and r.json()["status"] == "unidentified" and r.json()["return_id"] == "ret_x"
        keys = {"Authorization": "Bearer rf_test_m1_key_000000000000"}
        assert client.get("/v1/returns", headers=keys).json() == {"data": [], "next_cursor": None}
        r = client.get("/v1/returns", params={"cursor": "not-a-cursor"}, headers=keys)
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_cursor"
        r = client.get("/v1/returns", params={"status": "lost"}, headers=keys)
        assert r.status_code == 422 and "status" in r.json()["error"]["message"]


def test_unknown_routes_and_methods_answer_json(sqlite_url):
    with TestClient(app_without_temporal(sqlite_url)) as client:
        r = client.get("/v1/nothing-here")
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
        r = client.delete("/v1/returns")
        assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"
