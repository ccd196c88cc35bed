"""Attack: production started without RETURNFLOW_PORTAL_SECRET signs every shopper session, draft and return link
with the public development secret (settings.DEV_PORTAL_SECRET, in the repository).

With it, no credentials are needed to sign in as any shopper: the session cookie is
`URLSafeTimedSerializer(DEV_PORTAL_SECRET, salt="returnflow-portal-session").dumps([merchant_id, order_id, csrf, lang])`;
the merchant id is in the payload of any of the shop's return links (`v1.<base64 [merchant_id, return_id]>.<sig>`,
handed to every shopper) and order numbers are usually sequential. The forged session shows the order, lets the
attacker start (and with the forged return link cancel) returns. The credentials key has this guard already
(`Settings.stored_credentials_key`: refused with live platform keys); the portal secret, guarding as much, has none:
only docker-compose.yml asks for it, `uvicorn --factory api.app:app_factory` (the Dockerfile's CMD) does not.
"""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from itsdangerous import URLSafeTimedSerializer

import settings as settings_module
from api.app import app_factory
from db.seed import seed_merchant
from db.session import make_engine
from settings import DEV_PORTAL_SECRET
from tests.factories import insert_order

LIVE = {"RETURNFLOW_STRIPE_API_KEY": "sk_live_0123456789", "RETURNFLOW_CREDENTIALS_KEY": Fernet.generate_key().decode()}


def test_the_public_dev_secret_forges_a_shoppers_session(sqlite_url):
    """What the default gives an attacker (this passes today: it is the exploit the next test guards against)."""
    from api.app import create_app
    from settings import Settings

    engine = make_engine(sqlite_url)
    seed_merchant(
        engine,
        merchant_id="victim",
        name="Victim",
        merchant_key="rf_test_m_v_0000000000000000000000",
        warehouse_key="rf_test_w_v_00000000000000000000",
    )
    order = insert_order(engine, "victim", None)
    engine.dispose()
    forged = URLSafeTimedSerializer(DEV_PORTAL_SECRET, salt="returnflow-portal-session").dumps(
        ["victim", order.id, "attacker-csrf-token-0123456789", "en"]
    )
    with TestClient(create_app(Settings(database_url=sqlite_url))) as client:
        client.cookies.set("rf_shopper", forged, path="/portal/victim")
        page = client.get("/portal/victim/order", follow_redirects=False)
    assert page.status_code == 200 and order.id in page.text


def test_live_keys_without_a_portal_secret_refuse_to_start(monkeypatch, sqlite_url):
    for name, value in {**LIVE, "RETURNFLOW_DATABASE_URL": sqlite_url}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("RETURNFLOW_PORTAL_SECRET", raising=False)
    settings_module.get_settings.cache_clear()
    try:
        with pytest.raises(ValueError, match="RETURNFLOW_PORTAL_SECRET"):
            app_factory()
    finally:
        settings_module.get_settings.cache_clear()
