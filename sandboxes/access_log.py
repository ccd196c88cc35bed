"""Sandbox access logs name no one: whatever looks like an email address in a request line
(`@` or `%40`, as in `/_sandbox/messages?to=<address>`) is written as `[email]`."""

from __future__ import annotations

import logging
import re

# Each run between URL separators, once (linear; a pattern hunting "@" inside runs backtracks quadratically).
# The API has its own copy (api/log_redaction.py): the sandboxes stand apart from the product.
_TOKEN = re.compile(r"[^/?#&=\s\"]+")


def redact(text: str) -> str:
    return _TOKEN.sub(lambda m: "[email]" if "@" in m.group() or "%40" in m.group().lower() else m.group(), text)


class RedactEmails(logging.Filter):
    """uvicorn's access records carry the request path in their args."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def install() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactEmails) for f in access.filters):
        access.addFilter(RedactEmails())
