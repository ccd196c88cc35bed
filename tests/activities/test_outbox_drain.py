"""The outbox drain's round (activities/outbox.py): it ends only when both halves have, whatever one of them does,
so one round's mail thread never sends beside the next round's."""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import UTC, datetime

import pytest

from activities.outbox import OutboxDrain
from tests.polling import poll_async

T0 = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
SEND_SECONDS = 0.2  # one slow SMTP send


class Failing:
    """A webhook half whose database is away; it names a shopper in its message, as a driver's error might."""

    async def deliver_due(self, now: datetime) -> int:
        raise RuntimeError("sam@example.com")


class Delivering:
    async def deliver_due(self, now: datetime) -> int:
        return 2


class SlowMailer:
    """Sends one email per call, slowly; keeps how many calls ran at once, at most."""

    def __init__(self, fail: bool = False, seconds: float = SEND_SECONDS) -> None:
        self._lock = threading.Lock()
        self.running = self.most = self.calls = 0
        self.release = threading.Event()
        self._fail, self._seconds = fail, seconds

    def send_due(self, now: datetime) -> int:
        with self._lock:
            self.calls += 1
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            self.release.wait(self._seconds)  # the relay's answer (or the test lets it go sooner)
            if self._fail:
                raise RuntimeError("sam@example.com")
            return 1
        finally:
            with self._lock:
                self.running -= 1


async def test_a_round_whose_webhook_half_fails_waits_for_its_mail_thread(caplog):
    mailer = SlowMailer()
    drain = OutboxDrain(Failing(), mailer)
    caplog.set_level(logging.ERROR, logger="returnflow.outbox")

    async def round_() -> int:  # as the drain's loop runs one (drain_outbox): a failed round counts 0
        try:
            return await drain.drain_once(T0)
        except Exception:  # noqa: BLE001
            return 0

    counts = [await round_() for _ in range(3)]  # back to back, as the drain does while mail is due

    assert (mailer.calls, mailer.most) == (3, 1), "two mail threads of the drain ran at once"
    assert counts == [1, 1, 1]  # each round's email counts; the failed half counts 0
    failures = [r.getMessage() for r in caplog.records]
    assert failures == ["outbox round: the webhooks half failed: RuntimeError"] * 3
    assert "sam@" not in caplog.text


async def test_a_failing_mail_half_does_not_lose_the_webhooks_count(caplog):
    drain = OutboxDrain(Delivering(), SlowMailer(fail=True))
    caplog.set_level(logging.ERROR, logger="returnflow.outbox")
    assert await drain.drain_once(T0) == 2
    assert [r.getMessage() for r in caplog.records] == ["outbox round: the mail half failed: RuntimeError"]
    assert "sam@" not in caplog.text


async def test_a_cancelled_round_still_ends_after_its_mail_thread():
    mailer = SlowMailer(seconds=10)  # a relay that answers when the test says so

    class Hanging:  # a webhook half still posting when the activity is cancelled
        async def deliver_due(self, now: datetime) -> int:
            await asyncio.Event().wait()
            return 0

    round_ = asyncio.ensure_future(OutboxDrain(Hanging(), mailer).drain_once(T0))
    await poll_async(lambda: mailer.running, what="the mail thread to start", timeout=5)
    round_.cancel()
    asyncio.get_running_loop().call_later(0.3, mailer.release.set)  # the relay answers a little later
    with pytest.raises(asyncio.CancelledError):
        await round_
    assert mailer.running == 0 and mailer.calls == 1, "the cancelled round left its mail thread sending"
