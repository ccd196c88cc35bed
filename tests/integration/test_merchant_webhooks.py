"""On the running stack, a return's events reach the merchant's endpoint through the outbox: Standard Webhooks
signed (verified by the receiver with the standardwebhooks library), in order, retried when the endpoint
fails, logged with each attempt, and never shown to another merchant."""

from __future__ import annotations

import json
import threading

import pytest
from fastapi import FastAPI, Request, Response
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from sandboxes.serve import serve_in_thread
from tests.integration.conftest import Running, poll
from tests.integration.test_bad_input import error
from tests.integration.test_policy_api import put_order

pytestmark = pytest.mark.integration


class Receiver:
    """A merchant endpoint that verifies every request and fails the first one, then accepts."""

    def __init__(self) -> None:
        self.secret = ""
        self.seen: list[dict] = []
        self.lock = threading.Lock()

    async def hook(self, request: Request) -> Response:
        body, headers = await request.body(), dict(request.headers)
        try:
            Webhook(self.secret).verify(body, headers)
            verified = True
        except WebhookVerificationError:
            verified = False
        with self.lock:
            first = not self.seen
            status = 400 if not verified else 500 if first else 200
            self.seen.append({"event": json.loads(body), "id": headers["webhook-id"], "status": status})
        return Response(status_code=status)


@pytest.fixture
def receiver():
    rec, app = Receiver(), FastAPI()
    app.post("/hooks")(rec.hook)
    url, stop = serve_in_thread(app)
    yield f"{url}/hooks", rec
    stop()


def test_a_returns_events_are_signed_in_order_retried_and_logged(running: Running, shop, receiver):
    run = running
    url, rec = receiver
    m = shop["merchant"]
    error(run.api.post("/v1/webhook-endpoints", json={"url": "ftp://example.com/x"}, headers=m), 422)
    r = run.api.post("/v1/webhook-endpoints", json={"url": url}, headers=m)
    assert r.status_code == 201, r.text
    endpoint = r.json()
    rec.secret = endpoint["secret"]
    assert "secret" not in run.api.get(f"/v1/webhook-endpoints/{endpoint['id']}", headers=m).json()

    # Keep-the-item: the return settles at once, no parcel to wait for.
    run.api.put("/v1/policy", json={"keep_item_below": 1_000_000, "currency": "USD"}, headers=m)
    order_id = put_order(run, shop)
    body = {
        "order_id": order_id,
        "items": [{"line_id": "L1", "quantity": 1, "reason": "too_small"}],
        "resolution": "refund",
    }
    ret = run.api.post("/v1/returns", json=body, headers=m).json()

    def delivered_types() -> list[str]:
        with rec.lock:
            return [s["event"]["type"] for s in rec.seen if s["status"] == 200]

    poll(delivered_types, lambda types: "return.completed" in types, 90, "the return's events")
    first, retried = rec.seen[0], rec.seen[1]
    assert first["status"] == 500 and retried["id"] == first["id"]  # the same event, redelivered first
    types = delivered_types()
    assert types[0] == "return.created" and types.index("refund.succeeded") < types.index("return.completed")
    assert len(types) == len(set(types))  # each once
    refund = next(s["event"] for s in rec.seen if s["event"]["type"] == "refund.succeeded")
    assert refund["data"]["return"]["return_id"] == ret["id"]
    assert refund["data"]["return"]["refund"]["amount"] == {"amount": 2500, "currency": "USD"}
    assert "customer" not in json.dumps(refund["data"]) and "@" not in json.dumps(refund["data"])

    log = run.api.get("/v1/webhook-deliveries", params={"return_id": ret["id"]}, headers=m).json()["data"]
    assert {d["status"] for d in log} == {"delivered"} and len(log) == len(types)
    created = next(d for d in log if d["event_type"] == "return.created")
    assert (created["attempts"], created["last_status_code"], created["event_id"]) == (2, 200, first["id"])
    attempts = run.api.get(f"/v1/webhook-deliveries/{created['id']}/attempts", headers=m).json()["data"]
    assert [(a["attempt"], a["status_code"], a["delivered"]) for a in attempts] == [(1, 500, False), (2, 200, True)]
    others = run.api.get("/v1/webhook-deliveries", params={"return_id": ret["id"]}, headers=run.merchant())
    assert others.json()["data"] == []  # another merchant never sees these
