"""Sandbox access logs name no one: whatever looks like an email address in a request line
(`@` or `%40`, as in `/_sandbox/messages?to=<address>`) is written as `[email]`."""

from __future__ import annotations

import logging
import re

_EMAIL = re.compile(r"[^/?#&=\s\"]*(?:@|%40)[^/?#&=\s\"]*", re.IGNORECASE)


def redact(text: str) -> str:
    return _EMAIL.sub("[email]", text)


class RedactEmails(logging.Filter):
    """uvicorn's access records carry the request path in their args."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact(a) if isinstance(a, str) else a for a in record.args
            )
        elif isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def install() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactEmails) for f in access.filters):
        access.addFilter(RedactEmails())
