"""Events and their webhook delivery (signed, retried in the background), plus Webhook records.

Each event goes to the configured webhook URL (create_app / PUT /_sandbox/config) and to every
enabled webhook registered through /v2/webhooks.  The body is compact JSON and the signature is
computed over exactly those bytes, as easypost.util.validate_webhook expects.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import json
import time
import unicodedata
from typing import Any

import httpx

from sandboxes.easypost.state import MODE, Sandbox, new_id, now_iso, now_iso_ms

RETRY_DELAYS = (0.25, 0.5, 1.0, 2.0, 4.0)  # seconds before each retry; bounded, ~8 s in all
DELIVERY_TIMEOUT = 5.0
LIST_KEYS = ("description", "id", "user_id", "status", "created_at", "mode", "object")


def sign(body: bytes, secret: str) -> str:
    key = unicodedata.normalize("NFKD", secret).encode("utf-8")
    return "hmac-sha256-hex=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def new_webhook(sb: Sandbox, params: dict[str, Any]) -> dict[str, Any]:
    return sb.add(
        {
            "id": new_id("hook"),
            "object": "Webhook",
            "mode": MODE,
            "url": params["url"],
            "created_at": now_iso(),
            "disabled_at": None,
            "custom_headers": list(params.get("custom_headers") or []),
            "_secret": params.get("webhook_secret"),
        }
    )


def _targets(sb: Sandbox) -> list[dict[str, Any]]:
    targets = []
    if sb.webhook_url:
        targets.append({"url": sb.webhook_url, "secret": sb.webhook_secret, "headers": []})
    for hook in sb.all("hook"):
        if hook["disabled_at"] is None:
            targets.append({"url": hook["url"], "secret": hook["_secret"], "headers": hook["custom_headers"]})
    return targets


def emit(
    sb: Sandbox, description: str, result: dict[str, Any], previous: dict[str, Any] | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Record an event (result snapshotted now); returns it with its delivery targets."""
    ts = now_iso_ms()
    targets = _targets(sb)
    event = sb.add(
        {
            "id": new_id("evt"),
            "object": "Event",
            "mode": MODE,
            "description": description,
            "previous_attributes": previous or {},
            "result": copy.deepcopy(result),
            "status": "pending" if targets else "completed",
            "pending_urls": [t["url"] for t in targets],
            "completed_urls": [],
            "user_id": sb.user_id,
            "created_at": ts,
            "updated_at": ts,
            "_payloads": [],
        }
    )
    return event, targets


def emit_in_background(
    sb: Sandbox, description: str, result: dict[str, Any], previous: dict[str, Any] | None = None
) -> dict[str, Any]:
    event, targets = emit(sb, description, result, previous)
    if targets:
        sb.spawn(deliver(sb, event, targets))
    return event


async def deliver(sb: Sandbox, event: dict[str, Any], targets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """First attempt to every target now; failed targets are retried in background tasks."""
    sb.flush()  # what an event tells the receiver is saved before it is told
    results = await asyncio.gather(*(_attempt(sb, event, t) for t in targets))
    for target, result in zip(targets, results):
        if not result["ok"]:
            sb.spawn(_retry(sb, event, target))
    return [{k: v for k, v in r.items() if k != "ok"} for r in results]


async def _retry(sb: Sandbox, event: dict[str, Any], target: dict[str, Any]) -> None:
    for delay in RETRY_DELAYS:
        await asyncio.sleep(delay)
        if (await _attempt(sb, event, target))["ok"]:
            return
    event.update(status="failed", updated_at=now_iso_ms())


async def _attempt(sb: Sandbox, event: dict[str, Any], target: dict[str, Any]) -> dict[str, Any]:
    wire = {k: v for k, v in event.items() if not k.startswith("_")}
    body = json.dumps(wire, separators=(",", ":")).encode("utf-8")
    headers = {"Content-Type": "application/json", "User-Agent": "EasyPost WebHook Agent 1.0 (sandbox)"}
    if target["secret"]:
        headers["X-Hmac-Signature"] = sign(body, target["secret"])
    for extra in target["headers"]:
        headers[str(extra.get("name"))] = str(extra.get("value"))
    started = time.monotonic()
    code, response_body, response_headers, error = None, None, {}, None
    try:
        async with httpx.AsyncClient(timeout=DELIVERY_TIMEOUT) as client:
            response = await client.post(target["url"], content=body, headers=headers)
        code, response_body, response_headers = response.status_code, response.text[:4000], dict(response.headers)
    except Exception as exc:  # noqa: BLE001 - any failure to deliver is recorded and retried
        error = f"{type(exc).__name__}: {exc}"
    ok = code is not None and 200 <= code < 300
    _record_payload(sb, event, target["url"], headers, body, code, response_body, response_headers, started)
    sb.stats["webhook_attempts"] += 1
    if ok:
        sb.stats["webhook_deliveries"] += 1
        if target["url"] in event["pending_urls"]:
            event["pending_urls"].remove(target["url"])
            event["completed_urls"].append(target["url"])
        if not event["pending_urls"]:
            event["status"] = "completed"
        event["updated_at"] = now_iso_ms()
    result = {"url": target["url"], "status_code": code, "ok": ok}
    if error:
        result["error"] = error
    return result


def _record_payload(
    sb: Sandbox,
    event: dict[str, Any],
    url: str,
    headers: dict[str, str],
    body: bytes,
    code: int | None,
    response_body: str | None,
    response_headers: dict[str, str],
    started: float,
) -> None:
    ts = now_iso()
    payload = sb.add(
        {
            "id": new_id("payload"),
            "object": "Payload",
            "created_at": ts,
            "updated_at": ts,
            "request_url": url,
            "request_headers": headers,
            "request_body": body.decode("utf-8"),
            "response_headers": response_headers,
            "response_body": response_body,
            "response_code": code,
            "total_time": int((time.monotonic() - started) * 1000),
        }
    )
    event["_payloads"].append(payload["id"])


def render_event(event: dict[str, Any], *, listing: bool = False) -> dict[str, Any]:
    """Over the API events come back without `result` (recorded); lists carry only a summary."""
    if listing:
        return {k: event[k] for k in LIST_KEYS}
    return {k: v for k, v in event.items() if not k.startswith("_") and k != "result"}
