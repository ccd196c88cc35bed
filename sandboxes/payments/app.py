"""Returnflow payments sandbox: a local, stateful, Stripe-compatible API for refunds.

The real `stripe` SDK works against it unchanged::

    client = stripe.StripeClient("sk_test_returnflow_sandbox",
                                 base_addresses={"api": "http://127.0.0.1:8020"},
                                 max_network_retries=0)
    pi = client.v1.payment_intents.create(params={"amount": 5000, "currency": "usd",
                                                  "confirm": True})
    client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 2000},
                             options={"idempotency_key": "return-42-refund"})

Test payment methods (pass as `payment_method` when creating the PaymentIntent; default
`pm_card_visa`; the Charges API also takes `source=tok_visa`):

* `pm_card_visa`, `pm_card_mastercard` – refunds are `succeeded` immediately.
* `pm_card_refund_pending` – refunds come back `pending` (`pending_reason: processing`) and turn
  `succeeded` on the 2nd `GET /v1/refunds/{id}` (`state.PENDING_RETRIEVES_TO_SETTLE`) or via
  `POST /_sandbox/refunds/{id}/settle`.
* `pm_card_refundFail` – refunds come back `pending`, then turn `failed` with
  `failure_reason: expired_or_canceled_card` the same way; the amount becomes refundable again.
* `pm_card_createDispute` – the charge is disputed: refunds fail with 400 `charge_disputed`.
* `pm_card_authenticationRequired` – paid on-session; an off-session payment intent with it is
  declined (402 `card_error`, `authentication_required`), as for a card that needs 3DS every time.
* `pm_refund_requires_action` (sandbox-only) – refunds come back `requires_action`, the one state
  `POST /v1/refunds/{id}/cancel` accepts.

Endpoints (all JSON; request bodies form-encoded with bracket notation, raw or %5B%5D-escaped):
`POST /v1/payment_intents`, `GET /v1/payment_intents/{id}`, `POST /v1/payment_intents/{id}/confirm`,
`POST /v1/charges`, `GET /v1/charges/{id}`, `POST /v1/refunds`, `GET /v1/refunds`,
`GET /v1/refunds/{id}`, `POST /v1/refunds/{id}`, `POST /v1/refunds/{id}/cancel`; plus the
unauthenticated admin API in `admin.py` under `/_sandbox`.  Idempotency rules: `idempotency.py`;
fault spec: `faults.py`; webhook signing: `webhooks.py`.

Deliberate simplifications: all API keys share one account (idempotency keys are still scoped
per API key); `expand` is accepted and ignored; amounts are minor units with no per-currency
minimum; sandbox-invented errors (currency mismatch, cancel of a non-requires_action refund, bad
`reason`) carry `code: null`.
"""

from __future__ import annotations

import json
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator

from fastapi import FastAPI, Request, Response

from sandboxes.persist import FlushBeforeAnswer

from . import operations as ops
from .admin import build_admin_router
from .errors import StripeError
from .faults import Faults
from .forms import Params
from .pipeline import Sandbox, encode
from .webhooks import WebhookSender

DEFAULT_API_KEYS = frozenset({"sk_test_returnflow_sandbox"})


def create_app(
    *,
    api_keys: set[str] | frozenset[str] = DEFAULT_API_KEYS,
    faults: str | None = None,
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
    data_dir: Path | None = None,
) -> FastAPI:
    """Build an app with its own state: in memory, or kept in `data_dir` (persisted.py) so a restart
    on the same folder carries on.  `faults` is a JSON fault spec (faults.py)."""
    if not api_keys:
        raise ValueError("at least one API key is required")
    sandbox = Sandbox(
        api_keys, Faults(json.loads(faults) if faults else None), WebhookSender(webhook_url, webhook_secret), data_dir
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await sandbox.webhooks.aclose()
        sandbox.flush()
        sandbox.journal.close()

    app = FastAPI(
        title="Returnflow payments sandbox (Stripe-compatible)",
        lifespan=lifespan,
        docs_url="/_sandbox/docs",
        openapi_url="/_sandbox/openapi.json",
        redoc_url=None,
    )
    app.state.sandbox = sandbox
    app.add_middleware(FlushBeforeAnswer, flush=sandbox.flush)
    app.include_router(build_admin_router(sandbox))
    _add_v1_routes(app, sandbox)
    return app


def _no_params(data: dict[str, Any]) -> None:
    Params(data, set())  # GET-by-id takes only `expand`; anything else is parameter_unknown


def _add_v1_routes(app: FastAPI, sandbox: Sandbox) -> None:
    # `sandbox.store` is looked up per request because /_sandbox/reset swaps it.

    @app.post("/v1/payment_intents")
    async def create_payment_intent(request: Request) -> Response:
        return await sandbox.post(request, lambda d: ops.prepare_payment_intent_create(sandbox.store, d))

    @app.get("/v1/payment_intents/{pi_id}")
    async def get_payment_intent(pi_id: str, request: Request) -> Response:
        def read(d: dict[str, Any]) -> dict[str, Any]:
            _no_params(d)
            return ops.get_payment_intent(sandbox.store, pi_id, "intent").to_json()

        return await sandbox.get(request, read)

    @app.post("/v1/payment_intents/{pi_id}/confirm")
    async def confirm_payment_intent(pi_id: str, request: Request) -> Response:
        return await sandbox.post(request, lambda d: ops.prepare_payment_intent_confirm(sandbox.store, pi_id, d))

    @app.post("/v1/charges")
    async def create_charge(request: Request) -> Response:
        return await sandbox.post(request, lambda d: ops.prepare_charge_create(sandbox.store, d))

    @app.get("/v1/charges/{ch_id}")
    async def get_charge(ch_id: str, request: Request) -> Response:
        def read(d: dict[str, Any]) -> dict[str, Any]:
            _no_params(d)
            return sandbox.store.charge_json(ops.get_charge(sandbox.store, ch_id, "id"))

        return await sandbox.get(request, read)

    @app.post("/v1/refunds")
    async def create_refund(request: Request) -> Response:
        return await sandbox.post(request, lambda d: ops.prepare_refund_create(sandbox.store, d))

    @app.get("/v1/refunds")
    async def list_refunds(request: Request) -> Response:
        return await sandbox.get(request, lambda d: ops.list_refunds(sandbox.store, d))

    @app.get("/v1/refunds/{re_id}")
    async def get_refund(re_id: str, request: Request) -> Response:
        def read(d: dict[str, Any]) -> dict[str, Any]:
            _no_params(d)
            return ops.retrieve_refund(sandbox.store, re_id)

        return await sandbox.get(request, read)

    @app.post("/v1/refunds/{re_id}")
    async def update_refund(re_id: str, request: Request) -> Response:
        return await sandbox.post(request, lambda d: ops.prepare_refund_update(sandbox.store, re_id, d))

    @app.post("/v1/refunds/{re_id}/cancel")
    async def cancel_refund(re_id: str, request: Request) -> Response:
        return await sandbox.post(request, lambda d: ops.prepare_refund_cancel(sandbox.store, re_id, d))

    # Registered last: anything else under /v1 gets Stripe's "Unrecognized request URL" 404
    # instead of FastAPI's {"detail": ...}, so SDK callers see an InvalidRequestError.
    @app.api_route("/v1/{rest:path}", methods=["GET", "POST", "DELETE", "PUT", "PATCH"])
    async def unrecognized(rest: str, request: Request) -> Response:
        exc = StripeError(
            404,
            f"Unrecognized request URL ({request.method}: /v1/{rest}). "
            "Please see https://stripe.com/docs or we can help at "
            "https://support.stripe.com/.",
        )
        return Response(encode(exc.body()), status_code=404, media_type="application/json")
