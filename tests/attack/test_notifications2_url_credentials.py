"""Attack: a webhook URL's credentials (https://user:password@host/) are read back by any read-only key.

An endpoint URL may carry userinfo: the sender then authenticates with HTTP Basic (httpx takes it from the
URL; activities/webhook_targets.py `pinned` keeps it out of the Host header, which holds). It is the one way a
merchant's ERP that wants a password can be given one. But the URL is echoed whole by every GET of the
webhook routes, which `read` and `ops` keys may call (api/deps.py Reader): GET /v1/webhook-endpoints and
GET /v1/webhook-deliveries (`url`), and it is copied into every attempt's log row (webhook_deliveries.url).
The signing secret is shown once, on purpose; the ERP's password is shown forever to a key handed to a BI
tool or a support agent.

A fix: store the URL as given but show it with the password masked (`https://user:***@host/`) in every
answer and in the attempt log; or refuse userinfo (422) and document a header-based alternative.
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


@pytest.mark.xfail(strict=True, reason="hole: a URL's password is shown to read-only keys")
def test_a_read_key_does_not_see_the_password_in_an_endpoint_url(client):
    r = client.post(
        "/v1/webhook-endpoints",
        json={"url": f"https://erp:{PASSWORD}@erp.example/hooks", "events": ["*"]},
        headers=A["merchant"],
    )
    assert r.status_code == 201, r.text
    listed = client.get("/v1/webhook-endpoints", headers=A["read"])
    assert listed.status_code == 200
    assert PASSWORD not in listed.text
