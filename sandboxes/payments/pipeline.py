"""The request pipeline shared by every /v1 route: auth -> faults -> idempotency -> run.

Order matters and mirrors what a client of real Stripe can observe:
1. authentication (401 before anything else),
2. pre-execution faults (the request "never arrived": nothing stored, nothing changed),
3. Idempotency-Key lookup (replay / idempotency_error / 409 while the first is in flight),
4. parameter validation (errors not stored), execution (result stored, 4xx included),
5. after_execute faults (the stored response is lost on the way back).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import Counter
from pathlib import Path
from typing import Any, Callable

from fastapi import Request, Response

from sandboxes.persist import Journal

from . import errors, persisted
from .errors import StripeError
from .faults import FaultRule, Faults
from .forms import decode_form, fingerprint
from .idempotency import IdempotencyStore, StoredResponse
from .operations import Execute
from .state import Store, new_id
from .webhooks import API_VERSION, WebhookSender, current_request

Prepare = Callable[[dict[str, Any]], Execute]
Read = Callable[[dict[str, Any]], dict[str, Any]]


def encode(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, indent=2).encode()  # Stripe pretty-prints its JSON


def _mask(key: str) -> str:
    return key[:8] + "*" * max(len(key) - 12, 4) + key[-4:] if len(key) > 12 else "****"


class Sandbox:
    def __init__(
        self, api_keys: set[str] | frozenset[str], faults: Faults, webhooks: WebhookSender, data_dir: Path | None = None
    ) -> None:
        self.api_keys = frozenset(api_keys)
        self.keys_used: Counter[str] = (
            Counter()
        )  # every API key presented (/_sandbox/api_keys; unknown ones by their last 4)
        self.last_api_key: str | None = None
        self.store = Store()
        self.idempotency = IdempotencyStore()
        self.faults = faults
        self.webhooks = webhooks
        self.store.on_event = webhooks.emit
        self.journal = Journal(data_dir / "state.db" if data_dir else None)
        persisted.attach(self)

    def reset(self) -> None:
        self.store = Store()
        self.store.on_event = self.webhooks.emit
        self.idempotency = IdempotencyStore()
        self.webhooks.events.clear()
        self.journal.reset()
        persisted.attach(self)

    def flush(self) -> None:
        """Save what changed (a no-op in memory); runs before every answer (app.py)."""
        self.journal.flush()

    # ------------------------------------------------------------------ building blocks

    def authenticate(self, request: Request) -> str:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if not header:
            raise errors.authentication(
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                "YOUR_SECRET_KEY')."
            )
        if scheme.lower() == "bearer":
            key = value.strip()
        elif scheme.lower() == "basic":  # curl -u sk_test_...:  -> key is the username
            try:
                key = base64.b64decode(value.strip(), validate=True).decode().partition(":")[0]
            except (binascii.Error, UnicodeDecodeError):
                raise errors.authentication("Invalid Basic authorization header.") from None
        else:
            raise errors.authentication(f"Unsupported authorization scheme: {scheme}.")
        seen = key if key in self.api_keys else f"unknown…{key[-4:]}"  # a key the sandbox does not know: never echoed
        self.keys_used[seen] += 1
        self.last_api_key = seen
        if key not in self.api_keys:
            raise errors.authentication(f"Invalid API Key provided: {_mask(key)}")
        return key

    @staticmethod
    async def read_form(request: Request) -> dict[str, Any]:
        body = await request.body()
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if body and content_type not in ("application/x-www-form-urlencoded", ""):
            raise errors.invalid(
                f"Invalid request: unsupported Content-Type {content_type}. If error persists "
                "and you need assistance, please contact support@stripe.com."
            )
        return decode_form(body)

    @staticmethod
    async def before_execute(rule: FaultRule | None) -> None:
        """Inject pre-execution faults (after their latency); a no-op for after_execute rules."""
        if rule is None or rule.after_execute:
            return
        kind = rule.draw()
        if kind is None:
            return
        await rule.wait_latency()
        if kind == "timeout":
            await rule.wait_timeout()
        raise (
            errors.rate_limited()
            if kind == "rate_limit"
            else errors.api_error(500 if kind == "timeout" else rule.status)
        )

    @staticmethod
    async def after_execute(rule: FaultRule | None, response: Response) -> Response:
        if rule is None or not rule.after_execute:
            return response
        kind = rule.draw()
        if kind == "timeout":  # the real answer, but too late for a sane client timeout
            await rule.wait_timeout()
            return response
        if kind == "rate_limit":
            raise errors.rate_limited()
        if kind == "error":
            raise errors.api_error(rule.status)
        return response

    @staticmethod
    def respond(status: int, body: bytes, headers: dict[str, str]) -> Response:
        return Response(content=body, status_code=status, media_type="application/json", headers=headers)

    def error_response(self, exc: StripeError, headers: dict[str, str]) -> Response:
        return self.respond(exc.status, encode(exc.body()), {**headers, **exc.headers})

    @staticmethod
    def _headers(request: Request, request_id: str) -> dict[str, str]:
        headers = {"Request-Id": request_id, "Stripe-Version": request.headers.get("stripe-version", API_VERSION)}
        if key := request.headers.get("idempotency-key"):
            headers["Idempotency-Key"] = key
        return headers

    # ------------------------------------------------------------------ entry points

    async def post(self, request: Request, prepare: Prepare) -> Response:
        request_id = new_id("req")
        headers = self._headers(request, request_id)
        try:
            api_key = self.authenticate(request)
            data = await self.read_form(request)
            rule = self.faults.match(request.method, request.url.path)
            await self.before_execute(rule)
            key = request.headers.get("idempotency-key")
            endpoint = f"{request.method} {request.url.path}"
            if key is None:
                status, body = await self._execute(rule, prepare, data, request_id, None)
            else:
                IdempotencyStore.check_key(key)
                scope, fp = (api_key, key), fingerprint(data)
                stored = self.idempotency.lookup(scope, endpoint, fp)
                if stored is not None:
                    return self._replay(stored, headers)
                self.idempotency.begin(scope)
                try:
                    status, body = await self._execute(rule, prepare, data, request_id, key)
                    self.idempotency.store(scope, endpoint, fp, status, body, request_id)
                finally:
                    self.idempotency.end(scope)
            return await self.after_execute(rule, self.respond(status, body, headers))
        except StripeError as exc:
            return self.error_response(exc, headers)

    async def _execute(
        self, rule: FaultRule | None, prepare: Prepare, data: dict[str, Any], request_id: str, key: str | None
    ) -> tuple[int, bytes]:
        # Latency runs while the key is held, so a concurrent duplicate sees 409 like on Stripe.
        if rule is not None:
            await rule.wait_latency()
        token = current_request.set({"id": request_id, "idempotency_key": key})
        try:
            execute = prepare(data)  # validation errors propagate: never stored
            try:
                return 200, encode(execute())
            except StripeError as exc:
                return exc.status, encode(exc.body())
        finally:
            current_request.reset(token)

    def _replay(self, stored: StoredResponse, headers: dict[str, str]) -> Response:
        return self.respond(
            stored.status,
            stored.body,
            {**headers, "Idempotent-Replayed": "true", "Original-Request": stored.request_id},
        )

    async def get(self, request: Request, read: Read) -> Response:
        headers = self._headers(request, new_id("req"))
        try:
            self.authenticate(request)
            data = decode_form(request.url.query.encode())
            rule = self.faults.match(request.method, request.url.path)
            await self.before_execute(rule)
            if rule is not None:
                await rule.wait_latency()
            response = self.respond(200, encode(read(data)), headers)
            return await self.after_execute(rule, response)
        except StripeError as exc:
            return self.error_response(exc, headers)
