"""GET /v1/returns' (and POST /v1/returns/search's) filters and GET /v1/orders/{id}'s returns over HTTP (the API alone on SQLite):
the filters reach the query, merchant A's key never finds B's returns by any filter, cursors carry
their filters, and every bad value is a 4xx JSON error, never a 500. The queries themselves, on both
databases: tests/db/test_return_filters.py."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from activities.store import StoreActivities
from db.migrate import upgrade
from db.seed import seed_merchant
from db.session import make_engine
from domain.returns import Resolution
from domain.returns import ReturnReason as R
from domain.status import ReturnStatus
from tests.api.alone import api_alone
from tests.db.test_return_filters import T0, order, record
from workflows.ids import attention_key
from workflows.messages import AttentionEntry, AttentionKind, ItemView, ReturnProjection, ReturnView

A = {"Authorization": "Bearer rf_test_filters_a_merchant_0000"}
B = {"Authorization": "Bearer rf_test_filters_b_merchant_0000"}


@pytest.fixture(scope="module")
def client(tmp_path_factory) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path_factory.mktemp('filters') / 'returnflow.db'}"
    upgrade(url)
    engine = make_engine(url)
    for m, key in (("shop_a", A), ("shop_b", B)):
        seed_merchant(engine, merchant_id=m, name=m, merchant_key=key["Authorization"][7:], warehouse_key=f"w_{m}0000")
        tag = m[-1]
        order(engine, m, "o1", f"Shopper.{tag}@Example.com")
        order(engine, m, "o2", "same@example.com")
        record(engine, m, f"ret_{tag}1", order_id="o1", minute=1, codes=(f"TRK{tag}1",))
        record(engine, m, f"ret_{tag}2", order_id="o1", minute=2, items=(("SHOE", R.DEFECTIVE),))
        record(engine, m, f"ret_{tag}3", order_id="o2", minute=3, status=ReturnStatus.PENDING_REVIEW, attention=True)
        record(engine, m, f"ret_{tag}4", order_id="o2", minute=4, codes=(f"TRK{tag}4a", f"TRK{tag}4b"))
    engine.dispose()
    with TestClient(api_alone(url), raise_server_exceptions=False) as c:
        yield c


def listed(client: TestClient, headers: dict, **params) -> list[str]:
    """The search's answer; without an email, GET /v1/returns must give the same."""
    r = client.post("/v1/returns/search", json=params, headers=headers)
    assert r.status_code == 200, r.text
    found = [x["id"] for x in r.json()["data"]]
    if "email" not in params:
        r = client.get("/v1/returns", params=params, headers=headers)
        assert r.status_code == 200, r.text
        assert [x["id"] for x in r.json()["data"]] == found
    return found


@pytest.mark.parametrize(
    ("params", "a_expected"),
    [
        ({}, ["ret_a4", "ret_a3", "ret_a2", "ret_a1"]),
        ({"status": "pending_review"}, ["ret_a3"]),
        ({"order_id": "o1"}, ["ret_a2", "ret_a1"]),
        ({"email": "SHOPPER.A@example.COM"}, ["ret_a2", "ret_a1"]),
        ({"email": "shopper.b@example.com"}, []),  # B's shopper: nothing, under A's key
        ({"email": "same@example.com"}, ["ret_a4", "ret_a3"]),  # one shopper at both shops: A's only
        ({"tracking_code": "TRKa4b"}, ["ret_a4"]),
        ({"tracking_code": "TRKb4b"}, []),
        ({"tracking_code": "TRKb1"}, []),
        ({"sku": "SHOE"}, ["ret_a2"]),
        ({"reason": "defective"}, ["ret_a2"]),
        ({"needs_attention": "true"}, ["ret_a3"]),
        ({"needs_attention": "false", "order_id": "o2"}, ["ret_a4"]),
        ({"created_from": (T0 + timedelta(minutes=2)).isoformat()}, ["ret_a4", "ret_a3", "ret_a2"]),
        ({"created_to": "2026-11-01T10:02:00+01:00"}, ["ret_a1"]),
        ({"created_from": "2026-11-01T09:02:00Z", "created_to": "2026-11-01T09:04:00Z", "sku": "TEE"}, ["ret_a3"]),
    ],
)
def test_filters_over_http_find_only_the_callers_returns(client, params, a_expected):
    assert listed(client, A, **params) == a_expected
    b_params = {k: v.replace("TRKb", "TRKa") if k == "tracking_code" else v for k, v in params.items()}
    assert all(i.startswith("ret_b") for i in listed(client, B, **b_params))


def test_the_list_keeps_its_shape(client):
    body = client.get("/v1/returns", params={"sku": "SHOE"}, headers=A).json()
    assert set(body) == {"data", "next_cursor"}
    assert body["data"][0]["id"] == "ret_a2" and body["data"][0]["order_id"] == "o1"


def test_pages_of_a_filter_and_their_cursor_bound_to_it(client):
    r = client.get("/v1/returns", params={"sku": "TEE", "limit": 2}, headers=A).json()
    assert [x["id"] for x in r["data"]] == ["ret_a4", "ret_a3"] and r["next_cursor"]
    nxt = client.get("/v1/returns", params={"sku": "TEE", "limit": 2, "cursor": r["next_cursor"]}, headers=A).json()
    assert [x["id"] for x in nxt["data"]] == ["ret_a1"] and nxt["next_cursor"] is None
    for other in ({"sku": "SHOE"}, {}, {"sku": "TEE", "status": "completed"}):
        wrong = client.get("/v1/returns", params={**other, "limit": 2, "cursor": r["next_cursor"]}, headers=A)
        assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "invalid_cursor"


@pytest.mark.parametrize(
    "params",
    [
        {"status": "lost"},
        {"reason": "bored"},
        {"needs_attention": "maybe"},
        {"created_from": "2026-11-01T09:00:00"},  # naive
        {"created_to": "2026-11-01"},  # a date: midnight where?
        {"created_from": "yesterday"},
        {"created_from": "0001-01-01T00:00:00+14:00"},
        {"created_to": "9999-12-31T23:59:59-14:00"},
        {"created_from": "2026-11-02T00:00:00Z", "created_to": "2026-11-01T00:00:00Z"},
        {"email": "not-an-email"},
        {"email": "a@b\r\nc"},
        {"email": "x" * 300 + "@example.com"},
        {"tracking_code": "TRK\x00"},
        {"tracking_code": "T" * 65},
        {"tracking_code": "../x"},
        {"order_id": "a/b"},
        {"order_id": "o" * 129},
        {"sku": "TEE\x00"},
        {"sku": "S" * 129},
        {"sku": ""},
        {"limit": 0},
    ],
)
def test_bad_filter_values_are_422_json_never_500(client, params):
    if "email" not in params:
        r = client.get("/v1/returns", params=params, headers=A)
        assert r.status_code == 422, r.text
        assert r.json()["error"]["code"]
    r = client.post("/v1/returns/search", json=params, headers=A)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"]


def test_an_email_in_the_url_is_refused_not_ignored(client):
    r = client.get("/v1/returns", params={"email": "shopper.a@example.com"}, headers=A)
    assert r.status_code == 400 and r.json()["error"]["code"] == "email_in_url"
    assert "POST /v1/returns/search" in r.json()["error"]["message"]


def test_a_search_cursor_continues_the_search(client):
    first = client.post("/v1/returns/search", json={"email": "same@example.com", "limit": 1}, headers=A).json()
    assert [x["id"] for x in first["data"]] == ["ret_a4"] and first["next_cursor"]
    body = {"email": "same@example.com", "limit": 1, "cursor": first["next_cursor"]}
    nxt = client.post("/v1/returns/search", json=body, headers=A).json()
    assert [x["id"] for x in nxt["data"]] == ["ret_a3"]
    body["email"] = "shopper.a@example.com"
    wrong = client.post("/v1/returns/search", json=body, headers=A)
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "invalid_cursor"


def test_the_order_lists_its_returns_and_only_the_merchants(client):
    r = client.get("/v1/orders/o2", headers=A)
    assert r.status_code == 200, r.text
    assert r.json()["returns"] == [
        {"id": "ret_a4", "status": "label_created", "created_at": "2026-11-01T09:04:00Z"},
        {"id": "ret_a3", "status": "pending_review", "created_at": "2026-11-01T09:03:00Z"},
    ]
    assert [x["id"] for x in client.get("/v1/orders/o2", headers=B).json()["returns"]] == ["ret_b4", "ret_b3"]
    assert client.get("/v1/orders/o9", headers=A).status_code == 404


def test_a_return_held_for_review_is_in_the_attention_list_until_it_moves_on(tmp_path):
    """What the workflow writes (tests/workflows/test_lookup_and_review_attention.py shows it does) as the API shows it."""
    url = f"sqlite:///{tmp_path / 'returnflow.db'}"
    upgrade(url)
    engine = make_engine(url)
    seed_merchant(engine, merchant_id="shop_r", name="r", merchant_key=A["Authorization"][7:], warehouse_key="w_r0000")
    order(engine, "shop_r", "o1", "x@example.com")
    view = ReturnView(
        return_id="ret_held",
        merchant_id="shop_r",
        order_id="o1",
        status=ReturnStatus.PENDING_REVIEW,
        resolution=Resolution.REFUND,
        items=[ItemView(line_id="L1", sku="TEE", quantity=1, reason=R.TOO_SMALL)],
        request_fingerprint="fp",
        created_at=T0,
        updated_at=T0,
    )
    held = AttentionEntry(
        key=attention_key("ret_held", AttentionKind.PENDING_REVIEW),
        kind=AttentionKind.PENDING_REVIEW,
        reason="waiting for a person's review: order value above 100.00",
        at=T0,
    )
    store = StoreActivities(engine)
    store.record_return(ReturnProjection(view=view, version=1, new_entries=[], new_attention=[held]))
    with TestClient(api_alone(url), raise_server_exceptions=False) as c:
        items = c.get("/v1/attention", params={"kind": "pending_review"}, headers=A).json()["data"]
        assert [(i["return_id"], i["kind"]) for i in items] == [("ret_held", "pending_review")]
        assert listed(c, A, needs_attention="true") == ["ret_held"]

        approved = view.model_copy(update={"status": ReturnStatus.LABEL_CREATED})
        store.record_return(ReturnProjection(view=approved, version=2, new_entries=[]))
        assert c.get("/v1/attention", params={"kind": "pending_review"}, headers=A).json()["data"] == []
        assert listed(c, A, needs_attention="false") == ["ret_held"]
    engine.dispose()
