"""Attack: a webhook URL's credentials (https://user:password@host/) are read back by any read-only key.

An endpoint URL may carry userinfo: the sender then authenticates with HTTP Basic (httpx takes it from the
URL; activities/webhook_targets.py `pinned` keeps it out of the Host header, which holds). It is the one way a
merchant's ERP that wants a password can be given one. But the URL is echoed whole by every GET of the
webhook routes, which `read` and `ops` keys may call (api/deps.py Reader): GET /v1/webhook-endpoints and
GET /v1/webhook-deliveries (`url`), and it is copied into every attempt's log row (webhook_deliveries.url).
The signing secret is shown once, on purpose; the ERP's password is shown forever to a key handed to a BI
tool or a support agent.

Fixed by refusing userinfo (422 endpoint_credentials_in_url) wherever the URL is set; docs/webhooks.md says to
verify the signature instead.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from db import webhook_endpoints as endpoints
from db.session import session_scope
from db.tables import WebhookDelivery
from tests.activities.test_webhook_sender import T0
from tests.api.alone import api_alone
from tests.api.test_webhook_endpoints import A, engine  # noqa: F401 - the fixture

PASSWORD = "erp-basic-auth-pw-93f1c2"


@pytest.fixture
def client(engine, database_url: str) -> Iterator[TestClient]:  # noqa: F811
    with TestClient(api_alone(database_url)) as c:
        yield c


def _refused(r) -> None:
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "endpoint_credentials_in_url" and "signature" in error["message"]
    assert PASSWORD not in r.text  # not even echoed back in the refusal


def test_a_password_in_an_endpoint_url_is_refused_so_no_read_key_can_see_it(client):
    """The promise chosen: userinfo is refused (422) when the URL is set by POST, PATCH or PUT, so no answer and
    no attempt log ever holds it; the merchant verifies our signature instead."""
    url = f"https://erp:{PASSWORD}@erp.example/hooks"
    _refused(client.post("/v1/webhook-endpoints", json={"url": url, "events": ["*"]}, headers=A["merchant"]))
    _refused(client.put("/v1/webhook-endpoint", json={"url": url}, headers=A["merchant"]))
    made = client.post("/v1/webhook-endpoints", json={"url": "https://erp.example/hooks"}, headers=A["merchant"])
    assert made.status_code == 201, made.text
    patch = client.patch(f"/v1/webhook-endpoints/{made.json()['id']}", json={"url": url}, headers=A["merchant"])
    _refused(patch)
    _refused(client.post("/v1/webhook-endpoints", json={"url": "https://erp@erp.example/hooks"}, headers=A["merchant"]))
    listed = client.get("/v1/webhook-endpoints", headers=A["read"])
    assert listed.status_code == 200
    assert [e["url"] for e in listed.json()["data"]] == ["https://erp.example/hooks"]


def test_a_password_in_a_url_saved_before_the_refusal_is_masked_in_every_answer_and_the_log(client, engine):  # noqa: F811
    """Endpoints saved before userinfo was refused keep working, but their password is never shown or logged."""
    with session_scope(engine) as session:
        row = endpoints.create_endpoint(session, "hooks", f"http://erp:{PASSWORD}@127.0.0.1:9/hooks", None, None, T0)
    assert PASSWORD not in client.get("/v1/webhook-endpoints", headers=A["read"]).text
    assert PASSWORD not in client.get(f"/v1/webhook-endpoints/{row.id}", headers=A["read"]).text
    ping = client.post("/v1/webhook-endpoint/test", json={"endpoint_id": row.id}, headers=A["merchant"])
    assert ping.status_code == 200 and PASSWORD not in ping.text, ping.text
    listed = client.get("/v1/webhook-deliveries", headers=A["read"])
    assert "erp:***@127.0.0.1:9" in listed.text and PASSWORD not in listed.text
    with session_scope(engine) as session:
        logged = [r.url for r in session.exec(select(WebhookDelivery)).all()]
    assert logged and all(PASSWORD not in url for url in logged), logged
