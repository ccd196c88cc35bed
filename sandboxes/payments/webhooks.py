"""Stripe-style webhook events for refund status changes, signed like Stripe signs them.

`Stripe-Signature: t=<unix ts>,v1=<hex HMAC-SHA256(secret, f"{t}.{body}")>` is exactly what
`stripe.Webhook.construct_event(body, header, secret)` verifies.  Delivery is best effort: one
background worker sends events in creation order (so `refund.created` precedes `refund.updated`),
retrying non-2xx answers and connection errors a few times with backoff, then gives up.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import hmac
import json
import logging
import time
from typing import Any

import httpx

from .state import new_id, now

log = logging.getLogger("sandboxes.payments.webhooks")

API_VERSION = "2026-10-28.endive"  # the version stripe-python 16.1.0 pins
DELIVERY_ATTEMPTS = 4
FIRST_BACKOFF_SECONDS = 0.25
DELIVERY_TIMEOUT_SECONDS = 5.0

# Set per POST by app.py so events carry `request.id` / `request.idempotency_key` like Stripe's;
# transitions that happen "later" (retrieve-driven or admin settle) have none.
current_request: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("current_request", default=None)


def signature_header(payload: str, secret: str, timestamp: int | None = None) -> str:
    ts = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{ts}.{payload}".encode(), hashlib.sha256)
    return f"t={ts},v1={mac.hexdigest()}"


class WebhookSender:
    def __init__(self, url: str | None, secret: str | None) -> None:
        self.url, self.secret = url, secret
        self.events: list[dict[str, Any]] = []  # every event, with delivery bookkeeping
        self._queue: asyncio.Queue[dict[str, Any]] | None = None
        self._worker: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None
        if url and not secret:
            log.warning("webhook URL set without a secret; events will be sent unsigned")

    def emit(self, event_type: str, obj: dict[str, Any], previous: dict[str, Any] | None) -> None:
        request = current_request.get() or {"id": None, "idempotency_key": None}
        data: dict[str, Any] = {"object": obj}
        if previous is not None:
            data["previous_attributes"] = previous
        event = {
            "id": new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": now(),
            "data": data,
            "livemode": False,
            "pending_webhooks": 1 if self.url else 0,
            "request": dict(request),
            "type": event_type,
        }
        record = {"event": event, "delivery": "pending" if self.url else "disabled", "attempts": 0}
        self.events.append(record)
        if self.url:
            self._ensure_worker()
            assert self._queue is not None
            self._queue.put_nowait(record)

    def _ensure_worker(self) -> None:
        if self._worker is None or self._worker.done():
            self._queue = self._queue or asyncio.Queue()
            self._client = self._client or httpx.AsyncClient(timeout=DELIVERY_TIMEOUT_SECONDS)
            self._worker = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        assert self._queue is not None
        while True:
            record = await self._queue.get()
            await self._deliver(record)

    async def _deliver(self, record: dict[str, Any]) -> None:
        assert self._client is not None and self.url
        payload = json.dumps(record["event"], indent=2)
        for attempt in range(DELIVERY_ATTEMPTS):
            record["attempts"] = attempt + 1
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            }
            if self.secret:  # fresh timestamp per attempt, as Stripe does
                headers["Stripe-Signature"] = signature_header(payload, self.secret)
            try:
                response = await self._client.post(self.url, content=payload.encode(), headers=headers)
                if response.is_success:
                    record["delivery"] = "delivered"
                    return
                record["last_error"] = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                record["last_error"] = repr(exc)
            if attempt + 1 < DELIVERY_ATTEMPTS:
                await asyncio.sleep(FIRST_BACKOFF_SECONDS * 2**attempt)
        record["delivery"] = "failed"
        log.warning("giving up on %s %s: %s", record["event"]["type"], record["event"]["id"], record.get("last_error"))

    async def aclose(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            try:
                await self._worker
            except asyncio.CancelledError:
                pass
        if self._client is not None:
            await self._client.aclose()
        self._worker = self._client = self._queue = None
