"""Attack: a NUL character in the shop's slug or in the order number makes every portal route answer 500 on
PostgreSQL (psycopg refuses NUL in a text parameter: "PostgreSQL text fields cannot contain NUL (0x00) bytes").

No credentials needed: `GET /portal/a%00b` is a 500 (and an ERROR log line with a trace) per request. SQLite takes
the same input fine, so the SQLite-only tests never see it. The slug and the order number come straight from the
URL and the find form into `db/portal_lookup.py` unchecked.
"""

from __future__ import annotations

import re
import uuid

import pytest
from fastapi.testclient import TestClient

from db.seed import seed_merchant
from db.session import make_engine
from tests.api.alone import api_alone
from tests.factories import insert_order

SLUG = "nulshop"


@pytest.fixture
def client(database_url):
    engine = make_engine(database_url)
    seed_merchant(
        engine,
        merchant_id=SLUG,
        name="Nul",
        merchant_key=f"rf_test_m_{uuid.uuid4().hex}",
        warehouse_key=f"rf_test_w_{uuid.uuid4().hex}",
    )
    order = insert_order(engine, SLUG, None)
    engine.dispose()
    app = api_alone(database_url, portal_secret="nul-test-secret")
    with TestClient(app, raise_server_exceptions=False) as client:
        client.order_id = order.id
        yield client


def _token(client: TestClient) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(f"/portal/{SLUG}").text).group(1)


@pytest.mark.parametrize(
    "path",
    ["/portal/nul%00shop", "/portal/nul%00shop/order", "/portal/nul%00shop/start", "/portal/nul%00shop/brand.css"],
)
def test_a_nul_in_the_slug_is_a_404_not_a_500(client, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "path", ["/portal/nul%00shop/find", "/portal/nul%00shop/photos", "/portal/nul%00shop/start/items"]
)
def test_a_nul_in_the_slug_of_a_form_is_a_404_not_a_500(client, path):
    assert client.post(path, data={"csrf_token": _token(client)}).status_code == 404


def test_a_nul_in_the_order_number_is_the_one_wrong_answer_not_a_500(client):
    token = _token(client)
    wrong = client.post(f"/portal/{SLUG}/find", data={"csrf_token": token, "order_number": "o_x", "contact": "a@b.nl"})
    assert wrong.status_code == 422
    r = client.post(
        f"/portal/{SLUG}/find",
        data={"csrf_token": token, "order_number": client.order_id + "\x00", "contact": "a@b.nl"},
    )
    assert r.status_code == 422 and r.content == wrong.content


def test_the_right_answer_still_finds_the_order_and_starts_a_return(client):
    """The checks before the queries keep every real slug and order number: on both databases the shopper who gives
    the right order number and email reaches the order page and the start flow's first step."""
    token = _token(client)
    r = client.post(
        f"/portal/{SLUG}/find",
        data={"csrf_token": token, "order_number": f" {client.order_id} ", "contact": "Sam.Shopper@example.com"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == f"/portal/{SLUG}/order"
    assert client.get(f"/portal/{SLUG}/order").status_code == 200
    start = client.get(f"/portal/{SLUG}/start?lang=en")
    assert start.status_code == 200 and "Step 1 of 4" in start.text
