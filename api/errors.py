"""Every error is JSON: `{"error": {"code", "message", "details"?}}`; never a stack trace."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.log_redaction import redact
from db.credentials import UnreadableCredentials

log = logging.getLogger("returnflow.api")
MAX_DETAILS = 50


class ErrorResponse(JSONResponse):
    """ASCII-escaped JSON: an error may quote input (a field name, a value) that is not valid UTF-8 text."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


class ApiError(Exception):
    """Raise from a route for a clear 4xx/5xx: a stable code and a human message."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


def _field(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    out = ""
    for p in parts:
        out += f"[{p}]" if p.isdigit() else (f".{p}" if out else p)
    return out or "body"


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return ErrorResponse(error_body(exc.code, exc.message, **exc.extra), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return ErrorResponse(error_body("malformed_json", "the request body is not valid JSON"), status_code=400)
        # The first MAX_DETAILS problems: a hostile body can have one per element, and the answer must stay small.
        details = [
            {"field": _field(tuple(e.get("loc", ()))), "message": e.get("msg", "")} for e in errors[:MAX_DETAILS]
        ]
        summary = "; ".join(f"{d['field']}: {d['message']}" for d in details)
        more = len(errors) - len(details)
        extra = {"more_problems": more} if more > 0 else {}
        summary += f"; and {more} more" if more > 0 else ""
        return ErrorResponse(error_body("invalid_request", summary, details=details, **extra), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {
            401: "unauthorized",
            403: "forbidden",
            404: "not_found",
            405: "method_not_allowed",
            413: "payload_too_large",
        }
        return ErrorResponse(
            error_body(codes.get(exc.status_code, "http_error"), str(exc.detail)),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(UnreadableCredentials)
    async def _unreadable(_: Request, exc: UnreadableCredentials) -> JSONResponse:
        # The operator's encryption key changed: nothing the caller can fix, and no other account is used instead.
        message = "this merchant's stored carrier/payment keys cannot be read with the configured key; retry later"
        return ErrorResponse(error_body("credentials_unreadable", message), status_code=503)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, redact(request.url.path))
        return ErrorResponse(error_body("internal_error", "something went wrong on our side"), status_code=500)
