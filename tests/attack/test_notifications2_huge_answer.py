"""Attack: an endpoint answers with an endless body and the sender reads all of it into memory.

`WebhookSender._post` (activities/webhook_sender.py) awaits `client.post(...)`, which reads the whole response
body before returning, then keeps at most 200 characters of it (`_answer`). The attempt's time limit bounds
the time, not the size: within the 10 s limit a hostile public endpoint streams gigabytes, all of it held in
the worker's memory (and `r.text` decodes a copy) for each of the round's 16 concurrent attempts. Ten such
endpoints OOM-kill the worker running the outbox drain; Temporal restarts the drain, which claims the same
deliveries again: every merchant's webhooks and every shopper's emails (the same drain) stop.

Shown with a local receiver that answers 500 with a 64 MB body: the sender reads every byte of it.
A fix: `client.stream("POST", ...)` and read at most MAX_ERROR bytes (`aiter_bytes` until enough), then close.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest

from activities.webhook_sender import WebhookSender
from db import webhook_deliveries as q
from db import webhook_endpoints as endpoints
from db.session import session_scope
from tests.activities.test_webhook_sender import T0
from tests.factories import new_merchant

BODY = 64 * 1024 * 1024  # far more than a socket's buffers hold: all of it sent means all of it read
CHUNK = b"x" * 65536


@pytest.fixture
def flooding_endpoint() -> Iterator[tuple[str, dict]]:
    """Answers any request with 500 and a 64 MB body; `sent` counts what the client took."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    stats = {"sent": 0}

    def serve() -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(5)
            data = b""
            while b"\r\n\r\n" not in data:  # the request's head (its body is left unread: small)
                data += conn.recv(65536)
            try:
                conn.sendall(f"HTTP/1.1 500 Internal Server Error\r\nContent-Length: {BODY}\r\n\r\n".encode())
                while stats["sent"] < BODY:
                    conn.sendall(CHUNK)
                    stats["sent"] += len(CHUNK)
            except OSError:  # the client closed: it read no more
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/hooks", stats
    finally:
        listener.close()
        thread.join(timeout=10)


async def test_an_endless_answer_is_not_read_into_memory(engine, flooding_endpoint):
    url, stats = flooding_endpoint
    merchant_id, _, _ = new_merchant(engine)
    with session_scope(engine) as session:
        row = endpoints.create_endpoint(session, merchant_id, url, None, None, T0)
    with session_scope(engine) as session:
        (delivery_id,) = q.add_ping(session, merchant_id, row.id, T0, timedelta(minutes=1))
    ((_, outcome, _),) = await WebhookSender(engine, timeout_seconds=5).send_now([delivery_id], T0)
    assert not outcome.delivered and outcome.status_code in (500, None)
    assert stats["sent"] < BODY, f"the sender read all {stats['sent']} bytes of the answer to keep 200 characters"
