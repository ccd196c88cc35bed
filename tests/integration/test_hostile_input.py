"""A hand-written list of nasty values, sent to every route of the running stack: never a 5xx.

Every operation in our OpenAPI document, with the key scope it takes, gets nasty path ids, nasty
query values, nasty whole bodies, and (for bodies) each leaf of a valid example body replaced by
each nasty value in turn. Examples reach deep validation (an order, a policy, a facility registry)
without starting workflows: POST /v1/returns names no order, so it stops at 404 after validation.
(Schemathesis, test_api_fuzz.py, generates from the schemas; this list is what it is unlikely to try.)
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from domain.facilities_example import example_facilities
from tests.factories import order_body
from tests.integration.conftest import Running

pytestmark = pytest.mark.integration

NASTY_VALUES: list[Any] = [
    2**70,
    -(2**63) - 1,
    -1,
    1e308,
    float("nan"),
    float("inf"),
    "NaN",
    "Infinity",
    True,
    "x" * 10_000,
    "a\r\nBcc: thief@example.com",
    "a\x00b",
    "\u202egnp.exe",
    "\ud800",
    "\u2028",
    "'; DROP TABLE orders; --",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00+14:00",
    "2031-01-01T00:00:00Z",
    "2026-01-01T00:00:00",
    None,
    [],
    {},
    [[[[[[]]]]]],
    {"$where": "1"},
]
NASTY_BODIES: list[bytes] = [
    b"",
    b"NaN",
    b"1e400",
    b"[" * 50_000,
    b"\xff\xfe",
    json.dumps({f"k{i}": i for i in range(5000)}).encode(),
]
NASTY_PATH_IDS = [
    "..",
    "a%2Fb",
    "a%00b",
    "%",
    "x" * 5000,
    "ret_1%0D%0ASet-Cookie:x=1",
    "%E2%80%AE",
    "99999999999999999999999",
    "'%3B%20DROP%20TABLE%20returns%3B--",
]
NASTY_QUERY = [
    "x" * 10_000,
    "a\r\nb\x00",
    "\u202e",
    "99999999999999999999999",
    "1e400",
    "0001-01-01T00:00:00+14:00",
    "' OR 1=1 --",
    "MjAyNi0wMS0wMVQwMDowMDowMHx4",  # issue 10's cursor: a naive time
]
PER_PLACE = 2  # each place in an example body gets this many nasty values (and each route gets all of them)
POLICY = {
    "markets": [{"code": "US", "window_days": 30, "currency": "USD"}],
    "rules": [
        {
            "id": "shoes",
            "description": "Shoes: 10 %",
            "priority": 1,
            "match": {"categories": ["shoes"], "price_min": 0},
            "restocking_fee": {"kind": "percent", "percent": 10, "waived_for_tiers": ["gold"]},
        }
    ],
    "tiers": [{"name": "gold", "extra_window_days": 30}],
    "review": {"order_value_above": 100_000},
}


def examples(order_id: str) -> dict[tuple[str, str], Any]:
    """Valid bodies for the operations where validation goes deep (the rest start from {})."""
    order = json.loads(json.dumps(order_body(None)))
    ret = {
        "order_id": order_id,
        "resolution": "refund",
        "items": [{"line_id": "L1", "quantity": 1, "reason": "too_small", "comment": "tight"}],
    }
    return {
        ("PUT", "/v1/orders/{order_id}"): order,
        ("POST", "/v1/returns/quote"): ret,
        ("POST", "/v1/returns"): {**ret, "order_id": "no-such-order"},
        ("PUT", "/v1/policy"): POLICY,
        ("PUT", "/v1/facilities"): {"facilities": example_facilities()["facilities"][:1]},
        ("PUT", "/v1/disposition-rules"): {
            "rules": [
                {
                    "id": "r1",
                    "grades": ["A"],
                    "categories": ["shoes"],
                    "disposition": "restock",
                    "recovery_percent": 90,
                    "priority": 1,
                }
            ]
        },
        ("PUT", "/v1/catalog"): {
            "variants": [
                {
                    "sku": "TEE-M",
                    "product_id": "TEE",
                    "title": "Tee",
                    "options": {"size": "M"},
                    "price": {"amount": 2500, "currency": "USD"},
                    "category": "apparel",
                }
            ]
        },
        ("PUT", "/v1/stock"): {"levels": [{"sku": "TEE-M", "facility_id": "wh_demo_nl", "on_hand": 5}]},
        ("PUT", "/v1/label-rules"): {"carriers": ["USPS"], "max_cost": {"amount": 900, "currency": "USD"}},
        ("PUT", "/v1/webhook-endpoint"): {"url": "https://shop.example/hooks"},
        ("POST", "/v1/webhook-endpoints"): {
            "url": "https://shop.example/hooks",
            "events": ["return.created", "refund.succeeded"],
            "description": "ERP",
        },
        ("POST", "/v1/warehouse/receipts"): {"tracking_code": "EZ1000000001", "notes": "dented"},
        ("POST", "/v1/returns/{return_id}/inspection"): {"items": [{"line_id": "L1", "grade": "A", "notes": "ok"}]},
        ("POST", "/v1/returns/{return_id}/review"): {"decision": "approve", "note": "ok"},
        ("POST", "/v1/returns/{return_id}/pickup"): {
            "min_datetime": "2026-12-24T09:00:00Z",
            "max_datetime": "2026-12-24T17:00:00Z",
        },
        ("POST", "/v1/facilities/{facility_id}/receipts"): {"return_id": "ret_0a1b2c", "line_id": "L1"},
    }


def leaves(value: Any, path: tuple = ()) -> Iterator[tuple]:
    """Every place in a JSON value a nasty value can go: each leaf, and each list or object as a whole."""
    if path:
        yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from leaves(item, (*path, i))


def replaced(doc: Any, path: tuple, value: Any) -> Any:
    out = copy.deepcopy(doc)
    target = out
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return out


def encode(doc: Any) -> bytes:
    """JSON as a hostile client sends it: NaN and Infinity as literals, lone surrogates escaped."""
    return json.dumps(doc).encode()


def keys_by_operation(run: Running, shop: dict, paths: dict) -> dict[tuple[str, str], dict]:
    """The scope each operation takes: the first key it does not refuse with 401/403."""
    chosen = {}
    for path, ops in paths.items():
        for method in ops:
            url = path.replace("{", "").replace("}", "")  # a well-formed id of nothing
            for scope in ("merchant", "warehouse", "ops"):
                r = run.api.request(method.upper(), url, headers=shop[scope])
                if r.status_code not in (401, 403):
                    chosen[(method.upper(), path)] = shop[scope]
                    break
            else:
                chosen[(method.upper(), path)] = shop["merchant"]
    return chosen


def requests_for(method: str, path: str, op: dict, example: Any) -> Iterator[tuple[str, dict, bytes | None]]:
    params = [p for p in op.get("parameters", []) if p["in"] == "path"]
    fill = {p["name"]: "1" if p["schema"].get("type") == "integer" else f"x{uuid.uuid4().hex[:6]}" for p in params}
    base_url = path.format(**fill)
    body = op.get("requestBody") is not None
    base_body = encode(example if example is not None else {}) if body else None
    for p in params:
        for nasty in NASTY_PATH_IDS:
            yield path.format(**{**fill, p["name"]: nasty}), {}, base_body
    for p in (p for p in op.get("parameters", []) if p["in"] == "query"):
        for nasty in NASTY_QUERY:
            yield base_url, {p["name"]: nasty}, base_body
    if not body:
        return
    for nasty in NASTY_BODIES:
        yield base_url, {}, nasty
    doc = example if example is not None else {}
    places = list(leaves(doc)) or []
    if not places:  # no example: each top-level property of the schema, alone
        content = op["requestBody"]["content"]  # JSON, or multipart (a photo upload): nasty JSON all the same
        schema = (content.get("application/json") or next(iter(content.values())))["schema"]
        places = [(name,) for name in schema.get("properties", {})] + [("unexpected_field",)]
    # Round robin: every nasty value reaches the route, and every place gets PER_PLACE of them.
    for j in range(max(len(places) * PER_PLACE, len(NASTY_VALUES))):
        place, nasty = places[j % len(places)], NASTY_VALUES[j % len(NASTY_VALUES)]
        yield base_url, {}, encode(replaced(doc, place, nasty) if doc else {place[0]: nasty})


def test_nasty_values_on_every_route_never_get_a_server_error(running: Running, shop: dict):
    run = running
    order_id = f"o-{uuid.uuid4().hex[:8]}"
    assert run.api.put(f"/v1/orders/{order_id}", json=order_body(None), headers=shop["merchant"]).status_code == 201
    spec = run.api.get("/openapi.json").json()
    components = spec["components"]["schemas"]
    for op in (
        o for ops in spec["paths"].values() for o in ops.values()
    ):  # the body's own schema (CancelIn | None: CancelIn)
        content = op.get("requestBody", {}).get("content", {}).get("application/json")
        refs = (
            [s["$ref"] for s in [content["schema"], *content["schema"].get("anyOf", [])] if "$ref" in s]
            if content
            else []
        )
        if refs:
            content["schema"] = components[refs[0].rsplit("/", 1)[-1]]
    keys = keys_by_operation(run, shop, spec["paths"])
    bodies = examples(order_id)
    work = [
        (method.upper(), url, query, body, keys[(method.upper(), path)])
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        for url, query, body in requests_for(method.upper(), path, op, bodies.get((method.upper(), path)))
    ]
    assert len(work) > 800

    def send(item) -> tuple | None:
        method, url, query, body, headers = item
        headers = {**headers, "Content-Type": "application/json"}
        try:
            r = run.api.request(method, httpx.URL(url), params=query, content=body, headers=headers)
        except httpx.TransportError as err:  # a dropped connection is as bad as a 500
            return method, url, query, (body or b"")[:200], type(err).__name__
        if r.status_code >= 500:
            return method, url, query, (body or b"")[:200], f"{r.status_code} {r.text[:300]}"
        return None

    with ThreadPoolExecutor(max_workers=4) as pool:
        failures = [f for f in pool.map(send, work) if f is not None]
    assert failures == [], f"{len(failures)} of {len(work)} requests got a server error, e.g. {failures[:5]}"
    assert run.api.get("/healthz").status_code == 200
