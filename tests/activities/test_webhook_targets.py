"""A merchant's webhook may not make our servers call our own network: on an exposed deployment every address
the endpoint's host resolves to must be public, checked when the URL is saved and before every attempt."""

from __future__ import annotations

import socket
import threading
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from activities.webhook_sender import MAX_ERROR, WebhookSender, _answer, _start_of
from activities.webhook_targets import is_public, pinned, refusal
from db import webhook_endpoints as endpoints
from db.session import session_scope
from db.tables import EventDelivery
from db.webhook_deliveries import add_ping
from domain.notifications import EventType
from settings import Settings
from tests.activities.test_webhook_sender import T0, add, make_endpoint
from tests.api.alone import api_alone
from tests.api.test_webhook_endpoints import A, engine, receiver  # noqa: F401 (fixtures)
from tests.conftest import free_port
from tests.factories import new_merchant

PRIVATE = [
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # a cloud's metadata service
    "100.64.0.1",  # carrier-grade NAT
    "0.0.0.0",
    "::1",
    "fc00::1",
    "fe80::1",
    "::ffff:127.0.0.1",  # loopback written as IPv6
    "224.0.0.1",
    "not an address",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo: the IPv4 inside is obfuscated, so refused outright
    "64:ff9b:1::808:808",  # local-use NAT64: refused outright
    "::",
]


@pytest.mark.parametrize("address", PRIVATE)
def test_private_loopback_and_link_local_addresses_are_not_public(address):
    assert not is_public(address)


@pytest.mark.parametrize(
    "address",
    [
        "93.184.216.34",
        "2606:2800:220:1:248:1893:25c8:1946",
        "8.8.8.8",
        "64:ff9b::808:808",  # NAT64, 6to4 and IPv4-compatible spellings of a public IPv4 address stay public
        "2002:808:808::1",
        "::808:808",
        "2001:4860:4860::8888",  # in 2001::/23 but not Teredo's 2001::/32
    ],
)
def test_internet_addresses_are_public(address):
    assert is_public(address)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:5432/",
        "http://localhost:7233/",  # a name that resolves to loopback
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:8000/v1/admin",
        "http://[::ffff:7f00:1]/",
        "http://10.0.0.5/hooks",
        "ftp://93.184.216.34/",
        "http://no-such-host.invalid/hooks",
    ],
)
async def test_a_url_into_our_own_network_is_refused(url):
    assert await refusal(url)


async def test_a_url_on_a_public_address_is_allowed():
    assert await refusal("https://93.184.216.34:8443/hooks") is None


def test_only_an_exposed_deployment_refuses_private_targets_unless_told():
    assert Settings().allows_private_webhook_targets  # make run, the tests
    assert not Settings(public_base_url="https://returns.example.com").allows_private_webhook_targets
    assert Settings(
        public_base_url="https://returns.example.com", webhook_private_targets=True
    ).allows_private_webhook_targets


def test_the_api_refuses_to_save_a_private_endpoint_where_they_are_not_allowed(engine, database_url):  # noqa: F811
    with TestClient(api_alone(database_url, webhook_private_targets=False)) as client:
        for url in ("http://127.0.0.1:5432/", "http://169.254.169.254/latest"):
            r = client.post("/v1/webhook-endpoints", json={"url": url}, headers=A["merchant"])
            assert r.status_code == 422 and r.json()["error"]["code"] == "endpoint_not_public", r.text
            r = client.put("/v1/webhook-endpoint", json={"url": url}, headers=A["merchant"])
            assert r.status_code == 422 and r.json()["error"]["code"] == "endpoint_not_public", r.text
        assert client.get("/v1/webhook-endpoints", headers=A["merchant"]).json()["data"] == []


async def test_the_sender_does_not_call_a_private_endpoint_saved_before(engine, receiver):  # noqa: F811
    make_endpoint(engine, "hooks", receiver)  # saved while allowed (or a name that resolves elsewhere now)
    add(engine, "hooks", "r1", EventType.RETURN_CREATED)
    assert await WebhookSender(engine, allow_private=False).deliver_due(T0) == 1
    assert receiver.seen == []
    with session_scope(engine) as session:
        [d] = session.exec(select(EventDelivery).where(EventDelivery.endpoint_id.is_not(None)))
    assert d.status == "pending" and d.attempts == 1 and "not a public internet address" in d.last_error


async def test_only_the_start_of_a_failed_answer_is_read_out():
    long = httpx.Response(500, text="no: " + "x" * 500 + "\x00\x1b[31m")
    start = await _start_of(long)
    assert len(start) == MAX_ERROR
    shown = _answer(500, start)
    assert shown.startswith("HTTP 500: no: xxx") and len(shown) <= len("HTTP 500: ") + MAX_ERROR
    assert _answer(500, b"") == "HTTP 500"
    assert _answer(500, b"bad\x00\x1b[31m") == "HTTP 500: bad[31m"


async def test_a_network_failure_says_what_kind_never_the_exception_text(engine):  # noqa: F811
    """An open port that speaks no HTTP and a closed one read the same: the log is no port scanner."""
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen(8)

    def hang_up() -> None:  # accept and close at once, as a non-HTTP service does on a bad handshake
        conn, _ = listening.accept()
        conn.close()

    thread = threading.Thread(target=hang_up, daemon=True)
    thread.start()
    try:
        merchant_id, _, _ = new_merchant(engine)
        errors = []
        for port in (listening.getsockname()[1], free_port()):
            with session_scope(engine) as session:
                made = endpoints.create_endpoint(session, merchant_id, f"http://127.0.0.1:{port}/", None, None, T0)
                ids = add_ping(session, merchant_id, made.id, T0, timedelta(minutes=1))
            sent = await WebhookSender(engine, timeout_seconds=2).send_now(ids, T0)
            errors.append(sent[0][1].error)
        assert errors == ["connection failed", "connection failed"], errors
    finally:
        listening.close()
        thread.join(timeout=5)


def test_a_pinned_request_goes_to_the_checked_address_under_the_urls_own_name():
    url, headers, extensions = pinned("https://erp.example:8443/hooks?x=1", "93.184.216.34")
    assert str(url) == "https://93.184.216.34:8443/hooks?x=1"
    assert headers == {"host": "erp.example:8443"} and extensions == {"sni_hostname": "erp.example"}
    url, headers, extensions = pinned("http://erp.example/hooks", "2606:2800:220:1:248:1893:25c8:1946")
    assert str(url) == "http://[2606:2800:220:1:248:1893:25c8:1946]/hooks"
    assert headers == {"host": "erp.example"} and extensions == {}


async def test_an_unknown_name_and_a_private_address_are_refused_in_the_same_words():
    """Which internal host names exist is not for a merchant to learn from our answers."""
    assert await refusal("http://no-such-host.invalid/hooks") == await refusal("http://10.0.0.5/hooks")
