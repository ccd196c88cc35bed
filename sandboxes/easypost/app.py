"""A local EasyPost-v2-compatible server for Returnflow's tests and dev stack.

The real `easypost` SDK works against it unchanged:
`easypost.EasyPostClient(key, api_base="http://127.0.0.1:PORT/v2")`.  State lives in memory,
per app instance, or, given a data dir, in a SQLite file there that a restart picks up (state.py).
The api_*.py modules hold the /v2 wire endpoints, admin.py /_sandbox/*.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import time
from collections.abc import AsyncIterator
from collections.abc import Set as AbstractSet
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from sandboxes.easypost import admin, api_operations, api_shipping, api_tracking
from sandboxes.easypost.errors import ApiError
from sandboxes.easypost.faults import Faults
from sandboxes.easypost.state import DEFAULT_API_KEY, Sandbox
from sandboxes.persist import FlushBeforeAnswer


def _api_key(request: Request) -> str | None:
    """Bearer <key> (what the SDK sends) or Basic with the key as user name (curl -u KEY:)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        return value or None
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(value, validate=True).decode("utf-8").partition(":")[0] or None
        except (binascii.Error, UnicodeDecodeError):
            return None
    return None


async def require_api_key(request: Request) -> None:
    key = _api_key(request)
    if key is None:
        raise ApiError(401, "APIKEY.REQUIRED", "This resource requires an API key.")
    sandbox = request.app.state.sandbox
    seen = key if key in sandbox.api_keys else f"unknown…{key[-4:]}"  # a key the sandbox does not know: never echoed
    sandbox.keys_used[seen] += 1
    sandbox.last_api_key = seen
    if key not in request.app.state.sandbox.api_keys:
        raise ApiError(401, "APIKEY.INVALID", "The API key provided is invalid.")


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(ApiError(status, code, message).body(), status_code=status)


def create_app(
    *,
    api_keys: AbstractSet[str] = frozenset({DEFAULT_API_KEY}),
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
    faults: str | None = None,
    data_dir: Path | None = None,
) -> FastAPI:
    """A fresh sandbox, or the one saved in `data_dir`. `faults` is a JSON fault spec (see faults.py);
    invalid specs raise ValueError."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        tasks = list(app.state.sandbox.tasks)  # pending webhook retries die with the server
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        app.state.sandbox.flush()
        app.state.sandbox.journal.close()

    app = FastAPI(
        title="Returnflow EasyPost sandbox",
        lifespan=lifespan,
        docs_url="/_sandbox/docs",
        redoc_url=None,
        openapi_url="/_sandbox/openapi.json",
    )
    app.state.sandbox = Sandbox(set(api_keys), webhook_url, webhook_secret, data_dir)
    app.state.faults = Faults(faults)
    app.add_middleware(FlushBeforeAnswer, flush=app.state.sandbox.flush)  # a faulted answer's work is saved too

    @app.middleware("http")
    async def inject_faults(request: Request, call_next):  # type: ignore[no-untyped-def]
        # Faults fire before routing, so a faulted request changes nothing (a faulted buy buys nothing),
        # unless the rule says after_execute: then the request runs and its answer is lost.
        if not request.url.path.startswith("/v2/"):
            return await call_next(request)
        # When each call arrived (GET /_sandbox/requests): tests check the rate the carrier sees.
        request.app.state.sandbox.requests.append((time.time(), request.method, request.url.path))
        faults = request.app.state.faults
        try:
            after = await faults.apply(request.method, request.url.path)
        except ApiError as exc:
            return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)
        response = await call_next(request)
        if after is not None:
            try:
                await faults.inject(after)
            except ApiError as exc:
                async for _ in response.body_iterator:  # the work is done; its answer is dropped
                    pass
                return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)
        return response

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            return _error(404, "NOT_FOUND", "The requested resource could not be found.")
        if exc.status_code == 405:
            return _error(405, "METHOD_NOT_ALLOWED", "The requested method is not allowed.")
        return _error(exc.status_code, "ERROR", str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            ApiError(422, "PARAMETER.INVALID", "Invalid parameters.", [str(e.get("msg")) for e in exc.errors()]).body(),
            status_code=422,
        )

    @app.exception_handler(Exception)
    async def crash(_: Request, exc: Exception) -> JSONResponse:
        # Even a sandbox bug must answer with an EasyPost error body, or the SDK raises JsonError.
        return _error(500, "INTERNAL_SERVER_ERROR", f"Sandbox error: {type(exc).__name__}: {exc}")

    for api in (api_shipping, api_tracking, api_operations):
        app.include_router(api.router, prefix="/v2", dependencies=[Depends(require_api_key)])
    app.include_router(admin.router)
    return app
