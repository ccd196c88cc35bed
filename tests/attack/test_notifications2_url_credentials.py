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
