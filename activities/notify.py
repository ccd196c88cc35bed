"""Outbound merchant webhooks: signed, retried by Temporal, every attempt logged.

Signature (Stripe's scheme, so merchants can reuse known code):
`Returnflow-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
The event id is deterministic per return and event type, so a merchant drops repeats.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import httpx
from sqlalchemy.engine import Engine
from temporalio import activity
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError

from db.session import session_scope
from db.tables import Merchant, WebhookDelivery
from workflows.ids import MERCHANT_NOTIFICATION_WORKFLOW, TASK_QUEUE, notification_workflow_id

# The contract's models (Announcement, MerchantEvent) stay importable from here until the return workflow switches.
from workflows.messages import ActivityErrorType, Announcement, MerchantEvent

SIGNATURE_HEADER = "Returnflow-Signature"


def sign(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class NotifyActivities:
    def __init__(self, engine: Engine, client: Client | None = None) -> None:
        self._engine = engine
        self._client = client

    @activity.defn
    async def announce_to_merchant(self, announcement: Announcement) -> list[str]:
        """Start one delivery workflow per event, independent of the return (which may finish now).

        Idempotent: the delivery workflow's id is the event id, and a second start finds it.
        """
        assert self._client is not None, "the worker passes its Temporal client"
        started = []
        for event in announcement.events:
            handle = await self._client.start_workflow(
                MERCHANT_NOTIFICATION_WORKFLOW,  # by name: activities never import a workflow
                event,
                id=notification_workflow_id(event.event_id),
                task_queue=TASK_QUEUE,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
            started.append(handle.id)
        return started

    @activity.defn
    def deliver_merchant_event(self, event: MerchantEvent) -> str:
        """POST the event to the merchant; a non-2xx or network error is retried with backoff."""
        with session_scope(self._engine) as session:
            merchant = session.get(Merchant, event.merchant_id)
            url, secret = (merchant.webhook_url, merchant.webhook_secret) if merchant else (None, None)
        if not url or not secret:
            return "no endpoint configured"
        body = json.dumps(
            {"id": event.event_id, "type": event.type, "created_at": event.created_at, "data": event.data},
            separators=(",", ":"),
        ).encode()
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, body, int(time.time()))}
        status, error = None, None
        try:
            status = httpx.post(url, content=body, headers=headers, timeout=10).status_code
        except httpx.HTTPError as err:
            error = f"{type(err).__name__}: {err}"[:500]
        delivered = status is not None and 200 <= status < 300
        with session_scope(self._engine) as session:
            session.add(
                WebhookDelivery(
                    merchant_id=event.merchant_id,
                    event_id=event.event_id,
                    event_type=event.type,
                    return_id=event.return_id,
                    url=url,
                    attempt=activity.info().attempt,
                    status_code=status,
                    error=error,
                    delivered=delivered,
                )
            )
        if not delivered:
            raise ApplicationError(
                f"merchant endpoint answered {status or error}", type=ActivityErrorType.MERCHANT_ENDPOINT_FAILED
            )
        return f"delivered ({status})"
