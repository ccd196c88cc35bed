"""Fees only in their own currency, over HTTP (issue 10): PUT /v1/policy refuses flat amounts that name no
currency, and a JPY order no market matches is quoted no 595 flat fee. The API alone: SQLite, no Temporal."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from db.session import make_engine
from domain.policy_example import example_policy
from tests.api.alone import api_alone
from tests.factories import CUSTOMER, LINES, insert_order, new_merchant

TOKYO = {
    **CUSTOMER,
    "address": {**CUSTOMER["address"], "city": "Tokyo", "state": None, "zip": "100-0001", "country": "JP"},
}


@pytest.fixture
def shop(sqlite_url) -> Iterator[tuple]:
    engine = make_engine(sqlite_url)
    merchant_id, key, _ = new_merchant(engine)
    with TestClient(api_alone(sqlite_url)) as client:
        yield engine, client, merchant_id, {"Authorization": f"Bearer {key}"}
    engine.dispose()


def test_a_policy_with_flat_amounts_must_say_which_currency_they_are_in(shop):
    _, client, _, headers = shop
    r = client.put("/v1/policy", json={"return_shipping_fee": {"kind": "flat", "amount": 595}}, headers=headers)
    assert r.status_code == 422, r.text
    [detail] = r.json()["error"]["details"]
    assert detail["field"] == "currency" and "return_shipping_fee.amount" in detail["message"]
    assert client.get("/v1/policy", headers=headers).status_code == 404  # nothing saved
    percent = client.put("/v1/policy", json={"return_shipping_fee": {"kind": "percent", "percent": 5}}, headers=headers)
    assert percent.status_code == 201, percent.text  # a percentage has no currency
    assert client.put("/v1/policy", json=example_policy(), headers=headers).json()["policy"]["currency"] == "EUR"


def test_a_jpy_order_no_market_matches_pays_no_flat_fee(shop):
    engine, client, merchant_id, headers = shop
    assert (
        client.put("/v1/policy", json=example_policy(), headers=headers).status_code == 201
    )  # flat fees in EUR outside markets
    order = insert_order(
        engine, merchant_id, None, currency="JPY", customer=TOKYO, lines=[{**LINES[1], "unit_price": 12_000}]
    )
    body = {
        "order_id": order.id,
        "items": [{"line_id": "L2", "quantity": 1, "reason": "too_small"}],
        "resolution": "refund",
    }
    q = client.post("/v1/returns/quote", json=body, headers=headers).json()
    assert q["market"] is None and q["return_shipping_fee"] == {"amount": 0, "currency": "JPY"}
    assert q["settlement_amount"] == {"amount": 12_000, "currency": "JPY"}
    assert "No return shipping fee: it is priced in EUR, and this order is in JPY." in q["rules_fired"]
    assert q["needs_review"] and "no market covers JP" in q["review_reasons"][0]
