"""PUT /v1/orders/{id} checks `payment.reference` with Stripe: the API alone, real SQLite, the real payments
sandbox through the `stripe` SDK (or nothing listening), no Temporal.

Merchant B registering merchant A's PaymentIntent is refused exactly as a PaymentIntent that does not
exist; a payment that did not succeed or is in another currency is refused naming the field; Stripe
unreachable is a 503, never a 500.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from db.session import make_engine
from settings import DEV_STRIPE_KEY
from tests.api.alone import api_alone
from tests.conftest import free_port
from tests.factories import create_payment, new_merchant, order_body, stripe_client


def app_with(sqlite_url: str, stripe_base_url: str) -> TestClient:
    return TestClient(api_alone(sqlite_url, stripe_base_url=stripe_base_url, stripe_api_key=DEV_STRIPE_KEY))


@pytest.fixture
def merchants(sqlite_url: str) -> dict[str, tuple[str, dict]]:
    """Two merchants, A and B: (merchant_id, auth headers) each."""
    engine = make_engine(sqlite_url)
    out = {}
    for name in ("A", "B"):
        merchant_id, key, _ = new_merchant(engine)
        out[name] = (merchant_id, {"Authorization": f"Bearer {key}"})
    engine.dispose()
    return out


@pytest.fixture
def client(sqlite_url: str, sandboxes: dict[str, str]) -> Iterator[TestClient]:
    with app_with(sqlite_url, sandboxes["payments"]) as c:
        yield c


def refused(r, code: str) -> str:
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert (error["code"], error["field"]) == (code, "payment.reference")
    assert error["details"][0]["field"] == "payment.reference"
    return error["message"]


def test_a_merchant_registers_its_own_payment(client, merchants, sandboxes):
    merchant_id, headers = merchants["A"]
    pi = create_payment(sandboxes["payments"], 13_999, merchant_id=merchant_id)
    r = client.put("/v1/orders/o-1", json=order_body(pi), headers=headers)
    assert r.status_code == 201, r.text
    assert r.json()["payment"] == {"provider": "stripe", "reference": pi}
    charge = stripe_client(sandboxes["payments"]).v1.charges.create(
        params={"amount": 500, "currency": "usd", "source": "tok_visa", "metadata": {"merchant_id": merchant_id}}
    )
    assert client.put("/v1/orders/o-2", json=order_body(charge.id), headers=headers).status_code == 201


def test_another_merchants_payment_is_refused_as_if_it_did_not_exist(client, merchants, sandboxes):
    merchant_a, _ = merchants["A"]
    _, headers_b = merchants["B"]
    theirs = create_payment(sandboxes["payments"], 13_999, merchant_id=merchant_a)
    message = refused(client.put("/v1/orders/o-1", json=order_body(theirs), headers=headers_b), "payment_not_found")
    made_up = "pi_3RfDoesNotExist000000000000"
    assert refused(client.put("/v1/orders/o-1", json=order_body(made_up), headers=headers_b), "payment_not_found") == (
        message.replace(theirs, made_up)
    )
    assert client.get("/v1/orders/o-1", headers=headers_b).status_code == 404  # nothing was registered


def test_a_payment_without_an_owner_is_nobodys(client, merchants, sandboxes):
    _, headers = merchants["A"]
    pi = stripe_client(sandboxes["payments"]).v1.payment_intents.create(
        params={"amount": 13_999, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
    )
    refused(client.put("/v1/orders/o-1", json=order_body(pi.id), headers=headers), "payment_not_found")


def test_a_payment_that_did_not_succeed_or_is_in_another_currency_is_refused(client, merchants, sandboxes):
    merchant_id, headers = merchants["A"]
    stripe = stripe_client(sandboxes["payments"])
    draft = stripe.v1.payment_intents.create(
        params={"amount": 13_999, "currency": "usd", "metadata": {"merchant_id": merchant_id}}
    )
    assert "not succeeded" in refused(
        client.put("/v1/orders/o-1", json=order_body(draft.id), headers=headers), "payment_not_succeeded"
    )
    euros = create_payment(sandboxes["payments"], 13_999, currency="eur", merchant_id=merchant_id)
    message = refused(
        client.put("/v1/orders/o-1", json=order_body(euros), headers=headers), "payment_currency_mismatch"
    )
    assert "EUR" in message and "USD" in message
    assert client.put("/v1/orders/o-1", json=order_body(euros, currency="EUR"), headers=headers).status_code == 201


def test_stripe_unreachable_is_a_503_and_an_order_without_a_payment_needs_no_stripe(sqlite_url, merchants, sandboxes):
    merchant_id, headers = merchants["A"]
    pi = create_payment(sandboxes["payments"], 13_999, merchant_id=merchant_id)
    with app_with(sqlite_url, f"http://127.0.0.1:{free_port()}") as client:
        r = client.put("/v1/orders/o-1", json=order_body(pi), headers=headers)
        assert r.status_code == 503, r.text
        assert r.json()["error"]["code"] == "payments_unavailable"
        assert client.put("/v1/orders/o-2", json=order_body(None), headers=headers).status_code == 201
