"""Bad input gets a clear 4xx with a JSON error body, and changes nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid

import pytest

from db.seed import seed_merchant
from db.session import make_engine
from tests.integration.conftest import Running, poll
from tests.integration.test_end_to_end import (
    advance,
    create_return,
    get_return,
    labels_for,
    new_order,
    wait_status,
)

pytestmark = pytest.mark.integration


def error(r, status: int, code: str | None = None) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code:
        assert body["error"]["code"] == code, body
    return body["error"]


def return_count(run: Running) -> int:
    return len(run.api.get("/v1/returns", params={"limit": 100}, headers=run.merchant()).json()["data"])


def sign(body: bytes, secret: str) -> str:
    return "hmac-sha256-hex=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_healthz_answers_when_db_and_temporal_are_up(running: Running):
    r = running.api.get("/healthz")
    assert r.status_code == 200 and r.json()["checks"] == {"database": "ok", "temporal": "ok"}


def test_keys_missing_wrong_or_of_the_wrong_scope(running: Running):
    run = running
    error(run.api.get("/v1/returns"), 401, "unauthorized")
    error(run.api.get("/v1/returns", headers={"Authorization": "Bearer nope"}), 401, "unauthorized")
    error(run.api.get("/v1/returns", headers={"Authorization": "Basic abc"}), 401, "unauthorized")
    error(run.api.get("/v1/returns", headers=run.warehouse()), 403, "forbidden")
    error(run.api.post("/v1/warehouse/receipts", json={"return_id": "x"}, headers=run.merchant()), 403, "forbidden")


def test_malformed_or_invalid_return_requests(running: Running):
    run = running
    order_id = new_order(run)
    before = return_count(run)
    r = run.api.post(
        "/v1/returns", content=b'{"order_id": "x", ', headers={**run.merchant(), "Content-Type": "application/json"}
    )
    error(r, 400, "malformed_json")
    r = run.api.post(
        "/v1/returns", json={"order_id": order_id, "items": [], "resolution": "refund"}, headers=run.merchant()
    )
    assert "items" in error(r, 422, "invalid_request")["message"]
    r = run.api.post(
        "/v1/returns",
        json={
            "order_id": order_id,
            "items": [{"line_id": "L1", "quantity": 1, "reason": "bored"}],
            "resolution": "refund",
        },
        headers=run.merchant(),
    )
    assert "items[0].reason" in error(r, 422, "invalid_request")["message"]
    r = run.api.post(
        "/v1/returns",
        json={
            "order_id": "no-such-order",
            "items": [{"line_id": "L1", "quantity": 1, "reason": "too_small"}],
            "resolution": "refund",
        },
        headers=run.merchant(),
    )
    error(r, 404, "order_not_found")
    r = run.api.post(
        "/v1/returns",
        json={
            "order_id": order_id,
            "items": [{"line_id": "L9", "quantity": 1, "reason": "too_small"}],
            "resolution": "refund",
        },
        headers=run.merchant(),
    )
    assert error(r, 422, "invalid_items")["details"][0]["field"] == "items[0].line_id"
    r = run.api.post(
        "/v1/returns",
        json={
            "order_id": order_id,
            "items": [{"line_id": "L1", "quantity": 3, "reason": "too_small"}],
            "resolution": "refund",
        },
        headers=run.merchant(),
    )
    assert "bought 2" in error(r, 422, "invalid_items")["message"]
    assert return_count(run) == before


def test_idempotency_key_reused_with_another_body_is_409(running: Running):
    run = running
    order_id = new_order(run)
    key = f"idem-{uuid.uuid4().hex}"
    first = create_return(run, order_id, key)
    body = {
        "order_id": order_id,
        "items": [{"line_id": "L1", "quantity": 1, "reason": "too_large"}],
        "resolution": "refund",
    }
    error(
        run.api.post("/v1/returns", json=body, headers={**run.merchant(), "Idempotency-Key": key}),
        409,
        "idempotency_conflict",
    )
    assert len(labels_for(run, first["id"])) == 1


def test_quantity_already_in_an_open_return_cannot_be_returned_again(running: Running):
    run = running
    order_id = new_order(run)
    create_return(run, order_id)
    r = run.api.post(
        "/v1/returns",
        json={
            "order_id": order_id,
            "items": [{"line_id": "L1", "quantity": 1, "reason": "too_small"}],
            "resolution": "refund",
        },
        headers=run.merchant(),
    )
    assert "0 left to return" in error(r, 422, "invalid_items")["message"]


def test_another_merchants_return_is_not_found(running: Running):
    run = running
    ret = create_return(run, new_order(run))
    other_key = f"rf_test_other_{uuid.uuid4().hex}"
    engine = make_engine(run.settings.database_url)
    seed_merchant(
        engine,
        merchant_id=f"other-{uuid.uuid4().hex[:6]}",
        name="Other",
        merchant_key=other_key,
        warehouse_key=f"rf_test_otherwh_{uuid.uuid4().hex}",
    )
    engine.dispose()
    other = {"Authorization": f"Bearer {other_key}"}
    for path in (f"/v1/returns/{ret['id']}", f"/v1/returns/{ret['id']}/timeline"):
        error(run.api.get(path, headers=other), 404, "return_not_found")
    error(run.api.post(f"/v1/returns/{ret['id']}/cancel", headers=other), 404, "return_not_found")
    assert get_return(run, ret["id"])["status"] == "label_created"
    assert other_key not in json.dumps(run.api.get("/v1/returns", headers=other).json())


def test_webhook_signature_size_and_unknown_trackers(running: Running):
    run = running
    secret = run.settings.easypost_webhook_secret.get_secret_value()
    event = {
        "id": f"evt_{uuid.uuid4().hex}",
        "object": "Event",
        "description": "tracker.updated",
        "result": {"id": "trk_unknown", "object": "Tracker", "tracking_code": "EZ_NOBODY", "status": "in_transit"},
    }
    body = json.dumps(event).encode()
    error(run.api.post("/v1/webhooks/easypost", content=body), 401, "bad_signature")
    error(
        run.api.post("/v1/webhooks/easypost", content=body, headers={"X-Hmac-Signature": sign(body, "wrong")}),
        401,
        "bad_signature",
    )
    r = run.api.post("/v1/webhooks/easypost", content=body, headers={"x-hmac-signature": sign(body, secret)})
    assert r.status_code == 200 and r.json()["return_id"] is None  # recorded, matched nothing
    big = b'{"id": "evt_big", "pad": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    error(run.api.post("/v1/webhooks/easypost", content=big, headers={"X-Hmac-Signature": sign(big, secret)}), 413)


def test_inspection_and_cancel_in_the_wrong_state(running: Running):
    run = running
    ret = create_return(run, new_order(run))
    inspect = {"items": [{"line_id": "L1", "grade": "A"}]}
    error(
        run.api.post(f"/v1/returns/{ret['id']}/inspection", json=inspect, headers=run.warehouse()), 409, "wrong_state"
    )
    advance(run, ret["label"]["tracking_code"], "in_transit")
    wait_status(run, ret["id"], "in_transit")
    error(run.api.post(f"/v1/returns/{ret['id']}/cancel", headers=run.merchant()), 409, "wrong_state")
    run.api.post("/v1/warehouse/receipts", json={"return_id": ret["id"]}, headers=run.warehouse())
    wait_status(run, ret["id"], "received")
    bad = {"items": [{"line_id": "L7", "grade": "A"}]}
    error(run.api.post(f"/v1/returns/{ret['id']}/inspection", json=bad, headers=run.warehouse()), 422, "unknown_line")
    error(
        run.api.post(
            f"/v1/returns/{ret['id']}/inspection",
            json={"items": [{"line_id": "L1", "grade": "Z"}]},
            headers=run.warehouse(),
        ),
        422,
        "invalid_request",
    )
    assert get_return(run, ret["id"])["status"] == "received"


def test_cancel_voids_the_label_and_a_receipt_after_it_is_refused(running: Running):
    run = running
    ret = create_return(run, new_order(run))
    r = run.api.post(f"/v1/returns/{ret['id']}/cancel", json={"reason": "changed my mind"}, headers=run.merchant())
    assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text
    poll(
        lambda: labels_for(run, ret["id"])[0]["refund_status"],
        lambda s: s in ("submitted", "refunded"),
        30,
        "label void",
    )
    wait_status(run, ret["id"], "cancelled")
    refused = error(
        run.api.post("/v1/warehouse/receipts", json={"return_id": ret["id"]}, headers=run.warehouse()),
        409,
        "wrong_state",
    )
    assert refused["return_status"] == "cancelled" and "cancelled" in refused["message"]
    error(run.api.post(f"/v1/returns/{ret['id']}/cancel", headers=run.merchant()), 409, "wrong_state")
