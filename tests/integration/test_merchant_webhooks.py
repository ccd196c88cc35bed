"""Settlement events reach the merchant signed, are retried when the endpoint fails, and are logged."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading

import pytest
from fastapi import FastAPI, Request, Response

from activities.notify import SIGNATURE_HEADER
from sandboxes.serve import serve_in_thread
from tests.integration.conftest import Running, poll
from tests.integration.test_bad_input import error
from tests.integration.test_policy_api import put_order

pytestmark = pytest.mark.integration


@pytest.fixture
def receiver():
    """A merchant endpoint that fails its first delivery, then accepts."""
    app, seen, lock = FastAPI(), [], threading.Lock()

    @app.post("/hooks")
    async def hook(request: Request) -> Response:
        with lock:
            seen.append({"body": await request.body(), "signature": request.headers.get(SIGNATURE_HEADER)})
            first = len(seen) == 1
        return Response(status_code=500 if first else 200)

    url, stop = serve_in_thread(app)
    yield f"{url}/hooks", seen
    stop()


def verify(secret: str, body: bytes, header: str) -> bool:
    parts = dict(p.split("=", 1) for p in header.split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def test_refund_event_is_signed_retried_and_logged(running: Running, shop, receiver):
    run = running
    url, seen = receiver
    error(run.api.put("/v1/webhook-endpoint", json={"url": "ftp://example.com/x"}, headers=shop["merchant"]), 422)
    r = run.api.put("/v1/webhook-endpoint", json={"url": url}, headers=shop["merchant"])
    assert r.status_code == 200, r.text
    secret = r.json()["secret"]
    assert run.api.get("/v1/webhook-endpoint", headers=shop["merchant"]).json() == {"url": url, "secret": None}

    # Keep-the-item: the return settles at once, no parcel to wait for.
    run.api.put("/v1/policy", json={"keep_item_below": 1_000_000, "currency": "USD"}, headers=shop["merchant"])
    order_id = put_order(run, shop)
    body = {
        "order_id": order_id,
        "items": [{"line_id": "L1", "quantity": 1, "reason": "too_small"}],
        "resolution": "refund",
    }
    ret = run.api.post("/v1/returns", json=body, headers=shop["merchant"]).json()

    poll(lambda: len(seen), lambda n: n >= 2, 60, "the retried delivery")
    first, second = seen[0], seen[1]
    assert first["body"] == second["body"]  # the same event, redelivered
    assert verify(secret, second["body"], second["signature"])
    assert not verify("wrong-secret", second["body"], second["signature"])
    event = json.loads(second["body"])
    assert event["type"] == "return.refunded" and event["data"]["return_id"] == ret["id"]
    assert event["data"]["amount"] == 2500 and event["id"] == f"evt_{ret['id']}_return_refunded"

    log = poll(
        lambda: run.api.get(
            "/v1/webhook-deliveries", params={"event_id": event["id"]}, headers=shop["merchant"]
        ).json()["data"],
        lambda rows: len(rows) >= 2,
        30,
        "the delivery log",
    )
    assert [(d["attempt"], d["status_code"], d["delivered"]) for d in reversed(log)] == [
        (1, 500, False),
        (2, 200, True),
    ]
    others = run.api.get("/v1/webhook-deliveries", headers=run.merchant()).json()["data"]
    assert all(d["event_id"] != event["id"] for d in others)  # another merchant never sees these
