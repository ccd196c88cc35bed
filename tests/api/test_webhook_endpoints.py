"""The merchant's webhook API on the real app (no Temporal), SQLite and PostgreSQL: endpoints created, read,
changed, rotated and deleted; the test ping through a local receiver that verifies it; the delivery list and
its attempts; redelivery; the single endpoint of before; another merchant's ids answer as ids of nothing;
bad input is a JSON 4xx."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from activities.webhook_sender import WebhookSender
from db.seed import ensure_key, seed_merchant
from db.session import make_engine, session_scope
from db.tables import Merchant
from domain.notifications import EventType
from tests.activities.test_webhook_sender import Receiver, add, drain, running_receiver
from tests.api.alone import api_alone

KEYS = {s: f"rf_test_hooks_{s}_000000000000" for s in ("merchant", "warehouse", "ops", "read")}
A = {s: {"Authorization": f"Bearer {k}"} for s, k in KEYS.items()}
B = {"Authorization": "Bearer rf_test_hooks_other_merchant_0000"}


@pytest.fixture
def engine(database_url: str):
    engine = make_engine(database_url)
    seed_merchant(
        engine, merchant_id="hooks", name="Hooks", merchant_key=KEYS["merchant"], warehouse_key=KEYS["warehouse"]
    )
    seed_merchant(
        engine, merchant_id="other", name="Other", merchant_key=B["Authorization"][7:], warehouse_key="rf_w_x"
    )
    with session_scope(engine) as session:
        ensure_key(session, "hooks", "ops", KEYS["ops"])
        ensure_key(session, "hooks", "read", KEYS["read"])
    yield engine
    engine.dispose()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as rec:
        yield rec


@pytest.fixture
def client(engine, database_url: str) -> Iterator[TestClient]:
    with TestClient(api_alone(database_url)) as c:
        yield c


def error(r, status: int, code: str | None = None) -> dict:
    assert r.status_code == status, r.text
    body = r.json()["error"]
    assert code is None or body["code"] == code, body
    return body


def create(client: TestClient, url: str, **body) -> dict:
    r = client.post("/v1/webhook-endpoints", json={"url": url, **body}, headers=A["merchant"])
    assert r.status_code == 201, r.text
    return r.json()


def test_an_endpoint_is_created_read_changed_and_deleted(client: TestClient):
    made = create(client, "https://erp.example/hooks", events=["return.created", "refund.succeeded"], description="ERP")
    secret = made["secret"]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert (made["url"], made["events"], made["enabled"]) == (
        "https://erp.example/hooks",
        ["return.created", "refund.succeeded"],
        True,
    )
    read = client.get(f"/v1/webhook-endpoints/{made['id']}", headers=A["read"]).json()
    assert "secret" not in read and read["description"] == "ERP"
    assert [e["id"] for e in client.get("/v1/webhook-endpoints", headers=A["ops"]).json()["data"]] == [made["id"]]

    r = client.patch(
        f"/v1/webhook-endpoints/{made['id']}", json={"events": ["*"], "enabled": False}, headers=A["merchant"]
    )
    assert r.status_code == 200 and r.json()["events"] == ["*"] and not r.json()["enabled"], r.text
    r = client.patch(f"/v1/webhook-endpoints/{made['id']}", json={"enabled": True}, headers=A["merchant"])
    assert r.json()["enabled"] and r.json()["disabled_reason"] is None

    error(client.post("/v1/webhook-endpoints", json={"url": "https://x.example"}, headers=A["read"]), 403)
    error(client.delete(f"/v1/webhook-endpoints/{made['id']}", headers=A["ops"]), 403)
    assert client.delete(f"/v1/webhook-endpoints/{made['id']}", headers=A["merchant"]).status_code == 204
    error(client.get(f"/v1/webhook-endpoints/{made['id']}", headers=A["merchant"]), 404, "webhook_endpoint_not_found")


def test_bad_input_is_a_json_4xx_saying_what_is_wrong(client: TestClient):
    m = A["merchant"]
    error(client.post("/v1/webhook-endpoints", json={"url": "ftp://x.example/h"}, headers=m), 422, "invalid_request")
    error(client.post("/v1/webhook-endpoints", json={"url": "https://x.example", "events": []}, headers=m), 422)
    body = error(
        client.post(
            "/v1/webhook-endpoints", json={"url": "https://x.example", "events": ["return.created", "nope"]}, headers=m
        ),
        422,
        "unknown_events",
    )
    assert body["unknown"] == ["nope"] and "refund.succeeded" in body["known"]
    error(client.post("/v1/webhook-endpoints", json={"url": "https://x.example", "secret": "mine"}, headers=m), 422)
    made = create(client, "https://x.example/h")
    error(client.patch(f"/v1/webhook-endpoints/{made['id']}", json={"url": None}, headers=m), 422)
    error(client.patch(f"/v1/webhook-endpoints/{made['id']}", json={"events": ["webhook.ping"]}, headers=m), 422)
    rotate = f"/v1/webhook-endpoints/{made['id']}/rotate-secret"
    error(client.post(rotate, json={"overlap_hours": 169}, headers=m), 422)
    error(client.post(rotate, json={"overlap_hours": -1}, headers=m), 422)
    error(client.get("/v1/webhook-deliveries", params={"status": "lost"}, headers=m), 422, "invalid_status")
    error(client.post("/v1/webhook-deliveries/0/redeliver", headers=m), 422)
    error(client.get(f"/v1/webhook-deliveries/{2**40}/attempts", headers=m), 422)
    for _ in range(9):
        create(client, "https://x.example/h")
    body = error(client.post("/v1/webhook-endpoints", json={"url": "https://x.example"}, headers=m), 409)
    assert body["code"] == "too_many_webhook_endpoints" and body["limit"] == 10


def test_rotating_shows_a_new_secret_once_and_keeps_the_old_one_for_the_overlap(client: TestClient):
    made = create(client, "https://x.example/h")
    before = datetime.now(UTC)
    r = client.post(f"/v1/webhook-endpoints/{made['id']}/rotate-secret", json={}, headers=A["merchant"])
    assert r.status_code == 200, r.text
    rotated = r.json()
    assert rotated["secret"] != made["secret"] and rotated["secret"].startswith("whsec_")
    until = datetime.fromisoformat(rotated["previous_secret_until"])
    assert before + timedelta(hours=24) <= until <= datetime.now(UTC) + timedelta(hours=24)
    # Again within the overlap: refused, so the secret replaced first still signs until the time it was given.
    refused = client.post(f"/v1/webhook-endpoints/{made['id']}/rotate-secret", json={}, headers=A["merchant"])
    body = error(refused, 409, "rotation_in_progress")
    assert datetime.fromisoformat(body["until"]) == until and "secret" not in refused.text.replace(
        "secret replaced", ""
    )
    again = client.post(
        f"/v1/webhook-endpoints/{made['id']}/rotate-secret", json={"overlap_hours": 0}, headers=A["merchant"]
    ).json()
    assert again["previous_secret_until"] is None


def test_a_ping_is_sent_now_verified_and_logged(client: TestClient, receiver: Receiver):
    made = create(client, receiver.url, events=["refund.succeeded"])  # the ping goes whatever the filter
    receiver.secret = made["secret"]
    r = client.post("/v1/webhook-endpoint/test", json={"endpoint_id": made["id"]}, headers=A["merchant"])
    assert r.status_code == 200, r.text
    [result] = r.json()["results"]
    assert result["delivered"] and result["status_code"] == 200 and result["latency_ms"] >= 0
    [seen] = receiver.seen
    assert seen.verified and seen.event["type"] == "webhook.ping"
    assert seen.headers["webhook-id"] == r.json()["event_id"]

    [row] = client.get("/v1/webhook-deliveries", params={"endpoint_id": made["id"]}, headers=A["read"]).json()["data"]
    assert (row["event_type"], row["status"], row["attempts"], row["last_status_code"], row["url"]) == (
        "webhook.ping",
        "delivered",
        1,
        200,
        receiver.url,
    )
    attempts = client.get(f"/v1/webhook-deliveries/{row['id']}/attempts", headers=A["read"]).json()["data"]
    assert [(a["attempt"], a["status_code"], a["delivered"]) for a in attempts] == [(1, 200, True)]

    broken = create(client, receiver.url)
    r = client.post("/v1/webhook-endpoint/test", json={}, headers=A["merchant"])  # every endpoint
    results = {x["endpoint_id"]: x for x in r.json()["results"]}
    assert results[made["id"]]["delivered"] and not results[broken["id"]]["delivered"]
    assert results[broken["id"]]["status_code"] == 401  # signed with its own secret, not the one the receiver holds
    # A ping is a test, answered now: a failed one is not retried by the outbox, nor counted towards disabling.
    failed = client.get("/v1/webhook-deliveries", params={"endpoint_id": broken["id"]}, headers=A["read"]).json()
    assert [(d["event_type"], d["status"], d["attempts"]) for d in failed["data"]] == [("webhook.ping", "failed", 1)]
    error(client.post("/v1/webhook-endpoint/test", json={"endpoint_id": "we_nothing"}, headers=A["merchant"]), 404)
    error(client.post("/v1/webhook-endpoint/test", json={}, headers=B), 409, "no_webhook_endpoint")


def test_deliveries_are_listed_newest_first_filtered_and_paged_and_redelivered(
    client: TestClient, engine, receiver: Receiver
):
    made = create(client, receiver.url)
    receiver.secret = made["secret"]
    t0 = datetime.now(UTC)
    ids = [
        add(engine, "hooks", "r1", EventType.RETURN_CREATED, t0),
        add(engine, "hooks", "r1", EventType.RETURN_LABEL_CREATED, t0 + timedelta(seconds=1)),
        add(engine, "hooks", "r2", EventType.RETURN_CREATED, t0 + timedelta(seconds=2)),
    ]
    listed = client.get("/v1/webhook-deliveries", headers=A["read"]).json()["data"]
    assert [d["event_id"] for d in listed] == ids[::-1] and {d["status"] for d in listed} == {"pending"}
    assert [
        d["event_id"]
        for d in client.get("/v1/webhook-deliveries", params={"return_id": "r1"}, headers=A["read"]).json()["data"]
    ] == ids[1::-1]
    seen, cursor = [], None
    while True:
        page = client.get(
            "/v1/webhook-deliveries", params={"limit": 1, **({"cursor": cursor} if cursor else {})}, headers=A["read"]
        ).json()
        seen += [d["event_id"] for d in page["data"]]
        if not (cursor := page["next_cursor"]):
            break
    assert seen == ids[::-1]

    asyncio.run(drain(WebhookSender(engine), t0 + timedelta(seconds=3)))
    delivered = client.get("/v1/webhook-deliveries", params={"status": "delivered"}, headers=A["read"]).json()["data"]
    assert len(delivered) == 3 and all(d["next_attempt_at"] is None and d["delivered_at"] for d in delivered)

    first = delivered[-1]
    r = client.post(f"/v1/webhook-deliveries/{first['id']}/redeliver", headers=A["merchant"])
    assert r.status_code == 202 and r.json()["status"] == "pending" and r.json()["attempts"] == 1, r.text
    # Pending again (a sender may be posting it now): another redelivery is refused, it goes on its own.
    pending_again = client.post(f"/v1/webhook-deliveries/{first['id']}/redeliver", headers=A["merchant"])
    error(pending_again, 409, "delivery_pending")
    asyncio.run(drain(WebhookSender(engine), datetime.now(UTC) + timedelta(seconds=1)))
    assert receiver.ids(200).count(first["event_id"]) == 2  # the same webhook-id: the merchant can drop repeats
    again = client.get(f"/v1/webhook-deliveries/{first['id']}/attempts", headers=A["read"]).json()["data"]
    assert [a["attempt"] for a in again] == [1, 2]

    # Deleted: its pending deliveries are cancelled and nothing is redelivered to it.
    pending = add(engine, "hooks", "r3", EventType.RETURN_CREATED, t0)
    assert client.delete(f"/v1/webhook-endpoints/{made['id']}", headers=A["merchant"]).status_code == 204
    [gone] = client.get("/v1/webhook-deliveries", params={"event_id": pending}, headers=A["read"]).json()["data"]
    assert gone["status"] == "cancelled" and gone["url"] is None
    error(
        client.post(f"/v1/webhook-deliveries/{first['id']}/redeliver", headers=A["merchant"]),
        409,
        "webhook_endpoint_deleted",
    )


def test_another_merchants_endpoints_and_deliveries_are_ids_of_nothing(client: TestClient, engine, receiver):
    made = create(client, receiver.url)
    event_id = add(engine, "hooks", "r1", EventType.RETURN_CREATED, datetime.now(UTC))
    [d] = client.get("/v1/webhook-deliveries", headers=A["read"]).json()["data"]
    ep = f"/v1/webhook-endpoints/{made['id']}"
    for method, path, body in (
        ("GET", ep, None),
        ("PATCH", ep, {"enabled": False}),
        ("DELETE", ep, None),
        ("POST", f"{ep}/rotate-secret", {}),
        ("POST", f"/v1/webhook-deliveries/{d['id']}/redeliver", None),
        ("GET", f"/v1/webhook-deliveries/{d['id']}/attempts", None),
        ("POST", "/v1/webhook-endpoint/test", {"endpoint_id": made["id"]}),
    ):
        theirs = client.request(method, path, json=body, headers=B)
        nothing = client.request(
            method, path.replace(made["id"], "we_nothing").replace(f"/{d['id']}/", "/999999/"), json=body, headers=B
        )
        assert theirs.status_code == nothing.status_code == 404, (method, path, theirs.text)
        assert theirs.json()["error"]["code"] == nothing.json()["error"]["code"]
    assert client.get("/v1/webhook-endpoints", headers=B).json()["data"] == []
    assert client.get("/v1/webhook-deliveries", params={"event_id": event_id}, headers=B).json()["data"] == []
    still = client.get(ep, headers=A["read"]).json()
    assert still["enabled"] and still["url"] == receiver.url  # nothing B sent changed it


def test_the_single_endpoint_of_before_is_the_first_endpoint(client: TestClient, engine):
    m = A["merchant"]
    error(client.put("/v1/webhook-endpoint", json={"url": "ftp://x.example/h"}, headers=m), 422)
    assert client.get("/v1/webhook-endpoint", headers=A["read"]).json() == {"url": None, "secret": None}
    first = client.put("/v1/webhook-endpoint", json={"url": "https://a.example/h"}, headers=m).json()
    assert first["secret"].startswith("whsec_")
    assert client.get("/v1/webhook-endpoint", headers=A["read"]).json() == {
        "url": "https://a.example/h",
        "secret": None,
    }
    moved = client.put("/v1/webhook-endpoint", json={"url": "https://b.example/h"}, headers=m).json()
    assert moved["secret"] != first["secret"]
    [only] = client.get("/v1/webhook-endpoints", headers=A["read"]).json()["data"]
    assert (only["url"], only["events"]) == ("https://b.example/h", ["*"])
    with session_scope(engine) as session:  # returns started before the outbox still deliver the old way
        merchant = session.get(Merchant, "hooks")
        assert (merchant.webhook_url, merchant.webhook_secret) == ("https://b.example/h", moved["secret"])


def test_test_pings_are_limited_per_merchant(client: TestClient, receiver: Receiver):
    receiver.secret = create(client, receiver.url)["secret"]
    sent = [client.post("/v1/webhook-endpoint/test", json={}, headers=A["merchant"]) for _ in range(11)]
    assert [r.status_code for r in sent[:10]] == [200] * 10
    error(sent[10], 429, "too_many_pings")
    assert len(receiver.seen) == 10  # the eleventh made no request
    error(client.post("/v1/webhook-endpoint/test", json={}, headers=B), 409, "no_webhook_endpoint")  # B's own count
