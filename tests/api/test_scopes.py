"""Each route's scope, read off the app itself: every route takes one of api/deps.py's named scopes,
a `read` key changes nothing, an `ops` key reads every return, timeline, order and item trail,
and a key of the wrong scope gets the JSON 403 (the API alone, real SQLite)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api.app import create_app
from api.deps import SCOPES
from db.seed import ensure_key, seed_merchant
from db.session import make_engine, session_scope
from settings import Settings
from tests.api.alone import api_alone

KEYS = {s: f"rf_test_scopes_{s}_0000000000000000" for s in SCOPES}
HEADERS = {s: {"Authorization": f"Bearer {k}"} for s, k in KEYS.items()}
# POSTs that change nothing: a quote, and a look-up that takes the email in a body to keep it out of URLs.
READ_ONLY_POSTS = {("POST", "/v1/returns/quote"), ("POST", "/v1/returns/search"), ("POST", "/v1/store-credit/lookup")}
# Authenticated otherwise (the carrier's HMAC) or not at all.
UNSCOPED = {("GET", "/healthz"), ("POST", "/v1/webhooks/easypost")}


def api_routes(routes) -> Iterator[APIRoute]:
    """The app's routes, through the routers it includes (FastAPI wraps an included router in one route)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from api_routes(route.original_router.routes)


def route_scopes() -> dict[tuple[str, str], tuple[str, ...]]:
    """(method, path) -> the scopes the route accepts, from its `require(...)` dependency."""
    app = create_app(Settings(database_url="sqlite://"))
    found: dict[tuple[str, str], tuple[str, ...]] = {}
    for route in api_routes(app.routes):
        if not route.include_in_schema:
            continue
        scopes = [d.call.scopes for d in route.dependant.dependencies if hasattr(d.call, "scopes")]
        for method in route.methods:
            assert len(scopes) <= 1, (method, route.path, scopes)
            found[(method, route.path)] = scopes[0] if scopes else ()
    return found


def test_every_route_but_the_unauthenticated_ones_takes_a_named_scope():
    scopes = route_scopes()
    assert {k for k, v in scopes.items() if not v} == UNSCOPED
    assert len(scopes) > 40


def test_read_reads_everything_and_changes_nothing():
    for (method, path), scopes in route_scopes().items():
        reads = method == "GET" or (method, path) in READ_ONLY_POSTS
        if (method, path) in UNSCOPED:
            continue
        if reads:
            assert "read" in scopes and "merchant" in scopes, (method, path, scopes)
        else:
            assert "read" not in scopes, (method, path, scopes)


def test_ops_reads_every_return_timeline_order_and_trail_and_reviews_and_resolves():
    scopes = route_scopes()
    for (method, path), allowed in scopes.items():
        if method == "GET" and re.match(r"^/v1/(returns|orders|items|attention)", path):
            assert "ops" in allowed, (method, path)
    assert "ops" in scopes[("POST", "/v1/returns/{return_id}/review")]
    assert "ops" in scopes[("POST", "/v1/attention/{attention_id}/resolve")]


def test_warehouse_receives_and_inspects():
    scopes = route_scopes()
    assert "warehouse" in scopes[("POST", "/v1/warehouse/receipts")]
    assert "warehouse" in scopes[("POST", "/v1/returns/{return_id}/inspection")]


def test_a_store_key_only_receives_returns_handed_in_at_its_merchants_stores():
    scopes = route_scopes()
    assert scopes[("POST", "/v1/stores/{facility_id}/receipts")] == ("store",)
    assert [route for route, allowed in scopes.items() if "store" in allowed] == [
        ("POST", "/v1/stores/{facility_id}/receipts")
    ]


@pytest.fixture
def client(sqlite_url: str) -> Iterator[TestClient]:
    engine = make_engine(sqlite_url)
    seed_merchant(
        engine,
        merchant_id="scopes",
        name="Scopes",
        merchant_key=KEYS["merchant"],
        warehouse_key=KEYS["warehouse"],
        ops_key=KEYS["ops"],
    )
    with session_scope(engine) as session:
        ensure_key(session, "scopes", "read", KEYS["read"])
        ensure_key(session, "scopes", "store", KEYS["store"])
    engine.dispose()
    with TestClient(api_alone(sqlite_url)) as c:
        yield c


def test_over_http_a_wrong_scope_is_a_json_403_and_a_right_one_passes(client: TestClient):
    for (method, path), allowed in route_scopes().items():
        if (method, path) in UNSCOPED:
            continue
        url = re.sub(r"\{[^}]+\}", "1", path)  # a well-formed id of nothing
        for scope in SCOPES:
            r = client.request(method, url, headers=HEADERS[scope], json={})
            if scope in allowed:
                assert r.status_code not in (401, 403), (scope, method, path, r.status_code, r.text)
            else:
                assert r.status_code == 403, (scope, method, path, r.status_code, r.text)
                error = r.json()["error"]
                assert error["code"] == "forbidden" and scope in error["message"], (method, path, error)
