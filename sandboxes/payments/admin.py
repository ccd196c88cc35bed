"""Unauthenticated `/_sandbox` endpoints for tests, the demo seed and fault drills."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from . import operations as ops
from .errors import StripeError, invalid
from .pipeline import Sandbox, encode


def _error(exc: StripeError) -> Response:
    return Response(encode(exc.body()), status_code=exc.status, media_type="application/json")


async def _json_body(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise invalid("Body must be JSON.") from None


def build_admin_router(sandbox: Sandbox) -> APIRouter:
    router = APIRouter(prefix="/_sandbox")

    @router.get("/health")
    async def health() -> dict[str, Any]:
        return {"ok": True}

    @router.get("/stats")
    async def stats() -> dict[str, Any]:
        return sandbox.store.stats()

    @router.get("/api_keys")
    async def api_keys() -> dict[str, Any]:
        """The API keys requests presented: the last one, and how often each (a key this sandbox does not know
        only as `unknown…` and its last 4)."""
        return {"last": sandbox.last_api_key, "counts": dict(sandbox.keys_used)}

    @router.get("/refunds")
    async def refunds(
        metadata_key: str | None = None,
        metadata_value: str | None = None,
        payment_intent: str | None = None,
        status: str | None = None,
    ) -> Any:
        """Plain JSON array, oldest first; metadata_value without metadata_key is ignored."""
        found = sorted(sandbox.store.refunds.values(), key=lambda r: r.seq)
        if metadata_key is not None:
            found = [
                r
                for r in found
                if metadata_key in r.metadata and (metadata_value is None or r.metadata[metadata_key] == metadata_value)
            ]
        if payment_intent is not None:
            found = [r for r in found if r.payment_intent == payment_intent]
        if status is not None:
            found = [r for r in found if r.status == status]
        return [r.to_json() for r in found]

    @router.get("/payment_intents")
    async def payment_intents(metadata_key: str | None = None, metadata_value: str | None = None) -> Any:
        """Plain JSON array, oldest first, filtered like /_sandbox/refunds."""
        found = sorted(sandbox.store.payment_intents.values(), key=lambda p: (p.created, p.id))
        if metadata_key is not None:
            found = [
                p
                for p in found
                if metadata_key in p.metadata and (metadata_value is None or p.metadata[metadata_key] == metadata_value)
            ]
        return [p.to_json() for p in found]

    @router.post("/refunds/{refund_id}/settle")
    async def settle(refund_id: str, request: Request) -> Response:
        """Body {"status": "succeeded"|"failed", "failure_reason"?: str}."""
        try:
            body = await _json_body(request)
            if not isinstance(body, dict):
                raise invalid("Body must be a JSON object.")
            refund = ops.get_refund(sandbox.store, refund_id)
            ops.settle(
                sandbox.store, refund, body.get("status", ""), body.get("failure_reason") or "expired_or_canceled_card"
            )
            return Response(encode(refund.to_json()), media_type="application/json")
        except StripeError as exc:
            return _error(exc)

    @router.post("/payment_intents/{pi_id}/dispute")
    async def dispute(pi_id: str) -> Response:
        """Open a dispute on an existing PaymentIntent's charge (later refunds -> charge_disputed)."""
        try:
            pi = ops.get_payment_intent(sandbox.store, pi_id)
            if pi.latest_charge is None:
                raise invalid(f"PaymentIntent {pi_id} has no charge to dispute.")
            sandbox.store.charges[pi.latest_charge].disputed = True
            return Response(encode(pi.to_json()), media_type="application/json")
        except StripeError as exc:
            return _error(exc)

    @router.get("/faults")
    async def get_faults() -> dict[str, Any]:
        return sandbox.faults.spec

    @router.put("/faults")
    async def put_faults(request: Request) -> Response:
        try:
            sandbox.faults.replace(await _json_body(request))
        except ValueError as exc:
            return _error(invalid(str(exc)))
        except StripeError as exc:
            return _error(exc)
        return Response(encode(sandbox.faults.spec), media_type="application/json")

    @router.delete("/faults")
    async def delete_faults() -> dict[str, Any]:
        sandbox.faults.replace({})
        return {}

    @router.get("/events")
    async def events() -> list[dict[str, Any]]:
        """Every emitted event with delivery status: pending | delivered | failed | disabled."""
        return sandbox.webhooks.events

    @router.post("/reset")
    async def reset() -> dict[str, Any]:
        """Forget all objects, idempotency keys and events; faults and API keys stay."""
        sandbox.reset()
        return {}

    return router
