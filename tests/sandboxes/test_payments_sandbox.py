"""The payments sandbox driven by the real stripe SDK over real HTTP.

Each test gets a fresh app (fresh in-memory state) served by uvicorn in a thread on a free port.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import queue
import socket
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx
import pytest
import stripe
import uvicorn

from sandboxes.payments import __main__ as payments_main
from sandboxes.payments.app import create_app
from sandboxes.payments.faults import Faults

KEY = "sk_test_returnflow_sandbox"
OTHER_KEY = "sk_test_other_account"
WEBHOOK_SECRET = "whsec_test_returnflow"
from tests.polling import poll  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- harness


def _wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    poll(predicate, bool, timeout, what)


def _health_ok(url: str) -> bool:
    try:
        return httpx.get(f"{url}/_sandbox/health", timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return False


@contextlib.contextmanager
def _serve(app: Any) -> Iterator[str]:
    # port=0 lets uvicorn bind a free port itself (handing it a pre-bound socket added ~40 ms
    # Nagle/delayed-ACK stalls per keep-alive request); short graceful shutdown because
    # timeout-fault tests leave slow requests behind.
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", timeout_graceful_shutdown=3)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        _wait_until(lambda: server.started or not thread.is_alive(), 10, "payments sandbox")
        assert thread.is_alive(), "sandbox server thread died during startup"
        url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
        _wait_until(lambda: _health_ok(url), 10, "payments sandbox health")
        yield url
    finally:
        server.should_exit = True
        thread.join(10)


@dataclass
class Sandbox:
    url: str
    admin: httpx.Client

    def client(self, key: str = KEY, **kwargs: Any) -> stripe.StripeClient:
        return stripe.StripeClient(key, base_addresses={"api": self.url}, max_network_retries=0, **kwargs)

    def raw(self, method: str, path: str, key: str = KEY, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key}", **kwargs.pop("headers", {})}
        return httpx.request(method, f"{self.url}{path}", headers=headers, timeout=10, **kwargs)

    def stats(self) -> dict[str, Any]:
        return self.admin.get("/_sandbox/stats").json()

    def set_faults(self, spec: dict[str, Any]) -> None:
        self.admin.put("/_sandbox/faults", json=spec).raise_for_status()


@pytest.fixture
def start_sandbox() -> Iterator[Callable[..., Sandbox]]:
    with contextlib.ExitStack() as stack:

        def start(**app_kwargs: Any) -> Sandbox:
            url = stack.enter_context(_serve(create_app(**app_kwargs)))
            admin = stack.enter_context(httpx.Client(base_url=url, timeout=10))
            return Sandbox(url, admin)

        yield start


@pytest.fixture
def sandbox(start_sandbox: Callable[..., Sandbox]) -> Sandbox:
    return start_sandbox()


@pytest.fixture
def client(sandbox: Sandbox) -> stripe.StripeClient:
    return sandbox.client()


def paid_intent(client: stripe.StripeClient, amount: int = 1000, **params: Any) -> Any:
    pi = client.v1.payment_intents.create(params={"amount": amount, "currency": "usd", "confirm": True, **params})
    assert pi.status == "succeeded" and pi.latest_charge.startswith("ch_")
    return pi


# ---------------------------------------------------------------- payment intents


def test_payment_intent_create_and_retrieve(client: stripe.StripeClient) -> None:
    pi = paid_intent(client, 2599, currency="EUR", metadata={"order": "A1"})
    assert pi.id.startswith("pi_") and pi.currency == "eur" and pi.amount_received == 2599
    fetched = client.v1.payment_intents.retrieve(pi.id)
    assert fetched.to_dict() == pi.to_dict()
    draft = client.v1.payment_intents.create(params={"amount": 500, "currency": "usd"})
    assert draft.status == "requires_confirmation" and draft.latest_charge is None
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.refunds.create(params={"payment_intent": draft.id})
    assert err.value.code == "payment_intent_unexpected_state"
    confirmed = client.v1.payment_intents.confirm(draft.id)
    assert confirmed.status == "succeeded"
    assert client.v1.refunds.create(params={"payment_intent": draft.id}).amount == 500


# ---------------------------------------------------------------- refund rules


def test_full_refund_then_charge_already_refunded(sandbox: Sandbox, client: stripe.StripeClient) -> None:
    pi = paid_intent(client, 1000)
    refund = client.v1.refunds.create(params={"payment_intent": pi.id, "reason": "requested_by_customer"})
    assert refund.id.startswith("re_") and refund.object == "refund"
    assert (refund.amount, refund.currency, refund.status) == (1000, "usd", "succeeded")
    assert refund.charge == pi.latest_charge and refund.payment_intent == pi.id
    assert refund.reason == "requested_by_customer" and refund.balance_transaction.startswith("txn_")
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 1})
    assert err.value.code == "charge_already_refunded" and err.value.http_status == 400
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.refunded is True and charge.amount_refunded == 1000
    assert sandbox.stats()["refunded_amount_by_payment_intent"] == {pi.id: 1000}


def test_partial_refunds_up_to_total_then_amount_too_large(sandbox: Sandbox, client: stripe.StripeClient) -> None:
    pi = paid_intent(client, 1000)
    for amount in (300, 300):
        client.v1.refunds.create(params={"payment_intent": pi.id, "amount": amount})
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 401})
    assert (err.value.code, err.value.param) == ("amount_too_large", "amount")
    last = client.v1.refunds.create(params={"charge": pi.latest_charge})  # omitted = remaining
    assert last.amount == 400 and last.payment_intent == pi.id
    assert sandbox.stats() == {"payment_intents": 1, "refunds": 3, "refunded_amount_by_payment_intent": {pi.id: 1000}}


@pytest.mark.parametrize(
    ("params", "code", "param"),
    [
        ({"amount": 0}, "parameter_invalid_integer", "amount"),
        ({"amount": -5}, "parameter_invalid_integer", "amount"),
        ({"amount": "12.5"}, "parameter_invalid_integer", "amount"),
        ({"amount": "abc"}, "parameter_invalid_integer", "amount"),
        ({"payment_intent": None}, "parameter_missing", "payment_intent"),
        ({"refund_everything": "true"}, "parameter_unknown", "refund_everything"),
        ({"reason": "changed_mind"}, None, "reason"),
        ({"currency": "eur"}, None, "currency"),
    ],
)
def test_refund_parameter_errors(
    client: stripe.StripeClient, params: dict[str, Any], code: str | None, param: str
) -> None:
    pi = paid_intent(client)
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.refunds.create(params={"payment_intent": pi.id, **params})
    assert (err.value.http_status, err.value.code, err.value.param) == (400, code, param)
    body = err.value.json_body["error"]
    assert set(body) == {"type", "code", "message", "param", "doc_url"}
    assert body["type"] == "invalid_request_error" and body["message"]


def test_unknown_payment_intent_and_charge_are_404(client: stripe.StripeClient) -> None:
    for params, param in (({"payment_intent": "pi_missing"}, "payment_intent"), ({"charge": "ch_missing"}, "charge")):
        with pytest.raises(stripe.InvalidRequestError) as err:
            client.v1.refunds.create(params=params)
        assert (err.value.http_status, err.value.code, err.value.param) == (404, "resource_missing", param)
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.refunds.retrieve("re_missing")
    assert err.value.http_status == 404


def test_unrecognized_url_is_stripe_shaped(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.customers.create(params={"email": "a@example.com"})
    assert err.value.http_status == 404 and "Unrecognized request URL" in str(err.value)


# ---------------------------------------------------------------- auth


def test_bad_api_key_is_authentication_error(sandbox: Sandbox) -> None:
    with pytest.raises(stripe.AuthenticationError) as err:
        sandbox.client("sk_test_wrong_key_123456").v1.refunds.list()
    assert err.value.http_status == 401
    missing = httpx.post(f"{sandbox.url}/v1/refunds", data={"payment_intent": "pi_x"})
    assert missing.status_code == 401 and missing.json()["error"]["type"] == "invalid_request_error"
    assert sandbox.stats()["refunds"] == 0


def test_basic_auth_with_key_as_username(sandbox: Sandbox) -> None:
    token = base64.b64encode(f"{KEY}:".encode()).decode()
    response = httpx.post(
        f"{sandbox.url}/v1/payment_intents",
        headers={"Authorization": f"Basic {token}"},
        data={"amount": "700", "currency": "usd", "confirm": "true"},
    )
    assert response.status_code == 200 and response.json()["status"] == "succeeded"


# ---------------------------------------------------------------- idempotency


def test_idempotent_replay_returns_same_refund_once(sandbox: Sandbox, client: stripe.StripeClient) -> None:
    pi = paid_intent(client)
    params = {"payment_intent": pi.id, "amount": 250, "metadata": {"return_id": "ret_1"}}
    first = client.v1.refunds.create(params=params, options={"idempotency_key": "ret_1-refund"})
    again = client.v1.refunds.create(params=dict(params), options={"idempotency_key": "ret_1-refund"})
    assert again.id == first.id and again.to_dict() == first.to_dict()
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    assert first.last_response.headers.get("Idempotent-Replayed") is None
    assert again.last_response.body == first.last_response.body  # byte-for-byte
    assert sandbox.stats()["refunds"] == 1


def test_stored_4xx_is_replayed(sandbox: Sandbox, client: stripe.StripeClient) -> None:
    pi = paid_intent(client, 1000)
    form = {"payment_intent": pi.id, "amount": "1500"}
    headers = {"Idempotency-Key": "too-big"}
    first = sandbox.raw("POST", "/v1/refunds", data=form, headers=headers)
    second = sandbox.raw("POST", "/v1/refunds", data=form, headers=headers)
    assert first.status_code == second.status_code == 400
    assert first.json()["error"]["code"] == "amount_too_large"
    assert second.content == first.content and second.headers["Idempotent-Replayed"] == "true"


def test_same_key_different_params_is_idempotency_error(sandbox: Sandbox, client: stripe.StripeClient) -> None:
    pi = paid_intent(client)
    client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 100}, options={"idempotency_key": "k-1"})
    with pytest.raises(stripe.IdempotencyError) as err:
        client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 200}, options={"idempotency_key": "k-1"})
    assert err.value.http_status == 400
    with pytest.raises(stripe.IdempotencyError):  # same key on another endpoint
        client.v1.payment_intents.create(params={"amount": 100, "currency": "usd"}, options={"idempotency_key": "k-1"})
    assert sandbox.stats()["refunds"] == 1


def test_validation_failure_is_not_stored(sandbox: Sandbox, client: stripe.StripeClient) -> None:
    pi = paid_intent(client)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.create(params={"payment_intent": pi.id, "amount": -1}, options={"idempotency_key": "fix-me"})
    fixed = client.v1.refunds.create(
        params={"payment_intent": pi.id, "amount": 100}, options={"idempotency_key": "fix-me"}
    )
    assert fixed.amount == 100 and fixed.last_response.headers.get("Idempotent-Replayed") is None


def test_idempotency_keys_are_scoped_per_api_key(start_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = start_sandbox(api_keys={KEY, OTHER_KEY})
    pi = paid_intent(sandbox.client(), 1000)
    a = sandbox.client(KEY).v1.refunds.create(
        params={"payment_intent": pi.id, "amount": 100}, options={"idempotency_key": "shared"}
    )
    b = sandbox.client(OTHER_KEY).v1.refunds.create(
        params={"payment_intent": pi.id, "amount": 200}, options={"idempotency_key": "shared"}
    )
    assert a.id != b.id and sandbox.stats()["refunds"] == 2


def test_concurrent_duplicate_key_gets_409(sandbox: Sandbox, client: stripe.StripeClient) -> None:
    pi = paid_intent(client)
    sandbox.set_faults({"POST /v1/refunds": {"latency_ms": 600}})
    form = {"payment_intent": pi.id, "amount": "100"}

    def post() -> httpx.Response:
        return sandbox.raw("POST", "/v1/refunds", data=form, headers={"Idempotency-Key": "dup"})

    with ThreadPoolExecutor(2) as pool:
        responses = list(pool.map(lambda _: post(), range(2)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 409]
    conflict = next(r for r in responses if r.status_code == 409)
    assert conflict.json()["error"]["code"] == "idempotency_key_in_use"
    assert post().headers["Idempotent-Replayed"] == "true"
    assert sandbox.stats()["refunds"] == 1


# ---------------------------------------------------------------- test payment methods


def test_pending_refund_settles_after_retrieves(client: stripe.StripeClient) -> None:
    pi = paid_intent(client, payment_method="pm_card_refund_pending")
    refund = client.v1.refunds.create(params={"payment_intent": pi.id})
    assert (refund.status, refund.pending_reason) == ("pending", "processing")
    assert client.v1.refunds.retrieve(refund.id).status == "pending"
    done = client.v1.refunds.retrieve(refund.id)
    assert (done.status, done.pending_reason) == ("succeeded", None)


def test_pending_refund_settled_by_admin(sandbox: Sandbox, client: stripe.StripeClient) -> None:
    pi = paid_intent(client, payment_method="pm_card_refund_pending")
    refund = client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 400})
    settled = sandbox.admin.post(f"/_sandbox/refunds/{refund.id}/settle", json={"status": "succeeded"})
    assert settled.status_code == 200 and settled.json()["status"] == "succeeded"
    assert client.v1.refunds.retrieve(refund.id).status == "succeeded"
    again = sandbox.admin.post(f"/_sandbox/refunds/{refund.id}/settle", json={"status": "failed"})
    assert again.status_code == 400  # already final


def test_refund_fail_card_fails_and_frees_the_amount(sandbox: Sandbox, client: stripe.StripeClient) -> None:
    pi = paid_intent(client, 1000, payment_method="pm_card_refundFail")
    refund = client.v1.refunds.create(params={"payment_intent": pi.id})
    assert refund.status == "pending"
    with pytest.raises(stripe.InvalidRequestError):  # pending refunds hold the amount
        client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 1})
    client.v1.refunds.retrieve(refund.id)
    failed = client.v1.refunds.retrieve(refund.id)
    assert (failed.status, failed.failure_reason) == ("failed", "expired_or_canceled_card")
    assert failed.failure_balance_transaction.startswith("txn_")
    assert sandbox.stats()["refunded_amount_by_payment_intent"][pi.id] == 0
    assert client.v1.refunds.create(params={"payment_intent": pi.id}).amount == 1000


def test_disputed_charge_cannot_be_refunded(sandbox: Sandbox, client: stripe.StripeClient) -> None:
    pi = paid_intent(client, payment_method="pm_card_createDispute")
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.refunds.create(params={"payment_intent": pi.id})
    assert err.value.code == "charge_disputed"
    later = paid_intent(client)  # a dispute opened after a partial refund blocks the rest
    client.v1.refunds.create(params={"payment_intent": later.id, "amount": 100})
    assert sandbox.admin.post(f"/_sandbox/payment_intents/{later.id}/dispute").status_code == 200
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.refunds.create(params={"payment_intent": later.id})
    assert err.value.code == "charge_disputed" and sandbox.stats()["refunds"] == 1


def test_cancel_only_requires_action(client: stripe.StripeClient) -> None:
    pi = paid_intent(client, payment_method="pm_refund_requires_action")
    refund = client.v1.refunds.create(params={"payment_intent": pi.id, "instructions_email": "c@example.com"})
    assert refund.status == "requires_action" and refund.next_action.type == "display_details"
    canceled = client.v1.refunds.cancel(refund.id)
    assert canceled.status == "canceled"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.cancel(refund.id)
    assert client.v1.refunds.create(params={"payment_intent": pi.id}).amount == 1000


def test_unknown_payment_method_is_rejected(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as err:
        paid_intent(client, payment_method="pm_card_unknown")
    assert (err.value.code, err.value.param) == ("resource_missing", "payment_method")


# ---------------------------------------------------------------- forms, metadata, listing


@pytest.mark.parametrize(
    "body",
    [
        "payment_intent={pi}&amount=300&metadata[return_id]=ret_9&metadata[sku]=A%20B",
        "payment_intent={pi}&amount=300&metadata%5Breturn_id%5D=ret_9&metadata%5Bsku%5D=A+B",
    ],
)
def test_metadata_bracket_forms_decode(sandbox: Sandbox, client: stripe.StripeClient, body: str) -> None:
    pi = paid_intent(client)
    response = sandbox.raw(
        "POST",
        "/v1/refunds",
        content=body.format(pi=pi.id).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["metadata"] == {"return_id": "ret_9", "sku": "A B"}
    found = sandbox.admin.get("/_sandbox/refunds", params={"metadata_key": "return_id", "metadata_value": "ret_9"})
    assert [r["id"] for r in found.json()] == [response.json()["id"]]


def test_json_body_is_rejected(sandbox: Sandbox, client: stripe.StripeClient) -> None:
    pi = paid_intent(client)
    response = sandbox.raw("POST", "/v1/refunds", json={"payment_intent": pi.id})
    assert response.status_code == 400 and sandbox.stats()["refunds"] == 0


def test_update_metadata_and_list_paging(client: stripe.StripeClient) -> None:
    pi, other = paid_intent(client, 1000), paid_intent(client, 1000)
    ids = [client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 100}).id for _ in range(3)]
    client.v1.refunds.create(params={"payment_intent": other.id, "amount": 100})
    page = client.v1.refunds.list(params={"payment_intent": pi.id, "limit": 2})
    assert [r.id for r in page.data] == ids[::-1][:2] and page.has_more
    rest = client.v1.refunds.list(params={"payment_intent": pi.id, "limit": 2, "starting_after": page.data[-1].id})
    assert [r.id for r in rest.data] == [ids[0]] and not rest.has_more
    assert len(client.v1.refunds.list().data) == 4
    updated = client.v1.refunds.update(ids[0], params={"metadata": {"a": "1", "b": "2"}})
    updated = client.v1.refunds.update(ids[0], params={"metadata": {"a": ""}})
    assert updated.metadata.to_dict() == {"b": "2"}


# ---------------------------------------------------------------- faults


def test_error_fault_stores_nothing(sandbox: Sandbox, client: stripe.StripeClient) -> None:
    pi = paid_intent(client)
    sandbox.set_faults({"POST /v1/refunds": {"error_rate": 1, "status": 503}})
    with pytest.raises(stripe.APIError) as err:
        client.v1.refunds.create(params={"payment_intent": pi.id}, options={"idempotency_key": "retry-me"})
    assert err.value.http_status == 503 and err.value.json_body["error"]["type"] == "api_error"
    assert sandbox.stats()["refunds"] == 0
    assert sandbox.admin.delete("/_sandbox/faults").status_code == 200
    refund = client.v1.refunds.create(params={"payment_intent": pi.id}, options={"idempotency_key": "retry-me"})
    assert refund.status == "succeeded" and refund.last_response.headers.get("Idempotent-Replayed") is None


def test_rate_limit_fault(start_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = start_sandbox(faults=json.dumps({"POST /v1/refunds": {"rate_limit_rate": 1}}))
    client = sandbox.client()
    pi = paid_intent(client)  # other endpoints are unaffected
    with pytest.raises(stripe.RateLimitError) as err:
        client.v1.refunds.create(params={"payment_intent": pi.id})
    # stripe-python builds RateLimitError without `code`, so read it from the body.
    assert err.value.http_status == 429 and err.value.json_body["error"]["code"] == "rate_limit"
    assert sandbox.stats()["refunds"] == 0


def test_after_execute_fault_then_retry_gets_stored_refund(sandbox: Sandbox, client: stripe.StripeClient) -> None:
    pi = paid_intent(client)
    sandbox.set_faults({"POST /v1/refunds": {"error_rate": 1, "after_execute": True}})
    params = {"payment_intent": pi.id, "amount": 600, "metadata": {"return_id": "ret_7"}}
    with pytest.raises(stripe.APIError):
        client.v1.refunds.create(params=params, options={"idempotency_key": "ret_7"})
    assert sandbox.stats()["refunds"] == 1  # it did happen; only the answer was lost
    retry = client.v1.refunds.create(params=params, options={"idempotency_key": "ret_7"})
    assert retry.amount == 600 and retry.last_response.headers["Idempotent-Replayed"] == "true"
    stored = sandbox.admin.get(
        "/_sandbox/refunds", params={"metadata_key": "return_id", "metadata_value": "ret_7"}
    ).json()
    assert [r["id"] for r in stored] == [retry.id]


def test_after_execute_timeout_then_retry(sandbox: Sandbox, client: stripe.StripeClient) -> None:
    pi = paid_intent(client)
    sandbox.set_faults(
        {"POST /v1/refunds": {"timeout_rate": 1, "timeout_ms": 1500, "after_execute": True, "max_faults": 1}}
    )
    impatient = sandbox.client(http_client=stripe.RequestsClient(timeout=0.3))
    with pytest.raises(stripe.APIConnectionError):
        impatient.v1.refunds.create(params={"payment_intent": pi.id}, options={"idempotency_key": "slow"})
    retry = client.v1.refunds.create(params={"payment_intent": pi.id}, options={"idempotency_key": "slow"})
    assert retry.amount == 1000 and sandbox.stats()["refunds"] == 1


def test_fault_spec_validation_and_glob(sandbox: Sandbox, client: stripe.StripeClient) -> None:
    bad = sandbox.admin.put("/_sandbox/faults", json={"POST /v1/refunds": {"eror_rate": 1}})
    assert bad.status_code == 400 and "eror_rate" in bad.json()["error"]["message"]
    sandbox.set_faults({"GET /v1/refunds/*": {"error_rate": 1}})
    pi = paid_intent(client)
    refund = client.v1.refunds.create(params={"payment_intent": pi.id})
    with pytest.raises(stripe.APIError):
        client.v1.refunds.retrieve(refund.id)
    assert sandbox.admin.get("/_sandbox/faults").json() == {"GET /v1/refunds/*": {"error_rate": 1}}


def test_seeded_faults_are_reproducible() -> None:
    def pattern(seed: int) -> list[str | None]:
        rule = Faults({"POST /v1/refunds": {"error_rate": 0.3, "rate_limit_rate": 0.2, "seed": seed}}).match(
            "POST", "/v1/refunds"
        )
        assert rule is not None
        return [rule.draw() for _ in range(50)]

    assert pattern(1) == pattern(1)
    assert pattern(1) != pattern(2)
    assert {"error", "rate_limit", None} == set(pattern(1))


def test_max_faults_fails_then_recovers(sandbox: Sandbox, client: stripe.StripeClient) -> None:
    sandbox.set_faults({"POST /v1/payment_intents": {"error_rate": 1, "max_faults": 2}})
    for _ in range(2):
        with pytest.raises(stripe.APIError):
            paid_intent(client)
    assert paid_intent(client).status == "succeeded"


# ---------------------------------------------------------------- webhooks


@contextlib.contextmanager
def _webhook_receiver(fail_first: int = 0) -> Iterator[tuple[str, "queue.Queue[tuple[str, bytes]]"]]:
    received: queue.Queue[tuple[str, bytes]] = queue.Queue()
    failures = {"left": fail_first}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server API
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if failures["left"] > 0:  # exercise the sandbox's retry
                failures["left"] -= 1
                self.send_response(500)
            else:
                received.put((self.headers.get("Stripe-Signature", ""), body))
                self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/webhooks/stripe", received
    finally:
        server.shutdown()
        server.server_close()


def test_webhooks_are_signed_and_verifiable(start_sandbox: Callable[..., Sandbox]) -> None:
    with _webhook_receiver(fail_first=1) as (url, received):
        sandbox = start_sandbox(webhook_url=url, webhook_secret=WEBHOOK_SECRET)
        client = sandbox.client()
        pi = paid_intent(client, payment_method="pm_card_refundFail")
        refund = client.v1.refunds.create(params={"payment_intent": pi.id}, options={"idempotency_key": "wh-1"})
        sandbox.admin.post(f"/_sandbox/refunds/{refund.id}/settle", json={"status": "failed"})
        events = []
        for _ in range(3):
            header, body = received.get(timeout=10)
            events.append(stripe.Webhook.construct_event(body.decode(), header, WEBHOOK_SECRET))
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(body.decode(), header, "whsec_wrong")
        # The receiver sees the body before the sandbox has processed the 200.
        _wait_until(
            lambda: {r["delivery"] for r in sandbox.admin.get("/_sandbox/events").json()} == {"delivered"},
            10,
            "delivery bookkeeping",
        )
    assert [e.type for e in events] == ["refund.created", "refund.updated", "refund.failed"]
    assert all(e.data.object.id == refund.id for e in events)
    assert events[0].request.idempotency_key == "wh-1"
    assert events[1].data.previous_attributes.status == "pending"
    assert events[2].data.object.failure_reason == "expired_or_canceled_card"
    log = sandbox.admin.get("/_sandbox/events").json()
    assert [r["attempts"] for r in log] == [2, 1, 1]


# ---------------------------------------------------------------- entry point


def test_main_rejects_bad_fault_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETURNFLOW_PAYMENTS_SANDBOX_FAULTS", '{"POST /v1/refunds": {"x": 1}}')
    assert payments_main.main(["--port", "0"]) == 2


def test_module_entry_point_serves_with_env_keys() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "RETURNFLOW_PAYMENTS_SANDBOX_KEYS": f"{OTHER_KEY}, sk_test_second"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandboxes.payments",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=REPO_ROOT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until(lambda: proc.poll() is not None or _health_ok(url), 20, "module entry point")
        assert proc.poll() is None, "sandbox process exited"
        client = stripe.StripeClient("sk_test_second", base_addresses={"api": url}, max_network_retries=0)
        assert paid_intent(client).status == "succeeded"
        with pytest.raises(stripe.AuthenticationError):  # default key not configured here
            stripe.StripeClient(KEY, base_addresses={"api": url}).v1.refunds.list()
    finally:
        proc.terminate()
        proc.wait(10)
