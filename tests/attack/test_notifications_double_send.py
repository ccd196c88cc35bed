"""Attack: two outbox drains at once send a shopper's email twice; a redelivery while the sender holds a delivery
hands it to a second sender.

Two drains run at once more often than the singleton OutboxWorkflow suggests: a worker that dies keeps its drain
going until the heartbeat timeout (a minute) while Temporal starts the next one; a round whose webhook half raised
returns while its mail thread still runs (asyncio.gather does not stop the other), so the next round starts a
second `send_due` beside it; a test or an operator calls `drain_once` next to the worker's.

Emails: `ShopperMailer.send_due` (activities/shopper_mail.py) claims nothing. `_one` checks the row is pending,
sends, and only then records it sent, so every drain that read the row before the first one's 250 sends it too.
The issue promises each email "at most once per return and kind". Fix: claim before sending, as the webhook
sender does (a conditional UPDATE of next_attempt_at to now + lease, or a `sending` status, where status =
pending AND next_attempt_at <= now; only the drain whose UPDATE hit 1 row sends).

Webhooks: `redeliver` (db/webhook_deliveries.py) sets a delivery that a sender has claimed (pending, leased until
now + lease) due now again, so the next round claims it a second time while the first attempt is still in flight.
Fix: leave a delivery that is pending alone (409 "already pending"), or keep its lease.
"""

from __future__ import annotations

import asyncio
import email
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select

from activities.email import SmtpConfig
from db import webhook_deliveries as q
from db import webhook_endpoints as endpoints
from db.session import make_engine, session_scope
from db.tables import EventDelivery, ShopperEmail
from domain.notifications import EventType, MailKind
from tests.activities.shopper_mail_setup import T0, branded_return, keep, mailer
from tests.activities.test_email import Setup
from tests.activities.test_webhook_sender import add
from tests.conftest import free_port
from tests.factories import new_merchant
from tests.polling import poll


@dataclass
class SlowSmtp:
    """An SMTP server that holds each message until `release` is set (a busy relay), keeping what it accepted."""

    messages: list[email.message.Message] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    release: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server, session, envelope) -> str:
        await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 30)
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def slow_smtp(database_url) -> Iterator[tuple[Setup, SlowSmtp]]:
    handler = SlowSmtp()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    engine = make_engine(database_url)
    smtp = SmtpConfig(host="127.0.0.1", port=controller.port, sender="returns@returnflow.example")
    try:
        yield Setup(engine, None, smtp, ""), handler
    finally:
        controller.stop()
        engine.dispose()


def test_two_drains_at_once_send_an_email_once(slow_smtp):
    s, smtp = slow_smtp
    shop = branded_return(s, language="en")
    keep(s, shop, MailKind.RECEIVED, status="received")
    first, second = mailer(s), mailer(s)
    start = threading.Barrier(2)

    def drain(m) -> None:
        start.wait()
        m.send_due(T0)

    threads = [threading.Thread(target=drain, args=(m,)) for m in (first, second)]
    for t in threads:
        t.start()
    # One mailer is held at DATA with the email; the other must find it claimed and return without sending.
    poll(lambda: sum(not t.is_alive() for t in threads), timeout=20, what="one mailer to leave the email alone")
    smtp.release.set()
    for t in threads:
        t.join(timeout=30)
    with session_scope(s.engine) as session:
        row = session.exec(select(ShopperEmail).where(ShopperEmail.return_id == shop.return_id)).one()
        assert row.status == "sent"
    ids = [m["Message-ID"] for m in smtp.messages]
    assert len(ids) == 1, f"the shopper got {len(ids)} copies of one email: {ids}"


def test_a_redelivery_does_not_hand_an_in_flight_delivery_to_a_second_sender(engine):
    merchant_id, _, _ = new_merchant(engine)
    with session_scope(engine) as session:
        endpoints.create_endpoint(session, merchant_id, "https://erp.example/hooks", None, None, T0)
    add(engine, merchant_id, "ret_redeliver_race", EventType.RETURN_RECEIVED)
    lease = timedelta(seconds=60)
    with session_scope(engine) as session:
        held = q.claim_due(session, T0, lease)  # the drain's sender posts it now (10 s at most)
    assert len(held) == 1
    # The merchant clicks "redeliver" meanwhile: a pending delivery is refused (the API's 409 delivery_pending).
    with pytest.raises(q.DeliveryPending), session_scope(engine) as session:
        q.redeliver(session, merchant_id, held[0].delivery_id, T0 + timedelta(seconds=1))
    with session_scope(engine) as session:
        again = q.claim_due(session, T0 + timedelta(seconds=2), lease)  # the next round, the first post still open
        row = session.get(EventDelivery, held[0].delivery_id)
        assert row.status == "pending"
    assert again == [], "one delivery, two senders posting it at once"
