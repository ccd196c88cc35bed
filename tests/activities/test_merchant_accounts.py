"""The carrier and payments activities call EasyPost and Stripe with the merchant's own key where it set one
(PUT /v1/merchant/credentials), else the platform's, and never another merchant's: what the sandboxes saw
(/_sandbox/api_keys). The worker's wiring (workers/main.py: MerchantClients), real SQLite and PostgreSQL,
sandboxes of their own that know the keys; the activities run as Temporal runs them (ActivityEnvironment)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from temporalio.testing import ActivityEnvironment

from activities.carrier import CarrierActivities, LabelRequest, VoidRequest
from activities.easypost_client import easypost_client
from activities.merchant_accounts import MerchantClients
from activities.payment_facts import stripe_client
from activities.payments import PaymentActivities
from db.credentials import save_credentials
from db.session import session_scope
from sandboxes.easypost.app import create_app as easypost_app
from sandboxes.payments.app import create_app as payments_app
from sandboxes.serve import serve_in_thread
from settings import DEV_EASYPOST_KEY, DEV_STRIPE_KEY, DEV_WEBHOOK_SECRET, Settings
from tests.activities.test_payouts import TOTAL, a_return, req
from tests.factories import create_payment, insert_order, new_merchant

OWN = {"easypost_api_key": "EZTKshopAownkey0000000000000000001", "stripe_secret_key": "sk_test_shopA_own_0000000001"}
OTHER = {"easypost_api_key": "EZTKshopCownkey0000000000000000003", "stripe_secret_key": "sk_test_shopC_own_0000000003"}


@pytest.fixture(scope="module")
def own_sandboxes() -> Iterator[dict[str, str]]:
    keys_ep = {DEV_EASYPOST_KEY, OWN["easypost_api_key"], OTHER["easypost_api_key"]}
    keys_pay = {DEV_STRIPE_KEY, OWN["stripe_secret_key"], OTHER["stripe_secret_key"]}
    ep_url, stop_ep = serve_in_thread(easypost_app(api_keys=keys_ep, webhook_secret=DEV_WEBHOOK_SECRET))
    pay_url, stop_pay = serve_in_thread(payments_app(api_keys=keys_pay))
    yield {"easypost": ep_url, "payments": pay_url}
    stop_ep()
    stop_pay()


@pytest.fixture
def wired(engine, own_sandboxes):
    """(carrier, payments, shops): the activities as the worker builds them; shop A and C have their own keys."""
    settings = Settings(
        database_url="sqlite://",
        easypost_base_url=f"{own_sandboxes['easypost']}/v2",
        easypost_api_key=DEV_EASYPOST_KEY,
        stripe_base_url=own_sandboxes["payments"],
        stripe_api_key=DEV_STRIPE_KEY,
    )
    key = settings.stored_credentials_key()
    shared = stripe_client(settings)
    accounts = MerchantClients(engine, key, settings, settings, shared)
    carrier = CarrierActivities(engine, lambda: easypost_client(settings), client_for=accounts.easypost)
    payments = PaymentActivities(engine, shared, client_for=accounts.stripe)
    shops = {name: new_merchant(engine)[0] for name in "ABC"}
    with session_scope(engine) as session:
        save_credentials(session, shops["A"], OWN, key)
        save_credentials(session, shops["C"], OTHER, key)
    return carrier, payments, shops


def seen(url: str) -> dict:
    return httpx.get(f"{url}/_sandbox/api_keys").json()


def run(fn, request):
    return ActivityEnvironment().run(fn, request)


def test_labels_are_bought_and_voided_with_the_merchants_own_easypost_key(engine, wired, own_sandboxes):
    carrier, _, shops = wired
    url = own_sandboxes["easypost"]
    for name, expected in (("A", OWN["easypost_api_key"]), ("B", DEV_EASYPOST_KEY)):
        merchant_id = shops[name]
        order = insert_order(engine, merchant_id, None)
        return_id = a_return(engine, merchant_id, order.id)
        before = seen(url)["counts"]
        label = run(
            carrier.buy_return_label,
            LabelRequest(return_id=return_id, merchant_id=merchant_id, order_id=order.id, units=1),
        )
        after = seen(url)
        assert after["last"] == expected and after["counts"][expected] > before.get(expected, 0)
        assert {k for k, n in after["counts"].items() if n != before.get(k, 0)} == {expected}, name
        run(
            carrier.void_label, VoidRequest(return_id=return_id, shipment_id=label.shipment_id)
        )  # by the return's merchant
        assert seen(url)["last"] == expected
    assert OTHER["easypost_api_key"] not in seen(url)["counts"]  # C's key: only for C's calls


def test_refunds_go_through_the_merchants_own_stripe_account(engine, wired, own_sandboxes):
    _, payments, shops = wired
    url = own_sandboxes["payments"]
    for name, expected in (("A", OWN["stripe_secret_key"]), ("B", DEV_STRIPE_KEY)):
        merchant_id = shops[name]
        pi = create_payment(url, TOTAL, merchant_id=merchant_id)
        return_id = a_return(engine, merchant_id, insert_order(engine, merchant_id, pi).id)
        before = seen(url)["counts"]
        assert run(payments.refund_payment, req(return_id, merchant_id, 8_999)).status == "succeeded"
        after = seen(url)
        assert after["last"] == expected
        assert {k for k, n in after["counts"].items() if n != before.get(k, 0)} == {expected}, name
    assert OTHER["stripe_secret_key"] not in seen(url)["counts"]
