"""One limit on every request body (settings.max_request_body_bytes): 413 with a JSON error above it.

Pure ASGI, outside everything else: a declared Content-Length over the limit is refused before
the app runs, and a body sent without one (chunked) is counted as it streams in and refused as
soon as it passes the limit, so no route ever buffers more than the limit. Routes that read
the body themselves (the EasyPost webhook) get the same limit and the same answer. Paths that take a
file (a shopper's photo) have their own larger limit (`per_path`: the first pattern that matches), and may
answer in their own way (the portal: a page in the shopper's language, not JSON); every other portal path
answers with the portal's localized 413 page.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import ErrorResponse, error_body
from api.shopper.web import too_large_answer as portal_too_large


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a streamed body passes the limit; errors.py answers it (413, JSON)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request bodies are limited to {limit} bytes")


def too_large(limit: int) -> ErrorResponse:
    return ErrorResponse(
        error_body("payload_too_large", f"request bodies are limited to {limit} bytes"), status_code=413
    )


# The shopper portal's forms answer a body past the limit with its localized page (CSP and all), not JSON.
PORTAL = re.compile(r"/portal(/.*)?")


# A path's own limit: (pattern, bytes) or (pattern, bytes, the answer to a body over it, made from the limit).
PathLimit = tuple[re.Pattern[str], int] | tuple[re.Pattern[str], int, Callable[[int], ASGIApp]]


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, per_path: tuple[PathLimit, ...] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.per_path = per_path

    def _limit(self, scope: Scope) -> tuple[int, Callable[[int], ASGIApp]]:
        path = scope.get("path", "")
        for rule in self.per_path:
            if rule[0].fullmatch(path):
                return rule[1], rule[2] if len(rule) > 2 else too_large
        return self.max_bytes, portal_too_large if PORTAL.fullmatch(path) else too_large

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes, refuse = self._limit(scope)
        declared = _content_length(scope)
        if declared is not None and declared > max_bytes:
            await refuse(max_bytes)(scope, receive, send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise BodyTooLarge(max_bytes)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracked_send)
        except BodyTooLarge:
            if started:  # a route that answered while still reading: nothing more to say
                raise
            await refuse(max_bytes)(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            if not (text.isascii() and text.isdigit()):
                return None  # the server refuses a malformed length before we see it
            return int(text) if len(text) <= 18 else 10**18
    return None
