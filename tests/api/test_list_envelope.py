"""One list envelope everywhere: `{"data": [...], "next_cursor": ...}`, and the cursor walks a list whole
(the API alone, real SQLite)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.pages import encode_cursor
from db import outbox
from db.seed import seed_merchant
from db.session import make_engine, session_scope
from db.tables import AttentionItem, UnidentifiedParcel, WorkOrder
from db.webhook_endpoints import create_endpoint
from domain.notifications import EventType
from settings import Settings
from tests.api.alone import api_alone

KEYS = {"merchant": "rf_test_pages_m_0000000000000000", "warehouse": "rf_test_pages_w_0000000000000000"}
OPS = "rf_test_pages_o_0000000000000000"
M = {"Authorization": f"Bearer {KEYS['merchant']}"}
W = {"Authorization": f"Bearer {KEYS['warehouse']}"}


def response_schema(op: dict) -> dict:
    ok = op["responses"].get("200") or op["responses"].get("201") or {}
    return ok.get("content", {}).get("application/json", {}).get("schema", {})


def resolve(schema: dict, defs: dict) -> dict:
    return defs[schema["$ref"].rsplit("/", 1)[-1]] if "$ref" in schema else schema


def test_no_operation_answers_a_bare_list_and_every_list_has_a_next_cursor():
    doc = create_app(Settings(database_url="sqlite://")).openapi()
    defs = doc["components"]["schemas"]
    lists = []
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            schema = resolve(response_schema(op), defs)
            assert schema.get("type") != "array", f"{method.upper()} {path} answers a bare list"
            props = schema.get("properties", {})
            if "data" in props:
                lists.append(path)
                assert "next_cursor" in props, f"{method.upper()} {path}: data without next_cursor"
    assert {
        "/v1/returns",
        "/v1/attention",
        "/v1/work-orders",
        "/v1/warehouse/unidentified",
        "/v1/webhook-deliveries",
        "/v1/policy/versions",
        "/v1/returns/{return_id}/timeline",
        "/v1/returns/{return_id}/tracking",
        "/v1/inventory",
        "/v1/stock",
    } <= set(lists)


@pytest.fixture
def client(sqlite_url: str) -> Iterator[TestClient]:
    engine = make_engine(sqlite_url)
    for merchant in ("pages", "other"):
        suffix = "" if merchant == "pages" else "x"
        seed_merchant(
            engine,
            merchant_id=merchant,
            name=merchant,
            merchant_key=KEYS["merchant"] + suffix,
            warehouse_key=KEYS["warehouse"] + suffix,
            ops_key=OPS + suffix,
        )
    at = datetime(2026, 11, 1, tzinfo=UTC)
    with session_scope(engine) as session:
        hooks = {
            m: create_endpoint(session, m, "https://shop.example/hooks", None, None, at) for m in ("pages", "other")
        }
        for merchant in ("pages", "other"):
            for i in range(5):
                same = at + timedelta(minutes=i // 2)  # pairs share a time: the id breaks the tie
                session.add(
                    AttentionItem(
                        merchant_id=merchant, key=f"k{merchant}{i}", kind="held", reason=f"{merchant}", created_at=same
                    )
                )
                session.add(
                    UnidentifiedParcel(id=f"up-{merchant}-{i}", merchant_id=merchant, notes=merchant, received_at=same)
                )
                session.add(
                    WorkOrder(
                        id=f"wo-{merchant}-{i}",
                        merchant_id=merchant,
                        return_id=f"ret-{merchant}-{i}",
                        line_id="L1",
                        facility_id="wh",
                        sku="SKU",
                        quantity=1,
                        grade_in="B",
                        created_at=same,
                    )
                )
                outbox.add_event(
                    session, merchant, f"evt-{merchant}-{i}", EventType.RETURN_CREATED, {}, [hooks[merchant]], same
                )
    engine.dispose()
    with TestClient(api_alone(sqlite_url)) as c:
        yield c


def walk(client: TestClient, path: str, headers: dict, key: str) -> list[Any]:
    seen, cursor, pages = [], None, 0
    while True:
        r = client.get(path, params={"limit": 2, **({"cursor": cursor} if cursor else {})}, headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) == {"data", "next_cursor"} and len(body["data"]) <= 2
        seen += [row[key] for row in body["data"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return seen
        assert pages < 10


@pytest.mark.parametrize(
    "path, headers, key, rows",
    [
        ("/v1/attention", M, "id", None),
        ("/v1/warehouse/unidentified", W, "parcel_id", [f"up-pages-{i}" for i in (4, 3, 2, 1, 0)]),
        ("/v1/work-orders", W, "id", [f"wo-pages-{i}" for i in range(5)]),
        ("/v1/webhook-deliveries", M, "event_id", None),
    ],
)
def test_a_cursor_walks_the_whole_list_once_in_order(client: TestClient, path, headers, key, rows):
    seen = walk(client, path, headers, key)
    assert len(seen) == 5 and "other" not in str(seen)
    if rows is not None:
        assert seen == rows
    else:
        assert len(set(seen)) == 5


@pytest.mark.parametrize(
    "path", ["/v1/attention", "/v1/work-orders", "/v1/warehouse/unidentified", "/v1/webhook-deliveries"]
)
def test_a_cursor_this_api_did_not_make_is_a_400(client: TestClient, path: str):
    headers = W if path in ("/v1/work-orders", "/v1/warehouse/unidentified") else M
    bad_key = encode_cursor(datetime(2026, 11, 1, tzinfo=UTC), "abc")  # the int ids' lists: not an id
    bad_cursors = ["nope", "bm90IGEgY3Vyc29y", "MjAyNi0xMS0wMVQwMDowMDowMCswMDowMHwn", "w7w=", "Zm9vfA=="]
    for bad in bad_cursors + ([bad_key] if path in ("/v1/attention", "/v1/webhook-deliveries") else []):
        r = client.get(path, params={"cursor": bad}, headers=headers)
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_cursor", r.text
