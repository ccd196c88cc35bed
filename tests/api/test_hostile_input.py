"""Hostile input on the API alone (real SQLite, no Temporal): every bad value is a 4xx naming what is wrong.

Issue 10's reproductions 5 (a bad cursor), 7 (a huge unit_price), 8 (an order in 2031) and the CR/LF
in customer.name, and the classes they belong to: cursors, numbers, times and free text. Ids and body
sizes: test_hostile_ids_and_sizes.py. Every field bounded at all: test_openapi_bounds.py.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from db.returns import encode_cursor
from db.tables import ReturnRecord
from domain.validation import MAX_MONEY
from tests.api.hostile import (  # noqa: F401  (hostile_db, hostile_client: the fixtures module_db, client)
    MERCHANT,
    hostile_client,
    hostile_db,
    make_client,
    new_id,
    order,
    put_order,
    refused,
)

# ---- cursors (issue 10, item 5) -------------------------------------------------------------


def b64(text: str | bytes) -> str:
    return base64.urlsafe_b64encode(text.encode() if isinstance(text, str) else text).decode()


BAD_CURSORS = [
    "MjAyNi0wMS0wMVQwMDowMDowMHx4",  # 2026-01-01T00:00:00|x: a naive time
    "not-a-cursor",
    "%%%",
    "é",
    "=",
    "AAAA====",
    b64(b"\xff\xfe"),
    b64("2026-01-01T00:00:00+00:00"),
    b64("2026-01-01T00:00:00+00:00|"),
    b64("2026-01-01T00:00:00+00:00|../x"),
    b64("yesterday|ret_1"),
    b64("0001-01-01T00:00:00+14:00|ret_1"),
    b64("9999-12-31T23:59:59-14:00|ret_1"),
    b64("2026-01-01T00:00:00+00:00|" + "a" * 65),
    b64("2026-01-01T00:00:00+00:00|ret\x00"),
]


@pytest.mark.parametrize("cursor", BAD_CURSORS)
def test_a_cursor_this_api_did_not_make_is_a_400(client: TestClient, cursor: str):
    error = refused(client.get("/v1/returns", params={"cursor": cursor}, headers=MERCHANT), 400)
    assert error["code"] == "invalid_cursor"


def test_a_cursor_this_api_made_reads_the_next_page(client: TestClient):
    row = ReturnRecord(id="ret_0a1b2c", created_at=datetime(2026, 1, 1, tzinfo=UTC), merchant_id="hostile")
    r = client.get("/v1/returns", params={"cursor": encode_cursor(row)}, headers=MERCHANT)
    assert r.status_code == 200 and r.json() == {"data": [], "next_cursor": None}


# ---- numbers (item 7) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"lines__0__unit_price": 1180591620717411303424}, "lines[0].unit_price"),
        ({"lines__0__unit_price": MAX_MONEY + 1}, "lines[0].unit_price"),
        ({"lines__0__unit_price": -1}, "lines[0].unit_price"),
        ({"lines__0__unit_price": 12.5}, "lines[0].unit_price"),
        ({"lines__0__quantity": 10_001}, "lines[0].quantity"),
        ({"lines__0__quantity": 0}, "lines[0].quantity"),
        # Each line within bounds, the order's total not: a refund of it would overflow the money columns.
        ({"lines__0__unit_price": MAX_MONEY, "lines__0__quantity": 2}, "lines"),
        ({"customer__address__latitude": 91.0, "customer__address__longitude": 0.0}, "customer.address.latitude"),
        ({"customer__address__latitude": 0.0, "customer__address__longitude": -180.5}, "customer.address.longitude"),
    ],
)
def test_numbers_out_of_bounds_are_422_naming_the_field(client: TestClient, changes: dict, field: str):
    refused(put_order(client, order(**changes)), 422, field)


def test_nan_infinity_and_giant_literals_are_4xx_not_500(client: TestClient):
    for literal in (b"NaN", b"Infinity", b"-Infinity", b"1e400", b"9" * 5000):
        body = json.dumps(order()).replace('"unit_price": 2500', '"unit_price": ' + literal.decode()).encode()
        r = client.put("/v1/orders/o-hostile", content=body, headers={**MERCHANT, "Content-Type": "application/json"})
        assert r.status_code in (400, 422), (literal[:20], r.text)
    r = client.put(
        "/v1/orders/o-hostile", content=b"[" * 100_000, headers={**MERCHANT, "Content-Type": "application/json"}
    )
    assert r.status_code == 400, r.text


def test_a_bounded_order_at_the_limits_is_accepted(client: TestClient):
    body, order_id = order(lines__0__unit_price=MAX_MONEY // 2 - 10_000, lines__0__quantity=1), new_id()
    r = put_order(client, body, order_id)
    assert r.status_code == 201, r.text
    saved = client.get(f"/v1/orders/{order_id}", headers=MERCHANT).json()
    assert saved["lines"][0]["unit_price"] == MAX_MONEY // 2 - 10_000


# ---- times (item 8) ---------------------------------------------------------------------------


def iso(at: datetime) -> str:
    return at.isoformat()


NOW = datetime.now(UTC)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"placed_at": "2031-01-10T10:00:00Z", "delivered_at": "2031-01-12T10:00:00Z"}, "placed_at"),
        ({"placed_at": "2031-01-10T10:00:00Z", "delivered_at": "2031-01-12T10:00:00Z"}, "delivered_at"),
        ({"placed_at": iso(NOW + timedelta(minutes=30)), "delivered_at": None}, "placed_at"),
        ({"delivered_at": iso(NOW + timedelta(hours=1))}, "delivered_at"),
        ({"placed_at": iso(NOW - timedelta(days=3)), "delivered_at": iso(NOW - timedelta(days=4))}, "delivered_at"),
        ({"placed_at": "2026-11-20T10:00:00"}, "placed_at"),  # naive: refused, never guessed
        ({"placed_at": "0001-01-01T00:00:00+14:00"}, "placed_at"),
        ({"placed_at": "1999-12-31T23:59:59Z"}, "placed_at"),
        ({"placed_at": "9999-12-31T23:59:59-14:00"}, "placed_at"),
    ],
)
def test_orders_from_the_future_the_distant_past_or_without_a_zone_are_422(
    client: TestClient, changes: dict, field: str
):
    order_id = new_id()
    refused(put_order(client, order(**changes), order_id), 422, field)
    assert client.get(f"/v1/orders/{order_id}", headers=MERCHANT).status_code == 404


def test_a_merchant_clock_a_few_minutes_ahead_is_fine(client: TestClient):
    ahead = iso(NOW + timedelta(minutes=5))
    assert put_order(client, order(placed_at=ahead, delivered_at=ahead)).status_code == 201


def test_time_queries_and_pickup_windows_are_bounded_too(client: TestClient):
    for since in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2026-01-01T00:00:00"):
        refused(client.get("/v1/reports/labels", params={"since": since}, headers=MERCHANT), 422, "since")
    window = {"min_datetime": "0001-01-01T00:00:00+14:00", "max_datetime": "0001-01-02T00:00:00+14:00"}
    refused(client.post("/v1/returns/ret_0a1b2c/pickup", json=window, headers=MERCHANT), 422, "min_datetime")


# ---- free text (item 6) -----------------------------------------------------------------------

HOSTILE_TEXT = {
    "CR/LF": "Sam\r\nBcc: thief@example.com",
    "LF": "Sam\nShopper",
    "NUL": "Sam\x00",
    "TAB": "Sam\tShopper",
    "DEL": "Sam\x7f",
    "C1": "Sam\x85",
    "line separator": "Sam\u2028Shopper",
    "RTL override": "Sam \u202egpj.exe",
    "bidi isolate": "Sam\u2066x\u2069",
    "lone surrogate": "Sam\ud800",
}


@pytest.mark.parametrize("kind", HOSTILE_TEXT)
@pytest.mark.parametrize(
    "field",
    [
        "customer.name",
        "customer.address.name",
        "customer.address.street1",
        "customer.address.city",
        "customer.tier",
        "lines[0].title",
        "lines[0].sku",
        "lines[0].category",
        "lines[0].tags[0]",
    ],
)
def test_control_and_invisible_characters_in_free_text_are_422_naming_the_field(
    client: TestClient, kind: str, field: str
):
    if field == "lines[0].tags[0]":
        body = json.dumps(order(lines__0__tags=[HOSTILE_TEXT[kind]]))
    else:
        body = json.dumps(order(**{field.replace(".", "__").replace("[", "__").replace("]", ""): HOSTILE_TEXT[kind]}))
    r = client.put(
        "/v1/orders/o-hostile",
        content=body.encode("utf-8", "surrogatepass"),
        headers={**MERCHANT, "Content-Type": "application/json"},
    )
    refused(r, 422, field)


def test_ordinary_unicode_names_are_welcome(client: TestClient):
    for name in ("Zoë Ñúñez-O'Brien", "山田 太郎", "محمد\u200f", "👩\u200d👩\u200d👧 family", "Łódź"):
        order_id = new_id()
        assert put_order(client, order(customer__name=name, customer__address__city=name), order_id).status_code == 201
        assert client.get(f"/v1/orders/{order_id}", headers=MERCHANT).json()["customer"]["name"] == name


def test_overlong_text_is_422(client: TestClient):
    refused(put_order(client, order(customer__name="x" * 201)), 422, "customer.name")
    refused(put_order(client, order(customer__email="a" * 250 + "@example.com")), 422, "customer.email")
    refused(client.post("/v1/returns/ret_0a1b2c/cancel", json={"reason": "x" * 501}, headers=MERCHANT), 422, "reason")
    refused(client.post("/v1/returns/ret_0a1b2c/cancel", json={"reason": "no\r\nway"}, headers=MERCHANT), 422, "reason")
