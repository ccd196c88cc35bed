"""A merchant controls how slowly its endpoint's name resolves. With every name-lookup thread stuck and the
event loop's default threads busy too, a drain round still sends the shopper's email, still records the
delivery (as a failed attempt, once its lookup is given up) and ends in bounded time."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from sqlmodel import select

from activities import webhook_targets
from activities.outbox import OutboxDrain
from activities.webhook_sender import WebhookSender
from db.session import session_scope
from db.tables import EventDelivery
from domain.notifications import EventType, MailKind
from tests.activities.shopper_mail_setup import T0, branded_return, keep, mailer
from tests.activities.test_email import _setup
from tests.activities.test_webhook_sender import add, make_endpoint, running_receiver


@pytest.fixture
def s(sqlite_url, sandboxes):
    yield from _setup(sqlite_url, sandboxes)


async def test_stuck_name_lookups_hold_back_neither_the_emails_nor_the_round(s, monkeypatch):
    monkeypatch.setattr(webhook_targets, "RESOLVE_SECONDS", 0.5)
    shop = branded_return(s, language="nl")
    keep(s, shop, MailKind.RECEIVED)
    with running_receiver() as receiver:
        make_endpoint(s.engine, shop.merchant_id, receiver)
        add(s.engine, shop.merchant_id, shop.return_id, EventType.RETURN_RECEIVED)
        release = threading.Event()
        loop = asyncio.get_running_loop()
        # Every lookup thread stuck (a name server that never answers), and the loop's default threads busy too.
        stuck = [webhook_targets.RESOLVERS.submit(release.wait) for _ in range(8)]
        busy = [loop.run_in_executor(None, release.wait) for _ in range(64)]
        try:
            started = time.monotonic()
            done = await asyncio.wait_for(OutboxDrain(WebhookSender(s.engine), mailer(s)).drain_once(T0), 30)
            elapsed = time.monotonic() - started
        finally:
            release.set()
            await asyncio.gather(*busy)
            for f in stuck:
                f.result()
        assert done == 2 and elapsed < 10
        [mail] = s.inbox(shop.email)  # the email went, whatever the webhooks' trouble
        assert "ontvangen" in (mail["subject"] + mail["text"]).lower()
        assert receiver.seen == []  # its name never resolved in time: not sent, and recorded as a failed attempt
        with session_scope(s.engine) as session:
            [d] = session.exec(select(EventDelivery).where(EventDelivery.merchant_id == shop.merchant_id))
        assert (d.status, d.attempts, d.last_error) == ("pending", 1, "connection failed")
