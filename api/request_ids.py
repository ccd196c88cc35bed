"""A request id on every request: taken from `X-Request-ID` when it is a sane one (a proxy's, a client's), else
made here; answered in the response's `X-Request-ID`, bound for every log line of the request (workers/logs.py)
with the return it is about (`/v1/returns/{return_id}/...`), and kept in `request.state.request_id`.

Installed around the whole middleware stack, Starlette's error middleware included, so a 500 carries it too.
"""

from __future__ import annotations

import re
import uuid

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from structlog.contextvars import bind_contextvars, reset_contextvars

HEADER = "X-Request-ID"
_HEADER_KEY = HEADER.lower().encode()
# What a client may send: bounded, and nothing a log line or a header could be broken by.
_SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
# Return ids the API mints are "ret_" and hex (workflows/ids.py); the routes name them `{return_id}`.
_RETURN_IN_PATH = re.compile(r"^/v1/(?:returns|items)/(ret_[A-Za-z0-9]{1,60})(?:/|$)")


def request_id_of(headers: list[tuple[bytes, bytes]]) -> str:
    for key, value in headers:
        if key.lower() == _HEADER_KEY:
            sent = value.decode("latin-1")
            if _SANE.fullmatch(sent):
                return sent
            break
    return uuid.uuid4().hex


class RequestIds:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope.get("headers") or [])
        scope.setdefault("state", {})["request_id"] = request_id
        fields = {"request_id": request_id}
        if match := _RETURN_IN_PATH.match(scope.get("path", "")):
            fields["return_id"] = match.group(1)
        tokens = bind_contextvars(**fields)
        header = (_HEADER_KEY, request_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() != _HEADER_KEY]
                message = {**message, "headers": [*headers, header]}
            await send(message)

        await self.app(scope, receive, send_with_id)
        # Unbound only after a request that did not fail: the lines logged about a failure further out
        # (uvicorn's "Exception in ASGI application") keep the id; uvicorn runs each request in a task of its own.
        reset_contextvars(**tokens)


def install(app: FastAPI) -> None:
    """Outermost: wraps whatever the app builds as its middleware stack (OpenTelemetry's included, which
    patches the same method; install this after it)."""
    build = app.build_middleware_stack
    app.build_middleware_stack = lambda: RequestIds(build())  # type: ignore[method-assign]
