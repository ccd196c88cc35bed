"""Request/response plumbing shared by the /v2 and /_sandbox routers."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from sandboxes.easypost.errors import ApiError
from sandboxes.easypost.state import Sandbox, paginate


def sandbox_of(request: Request) -> Sandbox:
    return request.app.state.sandbox


async def read_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApiError(400, "BAD_REQUEST", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "BAD_REQUEST", "The request body must be a JSON object.")
    return body


def base_url(request: Request) -> str:
    return str(request.base_url)  # "http://host:port/": label URLs point back at this sandbox


def ok(content: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(content, status_code=status)


def page(key: str, records: list[dict[str, Any]], request: Request, render: Any) -> JSONResponse:
    """A list answer, {key: [...], "has_more": bool}, paged by the request's query."""
    items, has_more = paginate(records, dict(request.query_params))
    return ok({key: [render(r) for r in items], "has_more": has_more})


def public(record: dict[str, Any]) -> dict[str, Any]:
    """The wire form of a record: internal keys start with an underscore."""
    return {k: v for k, v in record.items() if not k.startswith("_")}
