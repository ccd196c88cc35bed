"""The sink's memory: every message accepted over SMTP, parsed once, kept in arrival order.

Test recipients, by the address's local part (any domain, an optional `+tag`), in the
spirit of the payments sandbox's test cards:

* `bounce@…`   – refused at RCPT with `550 5.1.1` (no such mailbox): a permanent failure.
* `tempfail@…` – refused at RCPT with `451 4.3.0` (try again later): a transient failure.

Everything else is accepted. The SMTP handler and the HTTP endpoints run on one event loop,
so the inbox needs no lock.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from typing import Any

BOUNCE = "550 5.1.1 Recipient address rejected: mailbox unavailable (sandbox test address)"
TEMPFAIL = "451 4.3.0 Recipient address temporarily unavailable, try again later (sandbox test address)"
MAX_MESSAGES = 1000  # oldest dropped first: a long `make run` session stays small


def _local_part(address: str) -> str:
    return address.rpartition("@")[0].split("+", 1)[0].lower()


def refusal(address: str) -> str | None:
    """The SMTP reply that refuses `address` as a recipient, or None to accept it."""
    return {"bounce": BOUNCE, "tempfail": TEMPFAIL}.get(_local_part(address))


def _header(msg: EmailMessage, name: str) -> str | None:
    """A header's value, unfolded: a long one may be folded right after its colon (legal, RFC 5322)."""
    value = msg.get(name)
    return None if value is None else str(value).strip()


@dataclass
class Received:
    id: str
    received_at: datetime
    envelope_from: str
    envelope_to: list[str]
    raw: bytes
    message: EmailMessage = field(repr=False)

    def addressed_to(self, address: str) -> bool:
        wanted = address.strip().lower()
        header_to = [a for _, a in getaddresses(self.message.get_all("To", []) + self.message.get_all("Cc", []))]
        return any(a.lower() == wanted for a in [*self.envelope_to, *header_to])

    def to_json(self, with_content: bool = True) -> dict[str, Any]:
        msg = self.message
        text, html = msg.get_body(("plain",)), msg.get_body(("html",))
        attachments = []
        for part in msg.walk():
            if part.is_multipart() or part is text or part is html:
                continue
            content = part.get_payload(decode=True) or b""
            item = {
                "filename": part.get_filename(),
                "content_type": part.get_content_type(),
                "content_id": part.get("Content-ID"),
                "size": len(content),
                "sha256": hashlib.sha256(content).hexdigest(),
            }
            if with_content:
                item["content_base64"] = base64.b64encode(content).decode()
            attachments.append(item)
        return {
            "id": self.id,
            "received_at": self.received_at.isoformat(),
            "envelope_from": self.envelope_from,
            "envelope_to": self.envelope_to,
            "message_id": _header(msg, "Message-ID"),
            "from": _header(msg, "From"),
            "to": [a for _, a in getaddresses(msg.get_all("To", []))],
            "subject": _header(msg, "Subject"),
            "date": _header(msg, "Date"),
            "headers": [[k, str(v).strip()] for k, v in msg.items()],
            "text": text.get_content() if text is not None else None,
            "html": html.get_content() if html is not None else None,
            "attachments": attachments,
            "size": len(self.raw),
        }


class Inbox:
    """aiosmtpd handler (handle_RCPT, handle_DATA) and the store the admin endpoints read."""

    def __init__(self, max_messages: int = MAX_MESSAGES) -> None:
        self.messages: deque[Received] = deque(maxlen=max_messages)
        self.refused = 0
        self._ids = itertools.count(1)

    # ---- SMTP side (aiosmtpd calls these) ------------------------------------------------
    async def handle_RCPT(self, server, session, envelope, address: str, rcpt_options: list[str]) -> str:
        if reply := refusal(address):
            self.refused += 1
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        raw = envelope.original_content or envelope.content
        raw = raw if isinstance(raw, bytes) else raw.encode()
        message = BytesParser(policy=policy.default).parsebytes(raw.replace(b"\r\n", b"\n"))  # text as \n lines
        self.messages.append(
            Received(
                id=f"msg_{next(self._ids):06d}",
                received_at=datetime.now(UTC),
                envelope_from=envelope.mail_from or "",
                envelope_to=list(envelope.rcpt_tos),
                raw=raw,
                message=message,
            )
        )
        return "250 2.0.0 OK: queued in the sandbox"

    # ---- what the admin side reads -------------------------------------------------------
    def find(self, to: str | None = None) -> list[Received]:
        return [m for m in self.messages if to is None or m.addressed_to(to)]

    def get(self, message_id: str) -> Received | None:
        return next((m for m in self.messages if m.id == message_id), None)

    def clear(self) -> int:
        count = len(self.messages)
        self.messages.clear()
        return count

    def stats(self) -> dict[str, int]:
        return {"messages": len(self.messages), "refused_recipients": self.refused}
