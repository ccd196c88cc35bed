"""The API as a developer meets it: /docs and /redoc work offline, every operation is described,
every 4xx it can answer is documented with the real error body, every request body has an example."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.openapi import SECURITY_SCHEME, api_routes, route_scopes
from api.openapi_docs import DOCS
from settings import Settings
from tests.api.alone import api_alone


@pytest.fixture
def client(sqlite_url: str) -> Iterator[TestClient]:
    with TestClient(api_alone(sqlite_url)) as c:
        yield c


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    return create_app(Settings(database_url="sqlite://")).openapi()


def operations(openapi: dict) -> Iterator[tuple[str, str, dict]]:
    for path, ops in openapi["paths"].items():
        for method, op in ops.items():
            yield method.upper(), path, op


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_pages_load_nothing_from_another_host_and_their_assets_are_served(client: TestClient, page: str):
    r = client.get(page)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert not re.search(r"(https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}", html), re.findall(r"https?://[^\s\"']+", html)
    assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assets += re.findall(r"""url:\s*["']([^"']+)["']""", html)  # Swagger UI's openapi.json
    assert any(a.endswith(".js") for a in assets), assets
    for asset in assets:
        got = client.get(asset)
        assert got.status_code == 200 and got.content, (asset, got.status_code)


def test_the_document_has_a_bearer_scheme_and_every_keyed_operation_uses_it(openapi: dict):
    assert openapi["components"]["securitySchemes"][SECURITY_SCHEME] == {
        **openapi["components"]["securitySchemes"][SECURITY_SCHEME],
        "type": "http",
        "scheme": "bearer",
    }
    keyed = {
        (method, route.path)
        for route in api_routes(create_app(Settings(database_url="sqlite://")).routes)
        if route.include_in_schema and route_scopes(route)
        for method in route.methods
    }
    assert len(keyed) > 40
    for method, path, op in operations(openapi):
        assert (op.get("security") == [{SECURITY_SCHEME: []}]) == ((method, path) in keyed), (method, path)


def test_every_operation_has_a_summary_a_description_and_its_4xx_documented_with_the_error_body(openapi: dict):
    problems = []
    for method, path, op in operations(openapi):
        where = f"{method} {path}"
        auto = " ".join(w.capitalize() for w in op["operationId"].split("-", 1)[-1].split("_"))
        if not op.get("summary") or op["summary"] == auto:
            problems.append(f"{where}: no summary of its own (add it to api/openapi.py DOCS)")
        if not op.get("description"):
            problems.append(f"{where}: no description (a docstring, or DOCS)")
        responses = op["responses"]
        wanted = set()
        if op.get("security"):
            wanted |= {"401", "403"}
        if any(p["in"] == "path" for p in op.get("parameters", [])):
            wanted.add("404")
        if "requestBody" in op or op.get("parameters"):
            wanted.add("422")
        if missing := wanted - responses.keys():
            problems.append(f"{where}: undocumented {sorted(missing)}")
        if not any(s.startswith("4") for s in responses) and path != "/healthz":
            problems.append(f"{where}: no 4xx documented")
        for status, response in responses.items():
            if status.startswith("4"):
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                if schema != {"$ref": "#/components/schemas/Error"}:
                    problems.append(f"{where}: {status} does not show the error body")
    assert problems == []


def test_docs_names_only_operations_that_exist(openapi: dict):
    ids = {op["operationId"] for _, _, op in operations(openapi)}
    assert set(DOCS) - ids == set()


def test_every_request_body_has_an_example(openapi: dict):
    missing = [
        f"{method} {path}"
        for method, path, op in operations(openapi)
        if "requestBody" in op
        and not all("example" in c or "examples" in c for c in op["requestBody"]["content"].values())
    ]
    assert missing == []


def test_the_documented_error_body_is_the_one_the_api_answers(client: TestClient, openapi: dict):
    schema = openapi["components"]["schemas"]["Error"]
    for r in (client.get("/v1/returns"), client.get("/v1/returns", headers={"Authorization": "Bearer nope"})):
        assert r.status_code == 401
        body = r.json()
        assert set(schema["required"]) <= body.keys()
        assert set(schema["properties"]["error"]["required"]) <= body["error"].keys()
