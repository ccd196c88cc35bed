"""The mail sandbox as one ASGI app: its lifespan runs the SMTP server on the same event loop.

    app = create_app(smtp_host="127.0.0.1", smtp_port=8025)   # uvicorn serves the HTTP side

Admin endpoints (no auth, like the other sandboxes' /_sandbox):

* `GET /_sandbox/messages?to=<address>` – JSON array, oldest first: from, to, subject, text,
  html, attachments (filename, content_type, size, sha256, content_base64); `to` matches the
  envelope recipients and the To/Cc headers, case-insensitively.
* `GET /_sandbox/messages/{id}` – one message; `GET /_sandbox/messages/{id}/raw` – as received.
* `DELETE /_sandbox/messages` – forget every message.
* `GET /_sandbox/stats`, `GET /_sandbox/health`.

Test recipients that are refused: inbox.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiosmtpd.smtp import SMTP
from fastapi import FastAPI, HTTPException, Response

from sandboxes import access_log
from sandboxes.mail.inbox import Inbox
from sandboxes.serve import serve_in_thread

SERVER_NAME = "mail-sandbox.returnflow.test"  # given, so aiosmtpd does not look up our FQDN per connection


def create_app(*, smtp_host: str = "127.0.0.1", smtp_port: int = 8025, inbox: Inbox | None = None) -> FastAPI:
    """`smtp_port=0` picks a free port; once started, the bound one is `app.state.smtp_port`."""
    inbox = inbox or Inbox()
    # aiosmtpd logs every sender and recipient at INFO: addresses stay out of the logs,
    # and out of the access log when a test or a developer filters the inbox by `?to=`.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    access_log.install()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: SMTP(inbox, hostname=SERVER_NAME, enable_SMTPUTF8=True, loop=loop),
            host=smtp_host,
            port=smtp_port,
            reuse_address=True,
        )
        app.state.smtp_port = server.sockets[0].getsockname()[1]
        try:
            yield
        finally:
            server.close()
            await server.wait_closed()

    app = FastAPI(
        title="Returnflow mail sandbox (SMTP sink)",
        lifespan=lifespan,
        docs_url="/_sandbox/docs",
        openapi_url="/_sandbox/openapi.json",
        redoc_url=None,
    )
    app.state.inbox = inbox

    @app.get("/_sandbox/health")
    async def health() -> dict[str, Any]:
        return {"ok": True}

    @app.get("/_sandbox/stats")
    async def stats() -> dict[str, Any]:
        return {**inbox.stats(), "smtp_port": app.state.smtp_port}

    @app.get("/_sandbox/messages")
    async def messages(to: str | None = None, content: bool = True) -> list[dict[str, Any]]:
        """Oldest first; `content=false` leaves out the attachments' bytes (size and sha256 stay)."""
        return [m.to_json(with_content=content) for m in inbox.find(to)]

    @app.delete("/_sandbox/messages")
    async def clear() -> dict[str, int]:
        return {"deleted": inbox.clear()}

    @app.get("/_sandbox/messages/{message_id}")
    async def message(message_id: str) -> dict[str, Any]:
        return _found(inbox, message_id).to_json()

    @app.get("/_sandbox/messages/{message_id}/raw")
    async def raw(message_id: str) -> Response:
        return Response(_found(inbox, message_id).raw, media_type="message/rfc822")

    return app


def _found(inbox: Inbox, message_id: str):
    found = inbox.get(message_id)
    if found is None:
        raise HTTPException(404, f"no message {message_id!r} (kept: the last {inbox.messages.maxlen})")
    return found


def serve_mail_in_thread(host: str = "127.0.0.1") -> tuple[str, int, Callable[[], None]]:
    """For tests: the sandbox on free ports in this process. Returns (http base URL, SMTP port, stop)."""
    app = create_app(smtp_host=host, smtp_port=0)
    url, stop = serve_in_thread(app, host=host)
    return url, app.state.smtp_port, stop
