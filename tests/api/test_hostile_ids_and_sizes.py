"""Hostile ids and body sizes on the API alone (real SQLite, no Temporal): a 4xx naming what is wrong, never a 500.

Ids follow one rule (domain/validation.py) whether they come in a path or in a body; every request body has
one size limit (api/body_limit.py), declared or streamed. Helpers and the app: tests/api/hostile.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from settings import Settings
from tests.api.hostile import (  # noqa: F401  (hostile_db, hostile_client: the fixtures module_db, client)
    MERCHANT,
    OPS,
    WAREHOUSE,
    hostile_client,
    hostile_db,
    make_client,
    order,
    put_order,
    refused,
)

# ---- ids: the same rule in a path and in a body -------------------------------------------------

BAD_IDS = ["a b", "x" * 129, "-x", ".hidden", "a%00b", "ü", "a'b", "<b>", "a;b", "a%2Fb", "%2e%2e"]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_a_bad_id_is_422_in_a_path_and_in_a_body(client: TestClient, bad: str):
    decoded = httpx.URL(f"/x/{bad}").path.removeprefix("/x/")  # what the path parameter is
    if "/" in decoded:  # then it is two path segments: no route has that shape
        assert refused(client.put(f"/v1/orders/{bad}", json=order(), headers=MERCHANT), 404)["code"] == "not_found"
    else:
        refused(client.put(f"/v1/orders/{bad}", json=order(), headers=MERCHANT), 422, "order_id")
        refused(client.get(f"/v1/orders/{bad}", headers=MERCHANT), 422, "order_id")
    quote = {
        "order_id": decoded,
        "items": [{"line_id": "L1", "quantity": 1, "reason": "too_small"}],
        "resolution": "refund",
    }
    refused(client.post("/v1/returns/quote", json=quote, headers=MERCHANT), 422, "order_id")
    refused(put_order(client, order(lines__0__id=decoded)), 422, "lines[0].id")


def test_return_ids_are_checked_on_every_route_that_takes_one(client: TestClient):
    paths = client.get("/openapi.json").json()["paths"]
    routes = [(method.upper(), path) for path, ops in paths.items() if "{return_id}" in path for method in ops]
    assert len(routes) >= 14
    for method, path in routes:
        key = WAREHOUSE if path.endswith("/inspection") else OPS if path.endswith("/review") else MERCHANT
        for bad in ("r" * 65, "ret 1", "ret_1;drop", "ret_1%0d%0aX: y"):
            r = client.request(
                method,
                path.replace("{return_id}", bad).replace("{line_id}", "L1").replace("{photo_id}", "ph_1"),
                json={},
                headers=key,
            )
            refused(r, 422, "return_id")
        if method == "GET":  # a well-formed id of no return: the usual 404
            assert (
                client.get(
                    path.replace("{return_id}", "ret_nothere").replace("{line_id}", "L1").replace("{photo_id}", "ph_1"),
                    headers=key,
                ).status_code
                == 404
            )


def test_numeric_path_ids_are_bounded(client: TestClient):
    for bad in ("99999999999999999999999", "-1", "0", "1e3"):
        refused(client.post(f"/v1/attention/{bad}/resolve", json={}, headers=OPS), 422, "attention_id")
    refused(client.post("/v1/attention/7/resolve", json={}, headers=OPS), 404)


# ---- body size ----------------------------------------------------------------------------------


def test_bodies_over_the_limit_are_413_json_declared_or_streamed(module_db: str):
    with make_client(module_db, max_request_body_bytes=4096) as client:
        small = json.dumps(order()).encode()
        headers = {**MERCHANT, "Content-Type": "application/json"}
        assert len(small) < 4096 and client.put("/v1/orders/o-small", content=small, headers=headers).status_code == 201
        big = json.dumps(order(customer__name="x" * 200, lines__0__title="y" * 300) | {"pad": "z" * 5000}).encode()
        r = client.put("/v1/orders/o-big", content=big, headers={**MERCHANT, "Content-Type": "application/json"})
        assert refused(r, 413)["code"] == "payload_too_large"

        def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked, counted as it streams
            for i in range(0, len(big), 1000):
                yield big[i : i + 1000]

        for method, url in [
            ("PUT", "/v1/orders/o-big"),
            ("POST", "/v1/returns"),
            ("PUT", "/v1/policy"),
            ("POST", "/v1/webhooks/easypost"),
        ]:
            r = client.request(method, url, content=chunks(), headers={**MERCHANT, "Content-Type": "application/json"})
            assert refused(r, 413)["code"] == "payload_too_large", (method, url)
        # Declared too large on a route that reads no body, and on no route at all: still JSON.
        for url in ("/v1/returns", "/v1/nowhere"):
            r = client.request("GET", url, content=big, headers=MERCHANT)
            assert refused(r, 413)["code"] == "payload_too_large"
        assert client.get("/v1/orders/o-big", headers=MERCHANT).status_code == 404


def test_the_default_limit_is_one_mebibyte(client: TestClient):
    assert Settings().max_request_body_bytes == 1024 * 1024
    r = client.put(
        "/v1/orders/o-small",
        content=b"{" + b" " * (1024 * 1024) + b"}",
        headers={**MERCHANT, "Content-Type": "application/json"},
    )
    assert refused(r, 413)["code"] == "payload_too_large"
