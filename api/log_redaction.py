"""Keep credentials out of access logs: a portal link's path is its only credential."""

from __future__ import annotations

import logging
import re

_PORTAL_TOKEN = re.compile(r"/portal/[^/?#\s\"]+")


def redact(text: str) -> str:
    return _PORTAL_TOKEN.sub("/portal/[link]", text)


class RedactPortalLinks(logging.Filter):
    """Rewrites the request path in uvicorn's access log records (their args hold the path)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def install() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactPortalLinks) for f in access.filters):
        access.addFilter(RedactPortalLinks())
