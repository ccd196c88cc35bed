"""The OpenAPI document as a developer meets it, and the docs pages served offline.

- A bearer security scheme (the Authorize button of `/docs`) on every operation that takes a key.
- Every 4xx an operation can answer, documented with the real error body (`api/errors.py`):
  401 and 403 from its scope (`api/deps.py`), 404 for an id in the path, 400/413/422 for what it
  reads, and the 404s and 409s listed per operation below.
- A summary, a description and (for each request body) an example per operation, from `DOCS`;
  a route's docstring is its description, `DOCS` fills in where it has none.
- `/docs` and `/redoc` load their JavaScript and CSS from the app (the `fastapi-offline` package's
  copies of Swagger UI and ReDoc), never from a CDN.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

from api.openapi_docs import DOCS

ASSETS_URL = "/docs-assets"
ASSETS_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
SECURITY_SCHEME = "ApiKey"


ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "stable, for programs: `not_found`, `wrong_state`, ..."},
                "message": {"type": "string", "description": "for people"},
                "details": {
                    "type": "array",
                    "description": "422: one entry per invalid field (at most 50)",
                    "items": {
                        "type": "object",
                        "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                    },
                },
                "more_problems": {"type": "integer", "description": "422: how many problems beyond `details`"},
            },
            "additionalProperties": True,
        }
    },
}
ERROR_EXAMPLES = {
    400: ("malformed_json", "the request body is not valid JSON"),
    401: ("unauthorized", "send an API key as 'Authorization: Bearer <key>'"),
    403: ("forbidden", "this endpoint needs a merchant key; yours is warehouse"),
    404: ("not_found", "return 'ret_0123' not found"),
    409: ("wrong_state", "the return is completed; it cannot be cancelled now"),
    413: ("payload_too_large", "the request body is over the limit"),
    422: ("invalid_request", "items[0].quantity: Input should be greater than 0"),
}


def api_routes(routes: list) -> Iterator[APIRoute]:
    """Every route of the app, through the routers it includes (FastAPI may wrap an included router)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from api_routes(route.original_router.routes)


def route_scopes(route: APIRoute) -> tuple[str, ...]:
    """The scopes a route takes (api/deps.py's `require`), () for one that takes no key."""
    found = [d.call.scopes for d in route.dependant.dependencies if hasattr(d.call, "scopes")]
    return found[0] if found else ()


def _error(status: int, description: str, code: str | None = None) -> dict[str, Any]:
    default_code, message = ERROR_EXAMPLES.get(status, ("error", "see the message"))
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/Error"},
                "example": {"error": {"code": code or default_code, "message": message}},
            }
        },
    }


def _document(app: FastAPI) -> dict[str, Any]:
    doc = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes, tags=app.openapi_tags
    )
    doc.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    doc["components"]["securitySchemes"] = {
        SECURITY_SCHEME: {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key: `Authorization: Bearer rf_live_…`. Its scope (merchant, ops, warehouse, "
            "read) decides which operations it may call; another merchant's data answers 404.",
        }
    }
    scopes = {
        (method.lower(), route.path): route_scopes(route)
        for route in api_routes(app.routes)
        if route.include_in_schema
        for method in route.methods
    }
    for path, operations in doc.get("paths", {}).items():
        for method, op in operations.items():
            _describe(path, op, scopes.get((method, path), ()))
    doc["components"]["schemas"].pop("HTTPValidationError", None)
    doc["components"]["schemas"].pop("ValidationError", None)
    return doc


def _describe(path: str, op: dict[str, Any], scopes: tuple[str, ...]) -> None:
    info = DOCS.get(op.get("operationId", ""))
    if info is not None:
        op["summary"] = info.summary
        if not op.get("description") and info.description:
            op["description"] = info.description
    if scopes:
        op["security"] = [{SECURITY_SCHEME: []}]
        op["description"] = (op.get("description", "") + f"\n\nKey scopes: {', '.join(scopes)}.").strip()
    responses = op.setdefault("responses", {})
    wanted: dict[int, str] = {}
    if scopes:
        wanted[401] = "no key, or an unknown, revoked or expired one"
        wanted[403] = f"a key of another scope (this operation takes: {', '.join(scopes)})"
    if any(p["in"] == "path" for p in op.get("parameters", [])):
        wanted[404] = "nothing by this id for this merchant (another merchant's resources answer the same)"
    body = "requestBody" in op
    if body:
        wanted[400] = "the body is not valid JSON (`malformed_json`)"
        wanted[413] = "the body is over the size limit (`payload_too_large`)"
    if body or op.get("parameters"):
        wanted[422] = "a field is invalid: `error.details` names each (`invalid_request`)"
    if info is not None:
        wanted.update(info.errors)
        if body and info.example is not None:
            for content in op["requestBody"].get("content", {}).values():
                content["example"] = copy.deepcopy(info.example)
    for status, description in sorted(wanted.items()):
        known = responses.get(str(status), {}).get("description")
        responses[str(status)] = _error(status, known if known and known != "Validation Error" else description)
    op["responses"] = dict(sorted(responses.items()))


def install(app: FastAPI) -> None:
    """The document above as the app's `/openapi.json`, and `/docs` and `/redoc` from the app's own assets.
    The app is made with `docs_url=None, redoc_url=None` (FastAPI's own pages load from a CDN)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - API",
            oauth2_redirect_url=f"{root}/docs/oauth2-redirect",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            swagger_ui_parameters={"persistAuthorization": True},
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - API reference",
            redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )
