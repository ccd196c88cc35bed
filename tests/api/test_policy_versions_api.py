"""GET /v1/policy/versions/{version}: a return's policy read as it was (issue 12). The API alone: SQLite, no Temporal."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from db.seed import ensure_key
from db.session import make_engine, session_scope
from tests.api.alone import api_alone
from tests.factories import new_merchant


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def shops(sqlite_url) -> Iterator[tuple[TestClient, dict, dict]]:
    engine = make_engine(sqlite_url)
    a, a_key, a_warehouse = new_merchant(engine)
    b, b_key, _ = new_merchant(engine)
    a_read = f"rf_test_r_{uuid.uuid4().hex}"
    with session_scope(engine) as session:
        ensure_key(session, a, "read", a_read)
    with TestClient(api_alone(sqlite_url)) as client:
        yield (
            client,
            {"merchant": bearer(a_key), "read": bearer(a_read), "warehouse": bearer(a_warehouse)},
            {"merchant": bearer(b_key)},
        )
    engine.dispose()


def policy(window_days: int, rule_id: str) -> dict:
    return {
        "markets": [{"code": "US", "window_days": window_days, "currency": "USD"}],
        "rules": [{"id": rule_id, "description": rule_id, "priority": 1, "match": {}}],
    }


def test_each_version_answers_its_own_document_as_saved(shops):
    client, a, _ = shops
    for days, rule in ((30, "first"), (45, "second")):
        assert client.put("/v1/policy", json=policy(days, rule), headers=a["merchant"]).status_code == 201
    for scope in ("merchant", "read"):
        one = client.get("/v1/policy/versions/1", headers=a[scope])
        assert one.status_code == 200, one.text
        body = one.json()
        assert body["version"] == 1 and body["created_at"]
        assert body["policy"]["markets"][0]["window_days"] == 30 and body["policy"]["rules"][0]["id"] == "first"
    two = client.get("/v1/policy/versions/2", headers=a["merchant"]).json()
    assert two["version"] == 2 and two["policy"]["rules"][0]["id"] == "second"
    assert two == client.get("/v1/policy", headers=a["merchant"]).json()  # the latest is the one in force


def test_an_unknown_version_or_another_merchants_is_the_same_json_404(shops):
    client, a, b = shops
    assert client.put("/v1/policy", json=policy(30, "a-only"), headers=a["merchant"]).status_code == 201
    for _ in range(3):
        assert client.put("/v1/policy", json=policy(60, "b-secret"), headers=b["merchant"]).status_code == 201
    for version in (3, 2, 10**6):  # B has 2 and 3; A has only 1
        r = client.get(f"/v1/policy/versions/{version}", headers=a["merchant"])
        assert r.status_code == 404, r.text
        assert r.json()["error"]["code"] == "policy_version_not_found"
        assert "b-secret" not in r.text
    assert client.get("/v1/policy/versions/3", headers=b["merchant"]).json()["policy"]["rules"][0]["id"] == "b-secret"


def test_bounds_and_scope(shops):
    client, a, _ = shops
    for bad in ("0", "-1", "99999999999999999999999", "one"):
        r = client.get(f"/v1/policy/versions/{bad}", headers=a["merchant"])
        assert r.status_code == 422, (bad, r.text)
    r = client.get("/v1/policy/versions/1", headers=a["warehouse"])
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert client.get("/v1/policy/versions/1").status_code == 401
