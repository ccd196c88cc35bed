"""Keep credentials and customer data out of access logs.

A portal link's path is its only credential. No route takes an email in its path or query
(store credit is looked up by a POST body), but a client may still put one in a URL (an old
route, a typo, a probe): whatever looks like an email address (`@` or `%40`) is dropped too.
"""

from __future__ import annotations

import logging
import re

_PORTAL_TOKEN = re.compile(r"/portal/[^/?#\s\"]+")
# Each run of characters between URL separators, once: linear in the URL's length (a pattern that looks for
# "@" inside each run backtracks quadratically, and a long URL from anyone would stall the event loop).
_TOKEN = re.compile(r"[^/?#&=\s\"]+")


def _email_token(match: re.Match[str]) -> str:
    token = match.group()
    return "[email]" if "@" in token or "%40" in token else token


def redact(text: str) -> str:
    return _TOKEN.sub(_email_token, _PORTAL_TOKEN.sub("/portal/[link]", text))


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
