"""The admin API and the keys it hands out, on the real app (no Temporal) over SQLite and PostgreSQL:
404 without RETURNFLOW_ADMIN_KEY, 401 with a wrong one; a created merchant's keys call the API; a revoked or
expired key answers 401 at once; a request records the key's last use."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from db.session import make_engine, session_scope
from db.tables import ApiKey
from db.types import utcnow
from tests.api.alone import api_alone
from tests.factories import LINES, insert_order

ADMIN_KEY = "admin-key-for-the-tests-0123456789"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
FIETS = {"name": "Fietsenwinkel", "slug": "fiets", "country": "NL", "currency": "EUR", "locale": "nl"}
ROUTES = [
    ("POST", "/v1/admin/merchants", FIETS),
    ("GET", "/v1/admin/merchants", None),
    ("POST", "/v1/admin/merchants/fiets/keys", {"scope": "read"}),
    ("GET", "/v1/admin/merchants/fiets/keys", None),
    ("DELETE", "/v1/admin/merchants/fiets/keys/1", None),
]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    with TestClient(api_alone(database_url, admin_key=ADMIN_KEY, test_mode=False)) as c:
        yield c


def test_without_an_admin_key_the_admin_api_is_not_there(sqlite_url):
    with TestClient(api_alone(sqlite_url)) as client:
        for method, path, body in ROUTES:
            r = client.request(method, path, json=body, headers=ADMIN)
            assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", (method, path)


def test_a_wrong_or_missing_admin_key_is_401_and_creates_nothing(client):
    for headers in ({}, bearer(ADMIN_KEY + "x"), bearer(ADMIN_KEY[:-1]), {"Authorization": ADMIN_KEY}):
        for method, path, body in ROUTES:
            r = client.request(method, path, json=body, headers=headers)
            assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized", (method, path, headers)
    assert client.get("/v1/admin/merchants", headers=ADMIN).json()["data"] == []


def test_merchant_keys_are_not_admin_keys(client):
    made = client.post("/v1/admin/merchants", json=FIETS, headers=ADMIN).json()
    r = client.get("/v1/admin/merchants", headers=bearer(made["keys"]["merchant"]))
    assert r.status_code == 401


def test_the_operator_creates_a_merchant_whose_keys_work(client):
    r = client.post("/v1/admin/merchants", json=FIETS, headers=ADMIN)
    assert r.status_code == 201, r.text
    made = r.json()
    assert set(made) == {"merchant_id", "slug", "keys"} and made["slug"] == "fiets"
    assert set(made["keys"]) == {"merchant", "warehouse", "ops"}
    assert all(k.startswith("rf_live_") for k in made["keys"].values())
    assert client.get("/v1/returns", headers=bearer(made["keys"]["merchant"])).json()["data"] == []
    settings = client.get("/v1/merchant", headers=bearer(made["keys"]["ops"])).json()
    assert (settings["id"], settings["name"], settings["locale"]) == (made["merchant_id"], "Fietsenwinkel", "nl")
    assert client.get("/v1/policy", headers=bearer(made["keys"]["merchant"])).status_code == 200

    listed = client.get("/v1/admin/merchants", headers=ADMIN).json()["data"]
    assert [(m["id"], m["slug"], m["country"], m["currency"]) for m in listed] == [
        (made["merchant_id"], "fiets", "NL", "EUR")
    ]
    again = client.post("/v1/admin/merchants", json={**FIETS, "name": "Another"}, headers=ADMIN)
    assert again.status_code == 409 and again.json()["error"]["code"] == "slug_taken"
    bad = client.post(
        "/v1/admin/merchants", json={**FIETS, "slug": "Fiets!", "timezone": "Mars/Olympus"}, headers=ADMIN
    )
    assert bad.status_code == 422
    assert {d["field"] for d in bad.json()["error"]["details"]} == {"slug", "timezone"}


def test_keys_are_listed_by_prefix_and_revoked_at_once(client, database_url):
    merchant_id = client.post("/v1/admin/merchants", json=FIETS, headers=ADMIN).json()["merchant_id"]
    r = client.post("/v1/admin/merchants/fiets/keys", json={"scope": "read", "name": "dashboard"}, headers=ADMIN)
    assert r.status_code == 201, r.text
    created = r.json()
    key = created["key"]
    assert created["prefix"] == key[:16] and created["scope"] == "read" and created["expires_at"] is None

    assert client.get("/v1/returns", headers=bearer(key)).status_code == 200
    assert client.put("/v1/policy", json={}, headers=bearer(key)).status_code == 403  # read changes nothing
    listed = client.get(f"/v1/admin/merchants/{merchant_id}/keys", headers=ADMIN).json()["data"]
    assert len(listed) == 4 and all("key" not in k and "key_hash" not in k for k in listed)
    mine = next(k for k in listed if k["id"] == created["id"])
    assert mine["last_used_at"] is not None and mine["name"] == "dashboard"  # the GET above recorded it
    assert key not in client.get(f"/v1/admin/merchants/{merchant_id}/keys", headers=ADMIN).text

    r = client.delete(f"/v1/admin/merchants/fiets/keys/{created['id']}", headers=ADMIN)
    assert r.status_code == 200 and r.json()["revoked_at"] is not None
    r = client.get("/v1/returns", headers=bearer(key))
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    assert client.delete("/v1/admin/merchants/fiets/keys/999999", headers=ADMIN).status_code == 404
    assert client.get("/v1/admin/merchants/nobody/keys", headers=ADMIN).status_code == 404


def test_an_expired_key_answers_401(client, database_url):
    client.post("/v1/admin/merchants", json=FIETS, headers=ADMIN)
    created = client.post(
        "/v1/admin/merchants/fiets/keys", json={"scope": "merchant", "expires_in_days": 1}, headers=ADMIN
    ).json()
    assert client.get("/v1/returns", headers=bearer(created["key"])).status_code == 200
    engine = make_engine(database_url)
    with session_scope(engine) as session:  # a day passes
        session.exec(
            update(ApiKey).where(ApiKey.id == created["id"]).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    engine.dispose()
    assert client.get("/v1/returns", headers=bearer(created["key"])).status_code == 401
    bad = client.post("/v1/admin/merchants/fiets/keys", json={"scope": "root", "expires_in_days": 0}, headers=ADMIN)
    assert bad.status_code == 422
    assert {d["field"] for d in bad.json()["error"]["details"]} == {"scope", "expires_in_days"}


def test_a_new_merchant_quotes_returns_on_the_example_policy_with_its_first_key(client, database_url):
    made = client.post("/v1/admin/merchants", json=FIETS, headers=ADMIN).json()
    engine = make_engine(database_url)
    order = insert_order(engine, made["merchant_id"], None, lines=LINES)
    engine.dispose()
    body = {"order_id": order.id, "items": [{"line_id": "L1", "quantity": 1, "reason": "too_small"}]}
    r = client.post(
        "/v1/returns/quote", json={**body, "resolution": "refund"}, headers=bearer(made["keys"]["merchant"])
    )
    assert r.status_code == 200, r.text
    assert r.json()["eligible"] is True
    assert client.get("/v1/facilities", headers=bearer(made["keys"]["ops"])).json()["facilities"]
