"""Issue #14's "done when": a return through refund, one through exchange, one cancelled and one expired each
produce their shopper emails (in Dutch or English) and their merchant events (verified with the
standardwebhooks verifier by a local receiver), exactly once each, in order per return.

Real workflows (time-skipping), real activities, the real SMTP sink, a real HTTP receiver; the outbox is
drained by the same OutboxDrain the worker runs, called here round by round with the time it should see.
"""

from __future__ import annotations

import base64
import secrets
import threading
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from sqlmodel import select
from standardwebhooks.webhooks import Webhook

from activities.email import SmtpConfig
from activities.outbox import OutboxDrain
from activities.shopper_mail import ShopperMailer
from activities.webhook_sender import WebhookSender
from db.session import session_scope
from db.tables import Order, ReturnChoice, ShopperEmail, WebhookEndpoint
from db.types import utcnow
from domain.status import ReturnStatus
from tests.polling import poll_async
from tests.workflows.test_exchange_paths import exchange_return
from tests.workflows.test_return_workflow import closed, scan, submitted
from workflows.messages import CancelRequest
from workflows.returns import ReturnWorkflow


class Receiver:
    """A merchant's endpoint: keeps every request as it came (verified by the test, not here)."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        received = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def listen(h, merchant_id: str, url: str) -> str:
    """An endpoint for every event; its secret."""
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    with session_scope(h.engine) as s:
        s.add(WebhookEndpoint(id=f"we_{uuid.uuid4().hex[:12]}", merchant_id=merchant_id, url=url, secret=secret))
    return secret


def shopper(h, inp, language: str) -> str:
    """The return's shopper gets an address of its own and reads in `language`."""
    address = f"shopper-{inp.return_id[-10:]}@example.com"
    with session_scope(h.engine) as s:
        order = s.get(Order, (inp.merchant_id, inp.context.order.order_id))
        order.customer = {**order.customer, "email": address}
        s.add(order)
        s.add(
            ReturnChoice(return_id=inp.return_id, merchant_id=inp.merchant_id, language=language, send_method="label")
        )
    return address


def drain_for(h):
    smtp_host, _, smtp_port = h.sandboxes["smtp"].rpartition(":")
    smtp = SmtpConfig(host=smtp_host, port=int(smtp_port), sender=h.settings.mail_from)
    return OutboxDrain(WebhookSender(h.engine), ShopperMailer(h.engine, smtp, lambda r, m: f"https://shop.test/r/{r}"))


async def drained(drain: OutboxDrain, now=None) -> None:
    """Rounds until one finds nothing due."""
    for _ in range(50):
        if not await drain.drain_once(now or utcnow()):
            return
    raise AssertionError("the outbox never ran dry")


def events_of(receiver: Receiver, secret: str, return_id: str) -> list[str]:
    """The event types the endpoint received for the return, in order; each verified as Standard Webhooks."""
    seen = []
    for headers, body in receiver.requests:
        payload = Webhook(secret).verify(body, headers)  # raises on a bad signature
        if payload["data"]["return"]["return_id"] == return_id:
            assert payload["data"]["event_id"] == headers["webhook-id"]  # the payload names its event too
            seen.append((headers["webhook-id"], payload["type"]))
    ids = [i for i, _ in seen]
    assert len(ids) == len(set(ids)), f"an event was delivered twice: {seen}"
    return [t for _, t in seen]


def mails_of(h, address: str, return_id: str) -> list[tuple[str, str]]:
    """(kind, Content-Language) of each mail the shopper received, in order; the kind from its Message-ID."""
    r = httpx.get(f"{h.sandboxes['mail']}/_sandbox/messages", params={"to": address, "content": "false"})
    r.raise_for_status()
    with session_scope(h.engine) as s:
        kinds = {
            row.message_id: row.kind
            for row in s.exec(select(ShopperEmail).where(ShopperEmail.return_id == return_id))
            if row.message_id
        }
    out = []
    for m in r.json():
        headers = dict(m["headers"])
        out.append((kinds.get(m["message_id"], m["message_id"]), headers.get("Content-Language")))
    return out


async def until_mailed(h, address, return_id, n):
    def enough():
        mails = mails_of(h, address, return_id)
        return mails if len(mails) >= n else None

    return await poll_async(enough, what=f"{n} emails")


async def test_a_refund_return_is_told_step_by_step_in_dutch(harness, receiver):
    h, drain = harness, drain_for(harness)
    inp = h.new_return()
    secret, address = listen(h, inp.merchant_id, receiver.url), shopper(h, inp, "nl")
    handle, _ = await submitted(h, inp)
    await drained(drain)  # as the worker's drain does within its poll: the label email goes out
    await handle.signal(ReturnWorkflow.carrier_event, scan("evt_r1", "in_transit"))
    assert (await closed(handle)).status == ReturnStatus.COMPLETED  # received, inspected as new, settled
    await drained(drain)
    await drained(drain)  # a second drain sends nothing again
    assert events_of(receiver, secret, inp.return_id) == [
        "return.created",
        "return.label_created",
        "return.in_transit",
        "return.received",
        "return.inspected",
        "refund.succeeded",
        "return.completed",
    ]
    mails = await until_mailed(h, address, inp.return_id, 4)
    assert mails == [(k, "nl") for k in ("label_ready", "in_transit", "received", "refund_sent")]


async def test_an_exchange_return_is_told_in_english(harness, receiver):
    h, drain = harness, drain_for(harness)
    inp = exchange_return(h, "SHOE-43")
    secret, address = listen(h, inp.merchant_id, receiver.url), shopper(h, inp, "en")
    handle, _ = await submitted(h, inp)
    await drained(drain)
    await handle.signal(ReturnWorkflow.carrier_event, scan("evt_x1", "in_transit"))
    assert (await closed(handle)).status == ReturnStatus.COMPLETED  # received, inspected as new, settled
    await drained(drain)
    assert events_of(receiver, secret, inp.return_id) == [
        "return.created",
        "return.label_created",
        "return.in_transit",
        "return.received",
        "return.inspected",
        "exchange.shipped",
        "exchange.charged",
        "return.completed",
    ]
    mails = await until_mailed(h, address, inp.return_id, 4)
    assert mails == [(k, "en") for k in ("label_ready", "in_transit", "received", "exchange_shipped")]


async def test_a_cancelled_return_is_told_once(harness, receiver):
    h, drain = harness, drain_for(harness)
    inp = h.new_return()
    secret, address = listen(h, inp.merchant_id, receiver.url), shopper(h, inp, "nl")
    handle, _ = await submitted(h, inp)
    await drained(drain)  # as the worker's drain does within its poll: the label email goes out
    await handle.execute_update(ReturnWorkflow.cancel, CancelRequest(reason="changed my mind"))
    assert (await handle.result()).status == ReturnStatus.CANCELLED
    await drained(drain)
    assert events_of(receiver, secret, inp.return_id) == [
        "return.created",
        "return.label_created",
        "return.cancelled",
    ]
    mails = await until_mailed(h, address, inp.return_id, 2)
    assert mails == [("label_ready", "nl"), ("cancelled", "nl")]


async def test_a_label_voided_before_its_email_went_out_is_never_mailed(harness):
    h, drain = harness, drain_for(harness)
    inp = h.new_return()
    address = shopper(h, inp, "en")
    handle, view = await submitted(h, inp)
    await handle.execute_update(ReturnWorkflow.cancel, CancelRequest(reason="changed my mind"))
    assert (await handle.result()).status == ReturnStatus.CANCELLED  # the label voided
    await drained(drain)
    with session_scope(h.engine) as s:
        label_mail = s.exec(
            select(ShopperEmail).where(ShopperEmail.return_id == inp.return_id, ShopperEmail.kind == "label_ready")
        ).one()
        assert (label_mail.status, label_mail.about) == ("withdrawn", view.label.tracking_code)
    assert [k for k, _ in await until_mailed(h, address, inp.return_id, 1)] == ["cancelled"]


async def test_an_unused_label_is_reminded_of_then_expires(harness, receiver):
    h, drain = harness, drain_for(harness)
    inp = h.new_return()
    secret, address = listen(h, inp.merchant_id, receiver.url), shopper(h, inp, "en")
    handle, _ = await submitted(h, inp)
    await drained(drain)
    await until_mailed(h, address, inp.return_id, 1)  # the label email, before the reminder
    due = reminder_due(h, inp.return_id)  # 3 days before the label expires, on the workflow's clock
    await drained(drain, due - timedelta(minutes=1))
    assert [k for k, _ in mails_of(h, address, inp.return_id)] == ["label_ready"]  # not before its time
    await drained(drain, due + timedelta(minutes=1))
    assert (await handle.result()).status == ReturnStatus.EXPIRED  # the time-skipping server skips to the expiry
    await drained(drain, due + timedelta(days=4))
    assert events_of(receiver, secret, inp.return_id) == [
        "return.created",
        "return.label_created",
        "return.expired",
    ]
    mails = await until_mailed(h, address, inp.return_id, 3)
    assert mails == [("label_ready", "en"), ("label_reminder", "en"), ("expired", "en")]


def reminder_due(h, return_id: str):
    with session_scope(h.engine) as s:
        [row] = s.exec(
            select(ShopperEmail).where(ShopperEmail.return_id == return_id, ShopperEmail.kind == "label_reminder")
        )
        assert row.status == "pending" and row.scheduled
        return row.next_attempt_at
