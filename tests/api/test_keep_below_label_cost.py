"""Keep-the-item "below the label cost" over HTTP (POST /v1/returns/quote): the API gives the policy a label
cost estimate, the merchant's recent labels or else its return-shipping fee. SQLite and PostgreSQL, no Temporal
(a return whose items are all kept needs no label, so no address check either: POST /v1/returns goes straight
to the workflow, here a 503)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from db.session import make_engine, session_scope
from db.tables import ReturnRecord
from tests.api.alone import api_alone
from tests.factories import LINES, insert_order, new_merchant

POLICY = {"keep_item_below_label_cost": True, "return_shipping_fee": {"kind": "flat", "amount": 595}, "currency": "USD"}
SOCKS = {"id": "L1", "sku": "SOCKS", "title": "Socks", "quantity": 1, "unit_price": 300, "category": "apparel"}
SHIRT = {**LINES[0], "id": "L2", "quantity": 1, "unit_price": 550}
JACKET = {**LINES[1], "id": "L3", "quantity": 1, "unit_price": 600}


@pytest.fixture
def shop(database_url):
    engine = make_engine(database_url)
    merchant_id, key, _ = new_merchant(engine)
    app = api_alone(database_url)
    with TestClient(app) as client:
        headers = {"Authorization": f"Bearer {key}"}
        assert client.put("/v1/policy", json=POLICY, headers=headers).status_code == 201
        yield engine, client, merchant_id, headers
    engine.dispose()


def quote(client, headers, order_id: str, line_id: str) -> dict:
    body = {
        "order_id": order_id,
        "items": [{"line_id": line_id, "quantity": 1, "reason": "too_small"}],
        "resolution": "refund",
    }
    r = client.post("/v1/returns/quote", json=body, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_3_dollar_item_with_5_95_return_shipping_is_kept_and_needs_no_label(shop):
    engine, client, merchant_id, headers = shop
    order = insert_order(engine, merchant_id, None, lines=[SOCKS, SHIRT, JACKET])
    q = quote(client, headers, order.id, "L1")
    assert q["keep_items"] and q["items"][0]["keep_item"]
    assert q["settlement_amount"] == {"amount": 300, "currency": "USD"} and q["return_shipping_fee"]["amount"] == 0
    assert "Keep this item: sending it back would cost more than it is worth." in q["rules_fired"]
    assert quote(client, headers, order.id, "L2")[
        "keep_items"
    ]  # 5.50 < 5.95: no labels bought yet, the fee is the estimate
    assert not quote(client, headers, order.id, "L3")["keep_items"]  # 6.00 is worth sending back
    body = {
        "order_id": order.id,
        "items": [{"line_id": "L1", "quantity": 1, "reason": "too_small"}],
        "resolution": "refund",
    }
    r = client.post("/v1/returns", json=body, headers=headers)
    assert r.status_code == 503 and r.json()["error"]["code"] == "temporal_unavailable", (
        r.text
    )  # no address check: no label


def test_what_labels_lately_cost_is_the_estimate(shop):
    engine, client, merchant_id, headers = shop
    now = datetime.now(UTC)
    with session_scope(engine) as s:
        for i, cost in enumerate((700, 450, 520)):
            label = {
                "shipment_id": f"shp_{i}",
                "carrier": "USPS",
                "service": "Ground",
                "tracking_code": f"TRK{uuid.uuid4().hex[:8]}",
                "label_url": "http://x",
                "rate": {"amount": cost, "currency": "USD"},
            }
            s.add(
                ReturnRecord(
                    id=f"ret_{uuid.uuid4().hex[:24]}",
                    merchant_id=merchant_id,
                    order_id="old",
                    status="completed",
                    resolution="refund",
                    items=[],
                    label=label,
                    tracking_code=label["tracking_code"],
                    request_fingerprint="fp",
                    created_at=now,
                    updated_at=now,
                )
            )
    order = insert_order(engine, merchant_id, None, lines=[SOCKS, SHIRT])
    assert quote(client, headers, order.id, "L1")["keep_items"]  # 3.00 < 5.20, the median of 7.00, 4.50 and 5.20
    assert not quote(client, headers, order.id, "L2")[
        "keep_items"
    ]  # 5.50: below the 5.95 fee, not below what labels cost
