"""PUT/GET /v1/merchant/credentials: a merchant's own EasyPost and Stripe keys go in, are kept encrypted
(the row holds no plaintext), never come out (only whether each is set and its last 4 characters), and a
payment reference is then checked with the merchant's own Stripe account (what the payments sandbox
saw, /_sandbox/api_keys). The API alone, real SQLite, a payments sandbox of its own that knows the keys.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import text

from db.credentials import own_keys
from db.session import make_engine, session_scope
from sandboxes.payments.app import create_app as payments_app
from sandboxes.serve import serve_in_thread
from settings import DEV_STRIPE_KEY, Settings
from tests.api.alone import api_alone
from tests.factories import create_payment, new_merchant, order_body

OWN_EASYPOST = "EZTKmerchantAownkey000000000000001a2b"
OWN_STRIPE = "sk_test_merchantA_own_key_0000000c3d4"
PATH = "/v1/merchant/credentials"


@pytest.fixture(scope="module")
def payments() -> Iterator[str]:
    """A payments sandbox that accepts the platform's key and merchant A's own."""
    url, stop = serve_in_thread(payments_app(api_keys={DEV_STRIPE_KEY, OWN_STRIPE}))
    yield url
    stop()


@pytest.fixture
def setup(sqlite_url: str, payments: str):
    engine = make_engine(sqlite_url)
    shops = {}
    for name in ("A", "B"):
        merchant_id, key, warehouse_key = new_merchant(engine)
        shops[name] = (merchant_id, {"Authorization": f"Bearer {key}"}, {"Authorization": f"Bearer {warehouse_key}"})
    with TestClient(api_alone(sqlite_url, stripe_base_url=payments, stripe_api_key=DEV_STRIPE_KEY)) as client:
        yield client, shops, engine
    engine.dispose()


def keys_seen(payments: str) -> dict:
    return httpx.get(f"{payments}/_sandbox/api_keys").json()


def test_keys_are_stored_encrypted_and_never_answered(setup):
    client, shops, engine = setup
    merchant_id, headers, _ = shops["A"]
    assert client.get(PATH, headers=headers).json()["easypost"] == {"set": False, "last4": None}
    r = client.put(PATH, json={"easypost_api_key": OWN_EASYPOST, "stripe_secret_key": OWN_STRIPE}, headers=headers)
    assert r.status_code == 200, r.text
    for answer in (r, client.get(PATH, headers=headers)):
        body = answer.json()
        assert body["easypost"] == {"set": True, "last4": "1a2b"} and body["stripe"] == {"set": True, "last4": "c3d4"}
        assert OWN_EASYPOST not in answer.text and OWN_STRIPE not in answer.text
    with engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM merchant_credentials WHERE merchant_id = :m"), {"m": merchant_id}).one()
    stored = " ".join(str(v) for v in row)
    assert OWN_EASYPOST not in stored and OWN_STRIPE not in stored
    assert OWN_EASYPOST[2:-4] not in stored and OWN_STRIPE[8:-4] not in stored
    key = Settings(database_url="sqlite://").stored_credentials_key()
    with session_scope(engine) as session:
        own = own_keys(session, merchant_id, key)
        assert own.easypost_api_key.get_secret_value() == OWN_EASYPOST
        assert own.stripe_secret_key.get_secret_value() == OWN_STRIPE
        other = SecretStr("x" * 43 + "=")  # another Fernet key reads nothing
        with pytest.raises(Exception, match="do not decrypt") as err:
            own_keys(session, merchant_id, other)
        assert OWN_STRIPE not in str(err.value)
    # B has none of its own
    assert client.get(PATH, headers=shops["B"][1]).json()["stripe"] == {"set": False, "last4": None}


def test_a_key_left_out_stays_null_clears_and_saving_again_is_the_same(setup):
    client, shops, _ = setup
    _, headers, _ = shops["A"]
    client.put(PATH, json={"easypost_api_key": OWN_EASYPOST, "stripe_secret_key": OWN_STRIPE}, headers=headers)
    body = client.put(PATH, json={"stripe_secret_key": None}, headers=headers).json()
    assert body["easypost"]["set"] is True and body["stripe"] == {"set": False, "last4": None}
    again = client.put(PATH, json={"easypost_api_key": OWN_EASYPOST}, headers=headers).json()
    assert again["easypost"] == body["easypost"] and again["stripe"] == body["stripe"]


@pytest.mark.parametrize(
    "body",
    [
        {"easypost_api_key": "sk_test_0123456789"},
        {"easypost_api_key": "EZ"},
        {"easypost_api_key": "EZAK 0123456789"},
        {"stripe_secret_key": "pk_test_0123456789"},
        {"stripe_secret_key": "EZAK0123456789abcdef"},
        {"stripe_secret_key": "sk_prod_0123456789"},
        {"stripe_secret_key": 12345},
        {"paypal_key": "x"},
    ],
)
def test_a_key_of_the_wrong_shape_is_a_422_that_does_not_quote_it(setup, body):
    client, shops, _ = setup
    r = client.put(PATH, json=body, headers=shops["A"][1])
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "invalid_request"
    value = next(iter(body.values()))
    if isinstance(value, str) and len(value) > 8:  # the text a merchant sent is not echoed
        assert value not in r.text
    assert client.get(PATH, headers=shops["A"][1]).json()["easypost"]["set"] is False


def test_only_the_merchant_scope_sets_them(setup):
    client, shops, _ = setup
    _, _, warehouse = shops["A"]
    assert client.put(PATH, json={"stripe_secret_key": OWN_STRIPE}, headers=warehouse).status_code == 403
    assert client.get(PATH, headers=warehouse).status_code == 403


def test_a_payment_reference_is_checked_with_the_merchants_own_stripe_account(setup, payments):
    client, shops, _ = setup
    a, a_headers, _ = shops["A"]
    b, b_headers, _ = shops["B"]
    client.put(PATH, json={"stripe_secret_key": OWN_STRIPE}, headers=a_headers)
    pi = create_payment(payments, 13_999, merchant_id=a)
    before = keys_seen(payments)["counts"].get(OWN_STRIPE, 0)
    assert client.put("/v1/orders/o-1", json=order_body(pi), headers=a_headers).status_code == 201
    seen = keys_seen(payments)
    assert seen["last"] == OWN_STRIPE and seen["counts"][OWN_STRIPE] == before + 1
    # B has no key of its own: the platform's, and never A's
    pi_b = create_payment(payments, 13_999, merchant_id=b)
    assert client.put("/v1/orders/o-1", json=order_body(pi_b), headers=b_headers).status_code == 201
    seen = keys_seen(payments)
    assert seen["last"] == DEV_STRIPE_KEY and seen["counts"][OWN_STRIPE] == before + 1
    # A clears its key: the platform's again
    client.put(PATH, json={"stripe_secret_key": None}, headers=a_headers)
    assert client.put("/v1/orders/o-2", json=order_body(pi), headers=a_headers).status_code == 201
    assert keys_seen(payments)["last"] == DEV_STRIPE_KEY


def test_with_live_platform_keys_there_is_no_default_encryption_key():
    from cryptography.fernet import Fernet

    dev = Settings(database_url="sqlite://")
    assert dev.stored_credentials_key().get_secret_value()  # derived: `make run` works
    for live in ({"stripe_api_key": "sk_live_0123456789"}, {"easypost_api_key": "EZAK0123456789"}):
        with pytest.raises(ValueError, match="RETURNFLOW_CREDENTIALS_KEY"):
            Settings(database_url="sqlite://", **live).stored_credentials_key()
        with pytest.raises(ValueError, match="not a Fernet key"):
            Settings(database_url="sqlite://", credentials_key="too-short", **live).stored_credentials_key()
        key = Fernet.generate_key().decode()
        assert (
            Settings(database_url="sqlite://", credentials_key=key, **live).stored_credentials_key().get_secret_value()
            == key
        )


def test_a_merchants_own_key_that_stripe_refuses_is_the_merchants_422_not_an_outage(setup, payments):
    client, shops, _ = setup
    a, a_headers, _ = shops["A"]
    unknown = "sk_test_not_known_to_the_sandbox_9999"
    client.put(PATH, json={"stripe_secret_key": unknown}, headers=a_headers)
    pi = create_payment(payments, 13_999, merchant_id=a)
    r = client.put("/v1/orders/o-1", json=order_body(pi), headers=a_headers)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "payment_account_refused" and unknown not in r.text
    assert keys_seen(payments)["last"] == "unknown…9999"  # the sandbox echoes no key it does not know


def test_a_live_key_is_not_stored_under_the_public_development_key(setup):
    """RETURNFLOW_CREDENTIALS_KEY unset and the platform's keys test ones (staging, or a deployment where merchants
    bring their own accounts): the Fernet key is derived from a public seed, so a merchant's live key stored with
    it would be readable by anyone with the database. Refused (422, nothing stored, the key not echoed); test
    keys are still taken."""
    client, shops, engine = setup
    merchant_id, headers, _ = shops["A"]
    for body in (
        {"stripe_secret_key": "sk_live_merchantA_real_0000000009f9f"},
        {"stripe_secret_key": "rk_live_merchantA_real_0000000009f9f"},
        {"easypost_api_key": "EZAKmerchantAreal00000000000000009f9f"},
    ):
        r = client.put(PATH, json=body, headers=headers)
        assert r.status_code == 422, r.text
        assert r.json()["error"]["code"] == "live_key_refused"
        assert "9f9f" not in r.text
    assert client.get(PATH, headers=headers).json()["stripe"] == {"set": False, "last4": None}
    assert client.get(PATH, headers=headers).json()["easypost"] == {"set": False, "last4": None}
    assert client.put(PATH, json={"stripe_secret_key": OWN_STRIPE}, headers=headers).status_code == 200
