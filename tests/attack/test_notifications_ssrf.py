"""Attack: a merchant key points a webhook endpoint at our own network (SSRF) and reads it through the test ping.

`POST /v1/webhook-endpoints` takes any http(s) URL (api/schemas/merchant_webhooks.py `Url`): loopback, the cloud
metadata address 169.254.169.254, RFC 1918 ranges, our own PostgreSQL port. The sender posts there
(activities/webhook_sender.py `_post`, no address check), and `POST /v1/webhook-endpoint/test` answers at once with
what the target said: the first 200 characters of a non-2xx body (`_answer`), and an error text that tells an
open non-HTTP port (RemoteProtocolError) from a closed one (ConnectError). That is an internal port scanner and a
reader of internal services' error pages for anyone holding a merchant key. The same text lands in the delivery
log (`last_error`) for the drain's attempts.

Closed: an exposed deployment refuses private, loopback, link-local and reserved targets when the URL is saved
and before every attempt (activities/webhook_targets.py), connects to the address it checked, shows an answer's
body only from a public endpoint and names a network failure by its kind only. These tests run the API as an
exposed deployment does (`webhook_private_targets=False`).

A serious product refuses private, loopback, link-local and reserved targets (checked on the resolved address at
send time too, against DNS rebinding) unless a setting allows them for local development, and does not echo a
failed answer's body or the transport error's class back to the caller.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from sandboxes.serve import serve_in_thread
from tests.api.alone import api_alone
from tests.api.test_webhook_endpoints import A, engine  # noqa: F401 - the fixture
from tests.conftest import free_port

INTERNAL_SECRET = "internal-admin-token-7f3a9c"


@pytest.fixture
def client(engine, database_url: str) -> Iterator[TestClient]:  # noqa: F811
    """The API of an exposed deployment (the attack's setting): private webhook targets are not allowed."""
    with TestClient(api_alone(database_url, webhook_private_targets=False)) as c:
        yield c


@pytest.fixture
def allowing_client(engine, database_url: str) -> Iterator[TestClient]:  # noqa: F811
    """Private targets allowed (make run, an on-premises install): the loopback receivers below are reachable."""
    with TestClient(api_alone(database_url, webhook_private_targets=True)) as c:
        yield c


@pytest.fixture
def internal_service() -> Iterator[str]:
    """Something only reachable from inside: an admin page that answers 403 with a secret in its body."""

    async def admin(request: Request) -> PlainTextResponse:
        return PlainTextResponse(f"forbidden; token={INTERNAL_SECRET}", status_code=403)

    url, stop = serve_in_thread(Starlette(routes=[Route("/admin", admin, methods=["POST"])]))
    try:
        yield f"{url}/admin"
    finally:
        stop()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:5432/",  # our PostgreSQL
        "http://localhost:7233/",  # Temporal
        "http://169.254.169.254/latest/meta-data/iam/",  # cloud metadata
        "http://10.0.0.5/",
        "http://192.168.1.1/admin",
        "http://[::1]:8000/v1/ops",
        "http://0x7f.1/",  # 127.0.0.1 spelled differently
    ],
)
def test_a_webhook_endpoint_on_our_own_network_is_refused(client: TestClient, url: str):  # noqa: F811
    r = client.post("/v1/webhook-endpoints", json={"url": url}, headers=A["merchant"])
    assert r.status_code == 422, r.text


def test_the_ping_does_not_read_an_internal_services_answer_back(client: TestClient, internal_service: str):  # noqa: F811
    made = client.post("/v1/webhook-endpoints", json={"url": internal_service}, headers=A["merchant"])
    if made.status_code == 422:  # refused up front: the hole is closed
        return
    ping = client.post("/v1/webhook-endpoint/test", json={"endpoint_id": made.json()["id"]}, headers=A["merchant"])
    assert INTERNAL_SECRET not in ping.text
    log = client.get("/v1/webhook-deliveries", params={"endpoint_id": made.json()["id"]}, headers=A["merchant"])
    assert INTERNAL_SECRET not in log.text


def test_the_ping_is_no_port_scanner(client: TestClient):  # noqa: F811
    listening = socket.socket()  # an open port that speaks no HTTP (like PostgreSQL or Temporal's gRPC)
    listening.bind(("127.0.0.1", 0))
    listening.listen(8)
    open_port, closed_port = listening.getsockname()[1], free_port()
    try:
        answers = []
        for port in (open_port, closed_port):
            made = client.post(
                "/v1/webhook-endpoints", json={"url": f"http://127.0.0.1:{port}/"}, headers=A["merchant"]
            )
            if made.status_code == 422:  # refused up front: the hole is closed
                return
            ping = client.post(
                "/v1/webhook-endpoint/test", json={"endpoint_id": made.json()["id"]}, headers=A["merchant"]
            )
            answers.append(ping.json()["results"][0]["error"])
        # The caller learns only that the attempt failed, not how (open-and-not-HTTP vs refused).
        assert answers[0] == answers[1], answers
    finally:
        listening.close()


def test_a_redirect_to_an_internal_target_is_not_followed(allowing_client: TestClient, internal_service: str):
    """Held: the sender does not follow redirects (a 3xx is a failed attempt), so an endpoint cannot bounce the
    request on to an internal address after passing any check of its own URL."""
    hits: list[str] = []

    async def bounce(request: Request) -> PlainTextResponse:
        hits.append("bounce")
        return PlainTextResponse("", status_code=307, headers={"location": internal_service})

    url, stop = serve_in_thread(Starlette(routes=[Route("/hooks", bounce, methods=["POST"])]))
    try:
        made = allowing_client.post("/v1/webhook-endpoints", json={"url": f"{url}/hooks"}, headers=A["merchant"])
        ping = allowing_client.post(
            "/v1/webhook-endpoint/test", json={"endpoint_id": made.json()["id"]}, headers=A["merchant"]
        )
    finally:
        stop()
    [result] = ping.json()["results"]
    assert hits == ["bounce"] and (result["delivered"], result["status_code"]) == (False, 307)
    assert INTERNAL_SECRET not in ping.text


def test_where_private_targets_are_allowed_the_ping_still_reads_no_internal_answer(
    allowing_client: TestClient, internal_service: str
):
    """An install that allows private targets (its ERP on the private network) is not a reader of the internal
    services either: only a public endpoint's failed answer is shown, so an internal one reads `HTTP 403`."""
    made = allowing_client.post("/v1/webhook-endpoints", json={"url": internal_service}, headers=A["merchant"])
    endpoint_id = made.json()["id"]
    ping = allowing_client.post("/v1/webhook-endpoint/test", json={"endpoint_id": endpoint_id}, headers=A["merchant"])
    [result] = ping.json()["results"]
    assert (result["delivered"], result["status_code"], result["error"]) == (False, 403, "HTTP 403")
    log = allowing_client.get("/v1/webhook-deliveries", params={"endpoint_id": endpoint_id}, headers=A["merchant"])
    assert log.json()["data"][0]["last_error"] == "HTTP 403" and INTERNAL_SECRET not in log.text
