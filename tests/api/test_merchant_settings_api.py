"""GET/PUT /v1/merchant on the real app (no Temporal), SQLite: defaults, a replace, and a 422 naming the field
for each kind of bad value."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.portal_links import portal_token
from db.seed import ensure_key, seed_merchant
from db.session import make_engine, session_scope
from db.tables import ReturnRecord
from db.types import utcnow
from domain.returns import ReturnReason
from tests.api.alone import api_alone
from tests.factories import insert_order

KEYS = {scope: f"rf_test_settings_{scope}_00000000000000" for scope in ("merchant", "warehouse", "ops", "read")}
H = {scope: {"Authorization": f"Bearer {key}"} for scope, key in KEYS.items()}
GOOD = {
    "display_name": "Fietsenwinkel Amsterdam",
    "support_email": "help@fiets.example",
    "logo_url": "https://cdn.fiets.example/logo.png",
    "brand_color": "#1A2B3C",
    "locale": "nl",
    "timezone": "Europe/Amsterdam",
    "return_reasons": ["defective", "too_small", "too_large"],
}


@pytest.fixture
def client(sqlite_url: str) -> Iterator[TestClient]:
    engine = make_engine(sqlite_url)
    seed_merchant(
        engine, merchant_id="fiets", name="Fiets", merchant_key=KEYS["merchant"], warehouse_key=KEYS["warehouse"]
    )
    with session_scope(engine) as session:
        ensure_key(session, "fiets", "ops", KEYS["ops"])
        ensure_key(session, "fiets", "read", KEYS["read"])
    engine.dispose()
    with TestClient(api_alone(sqlite_url)) as c:
        yield c


def test_the_defaults_until_the_merchant_saves_its_own(client):
    r = client.get("/v1/merchant", headers=H["read"])
    assert r.status_code == 200
    assert r.json() == {
        "id": "fiets",
        "name": "Fiets",
        "slug": "fiets",
        "display_name": None,
        "support_email": None,
        "logo_url": None,
        "brand_color": None,
        "locale": "en",
        "timezone": "UTC",
        "return_reasons": [r.value for r in ReturnReason],
    }


def test_put_replaces_the_settings_and_get_reads_them_back(client):
    r = client.put("/v1/merchant", json=GOOD, headers=H["merchant"])
    assert r.status_code == 200, r.text
    saved = client.get("/v1/merchant", headers=H["ops"]).json()
    assert saved == {**GOOD, "brand_color": "#1a2b3c", "id": "fiets", "name": "Fiets", "slug": "fiets"}
    # A replace: what is left out goes back to its default.
    client.put("/v1/merchant", json={"locale": "de"}, headers=H["merchant"])
    assert client.get("/v1/merchant", headers=H["merchant"]).json()["logo_url"] is None


def test_only_the_merchant_key_changes_them_and_the_warehouse_does_not_read_them(client):
    for scope in ("ops", "read", "warehouse"):
        assert client.put("/v1/merchant", json=GOOD, headers=H[scope]).status_code == 403, scope
    assert client.get("/v1/merchant", headers=H["warehouse"]).status_code == 403
    assert client.get("/v1/merchant").status_code == 401


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("logo_url", "http://cdn.fiets.example/logo.png"),  # https only
        ("logo_url", "javascript:alert(1)"),
        ("logo_url", "https://x.example/" + "a" * 2000),
        ("brand_color", "red"),
        ("brand_color", "#12345"),
        ("locale", "es"),
        ("timezone", "Mars/Olympus_Mons"),
        ("timezone", "../../etc/passwd"),
        ("support_email", "not-an-address"),
        ("display_name", "Fiets\r\nBcc: all@example.com"),
        ("display_name", ""),
        ("return_reasons", []),
        ("return_reasons", ["defective", "defective"]),
        ("return_reasons", ["because"]),
        ("return_reasons", [r.value for r in ReturnReason] * 2),
        ("unknown_field", 1),
    ],
)
def test_a_bad_value_is_a_422_naming_the_field(client, field, value):
    r = client.put("/v1/merchant", json={**GOOD, field: value}, headers=H["merchant"])
    assert r.status_code == 422, r.text
    fields = {d["field"].split("[")[0] for d in r.json()["error"]["details"]}
    assert fields == {field}, r.json()
    assert client.get("/v1/merchant", headers=H["merchant"]).json()["locale"] == "en"  # nothing saved


def test_the_shopper_portal_shows_the_display_name_and_the_support_address(sqlite_url):
    engine = make_engine(sqlite_url)
    seed_merchant(
        engine, merchant_id="fiets", name="Fiets", merchant_key=KEYS["merchant"], warehouse_key=KEYS["warehouse"]
    )
    order = insert_order(engine, "fiets", None)
    with session_scope(engine) as session:
        session.add(
            ReturnRecord(
                id="ret_portal",
                merchant_id="fiets",
                order_id=order.id,
                status="requested",
                resolution="refund",
                items=[{"line_id": "L1", "sku": "TEE-BLK-M", "quantity": 1, "reason": "too_small"}],
                request_fingerprint="f",
                created_at=utcnow(),
                updated_at=utcnow(),
            )
        )
    engine.dispose()
    page = f"/portal/{portal_token('ret_portal', 'fiets', 'settings-test-secret')}"
    with TestClient(api_alone(sqlite_url, portal_secret="settings-test-secret")) as client:
        assert "Contact Fiets and mention" in client.get(page).text
        client.put("/v1/merchant", json=GOOD, headers=H["merchant"])
        text = client.get(page, params={"lang": "en"}).text  # the shop is Dutch now; the English words here
    assert "Fietsenwinkel Amsterdam" in text
    assert 'Contact Fietsenwinkel Amsterdam at <a href="mailto:help@fiets.example">help@fiets.example</a>' in text
