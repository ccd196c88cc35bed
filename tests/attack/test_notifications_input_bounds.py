"""Attack: a NUL character in a query parameter of `GET /v1/webhook-deliveries` is a 500 on PostgreSQL.

`endpoint_id`, `event_id` and `return_id` are bounded in length only (api/routers/merchant_webhooks.py
`list_deliveries`) and go straight into the query (db/webhook_deliveries.py `delivery_rows`); psycopg refuses a NUL
in a text parameter ("PostgreSQL text fields cannot contain NUL (0x00) bytes"), so any read key turns each request
into a 500 with a traceback in the log. SQLite takes the same input fine (an empty list), so only PostgreSQL shows it.
Fixed: these query filters take the path ids' pattern (domain.validation ID_PATTERN): a 422 on either database.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.alone import api_alone
from tests.api.test_webhook_endpoints import A, engine  # noqa: F401 - the fixture


@pytest.fixture
def client(engine, database_url: str):  # noqa: F811
    with TestClient(api_alone(database_url), raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("name", ["endpoint_id", "event_id", "return_id"])
@pytest.mark.parametrize("value", ["we_a\x00b", "we_a\nb", "we a", "../we_a", ""])
def test_a_bad_id_in_a_delivery_filter_is_a_json_422(client, name, value):
    r = client.get("/v1/webhook-deliveries", params={name: value}, headers=A["read"])
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/json") and name in r.text


def test_a_good_id_filter_still_finds_nothing_or_something(client):
    for name, value in (("endpoint_id", "we_0123"), ("event_id", "evt_ret_1_return_created"), ("return_id", "ret_1")):
        r = client.get("/v1/webhook-deliveries", params={name: value}, headers=A["read"])
        assert r.status_code == 200 and r.json()["data"] == [], r.text
