"""POST /v1/webhooks/easypost against issue 3's contract, on the API alone (real SQLite, no Temporal).

Signed like EasyPost signs (the SDK's validate_webhook checks it); none of these events concerns a
return, so nothing is signalled and no Temporal server is needed.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from db.session import make_engine
from db.tables import CarrierEventRecord
from sandboxes.easypost.webhooks import sign
from settings import DEV_WEBHOOK_SECRET, Settings
from tests.api.alone import api_alone

URL = "/v1/webhooks/easypost"
MAX_BODY = Settings().max_request_body_bytes  # the limit on every request body, this endpoint's too


@pytest.fixture
def client(sqlite_url: str) -> Iterator[TestClient]:
    app = api_alone(sqlite_url)
    with TestClient(app) as c:
        yield c


def recorded(sqlite_url: str, event_id: str) -> CarrierEventRecord | None:
    engine = make_engine(sqlite_url)
    try:
        with Session(engine) as session:
            return session.get(CarrierEventRecord, event_id)
    finally:
        engine.dispose()


def event(result: object = None, description: str = "refund.successful", **extra: object) -> dict:
    body = {
        "id": f"evt_{uuid.uuid4().hex}",
        "object": "Event",
        "mode": "test",
        "description": description,
        "previous_attributes": {},
        "status": "pending",
        **extra,
    }
    if result is not None:
        body["result"] = result
    return body


def post(client: TestClient, body: bytes, header: str = "X-Hmac-Signature", secret: str = DEV_WEBHOOK_SECRET):
    return client.post(URL, content=body, headers={header: sign(body, secret), "Content-Type": "application/json"})


REFUND = {
    "id": f"rfnd_{'a' * 32}",
    "object": "Refund",
    "tracking_code": "9400100000000000000000",
    "confirmation_number": None,
    "status": "refunded",
    "carrier": "USPS",
    "shipment_id": f"shp_{'b' * 32}",
    "created_at": "2025-03-07T16:46:20Z",
    "updated_at": "2025-03-07T16:46:20Z",
}


def test_a_refund_event_is_recorded_once_and_answered_2xx(client: TestClient, sqlite_url: str):
    evt = event(REFUND)
    body = json.dumps(evt).encode()
    r = post(client, body)
    assert r.status_code == 200, r.text
    assert r.json() == {"received": True, "duplicate": False, "return_id": None}
    row = recorded(sqlite_url, evt["id"])
    assert row is not None and row.description == "refund.successful" and row.payload == evt
    # Not a tracker: no tracking fields, nothing signalled.
    assert (row.tracker_id, row.tracking_code, row.tracking_status, row.signalled) == (None, None, None, False)
    again = post(client, body)  # EasyPost delivers at least once
    assert again.status_code == 200 and again.json()["duplicate"] is True


@pytest.mark.parametrize(
    "result",
    [
        {"id": f"batch_{'c' * 32}", "object": "Batch", "state": "purchased", "shipments": []},
        {"object": "Tracker", "id": 12, "tracking_code": ["x"], "status": {"odd": True}, "status_detail": 3},
        ["not", "an", "object"],
        "a string",
        7,
        None,  # no result at all (events listed over the API come without one)
    ],
    ids=["batch", "tracker-with-odd-types", "list", "string", "number", "none"],
)
def test_any_other_result_is_recorded_and_answered_2xx(client: TestClient, sqlite_url: str, result: object):
    evt = event(result, description="batch.updated")
    r = post(client, json.dumps(evt).encode())
    assert r.status_code == 200, r.text
    assert r.json()["duplicate"] is False and r.json()["return_id"] is None
    assert recorded(sqlite_url, evt["id"]).payload == evt


@pytest.mark.parametrize("header", ["X-Hmac-Signature", "x-hmac-signature", "X-HMAC-SIGNATURE", "x-HmAc-sIgNaTuRe"])
def test_the_signature_header_is_read_case_insensitively(client: TestClient, header: str):
    r = post(client, json.dumps(event(REFUND)).encode(), header=header)
    assert r.status_code == 200, r.text


def test_missing_or_wrong_signatures_are_401(client: TestClient, sqlite_url: str):
    evt = event(REFUND)
    body = json.dumps(evt).encode()
    missing = client.post(URL, content=body)
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "bad_signature"
    wrong = post(client, body, secret="not-the-secret")
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "bad_signature"
    tampered = client.post(
        URL,
        content=body.replace(b"refunded", b"rejected"),
        headers={"X-Hmac-Signature": sign(body, DEV_WEBHOOK_SECRET)},
    )
    assert tampered.status_code == 401
    assert recorded(sqlite_url, evt["id"]) is None


def padded(size: int) -> tuple[dict, bytes]:
    """A signed-able event whose JSON body is exactly `size` bytes."""
    evt = event(REFUND, pad="")
    base = len(json.dumps(evt).encode())
    evt["pad"] = "x" * (size - base)
    body = json.dumps(evt).encode()
    assert len(body) == size
    return evt, body


def test_one_megabyte_is_accepted_and_one_byte_more_is_413(client: TestClient, sqlite_url: str):
    evt, body = padded(MAX_BODY)
    assert MAX_BODY == 1024 * 1024
    r = post(client, body)
    assert r.status_code == 200, r.text
    assert recorded(sqlite_url, evt["id"]) is not None

    evt, body = padded(MAX_BODY + 1)
    r = post(client, body)  # Content-Length says so: refused before reading
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"
    assert recorded(sqlite_url, evt["id"]) is None


def test_a_streamed_body_over_one_megabyte_is_413(client: TestClient, sqlite_url: str):
    evt, body = padded(MAX_BODY + 64 * 1024)

    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
        for i in range(0, len(body), 64 * 1024):
            yield body[i : i + 64 * 1024]

    r = client.post(URL, content=chunks(), headers={"X-Hmac-Signature": sign(body, DEV_WEBHOOK_SECRET)})
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"
    assert recorded(sqlite_url, evt["id"]) is None


def test_events_that_are_not_events_are_refused_with_json(client: TestClient):
    for body, status, code in [
        (b"not json", 400, "malformed_json"),
        (b"[1, 2]", 422, "invalid_event"),
        (json.dumps({"object": "Event"}).encode(), 422, "invalid_event"),
        (json.dumps({"id": "evt_" + "f" * 100, "result": REFUND}).encode(), 422, "invalid_event"),
    ]:
        r = post(client, body)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), (body[:40], r.text)
