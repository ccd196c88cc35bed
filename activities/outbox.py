"""The outbox drain: one long-running activity that sends what is due, for every return at once.

Runs in the one OutboxWorkflow (workflows/outbox_workflow.py), so exactly one drain runs in the whole
cluster, and Temporal starts it again on another worker when this one dies (its heartbeat stops).
Two pumps turn side by side, the webhook sender's and the shopper mailer's, each asking for what is due now
and waiting `poll_seconds` when there was nothing (`drain_once` is one turn of both, for the tests). What is sent, when and how often is theirs to decide
(activities/webhook_sender.py, activities/shopper_mail.py): this loop only keeps them going.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from temporalio import activity

from db.types import utcnow

log = logging.getLogger("returnflow.outbox")
# A pump that has not turned for this long is stuck; both stuck, the drain stops its heartbeat (workflows/
# outbox_workflow.py's 5-minute timeout then starts it again). A turn is bounded below it: a claim, a mail round.
STUCK_SECONDS = 180


class OutboxDrain:
    def __init__(
        self,
        webhooks,
        mailer,
        poll_seconds: float = 1.0,
        clock: Callable[[], datetime] = utcnow,
        pipelined: bool = False,
    ) -> None:
        # pipelined (the worker's): a round starts webhook deliveries and goes on without waiting for the slowest
        # endpoint (activities/webhook_sender.py); the tests' rounds wait, so what a round did is done when it ends.
        self._pipelined = pipelined
        self._webhooks = webhooks  # async deliver_due(now) -> int
        self._mailer = mailer  # sync send_due(now) -> int, run in a thread
        self._poll = poll_seconds
        self._clock = clock
        # The mail half's thread of its own: the event loop's default threads also serve name lookups and other
        # activities, and a round must not wait behind them.
        self._mail_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-mail")

    def _deliver(self, now: datetime):
        return self._webhooks.deliver_due(now, wait=False) if self._pipelined else self._webhooks.deliver_due(now)

    async def drain_once(self, now: datetime | None = None) -> int:
        """One round: everything due at `now` (the tests pass a time of their own). The count sent or tried.

        The round ends only when both halves have: a mail thread cannot be stopped, and one still sending when the
        next round starts another would send beside it. A half that fails counts 0 (logged by its type only: a
        message could quote a shopper's data); the other's work counts, and the next round tries again."""
        now = now or self._clock()
        mailing = asyncio.ensure_future(
            asyncio.get_running_loop().run_in_executor(self._mail_thread, self._mailer.send_due, now)
        )
        try:
            results = await asyncio.gather(
                self._deliver(now),
                asyncio.shield(mailing),
                return_exceptions=True,
            )
        except asyncio.CancelledError:  # the activity is cancelled: still not before the mail thread is done
            await asyncio.wait({mailing})
            raise
        done = 0
        for half, result in zip(("webhooks", "mail"), results, strict=True):
            if isinstance(result, asyncio.CancelledError):
                raise result
            if isinstance(result, BaseException):
                log.error("outbox round: the %s half failed: %s", half, type(result).__name__)
            else:
                done += result
        return done

    @activity.defn
    async def drain_outbox(self, run_for_seconds: float) -> int:
        """Until `run_for_seconds` have passed (the workflow then continues as new): the webhooks and the emails
        as two pumps of their own, so slow mail never holds back events nor a slow endpoint the mail. A failing
        step is logged and tried again. The heartbeat goes while either pump turns: a slow mail relay (each SMTP
        step may take its 30 s timeout) must not get the webhooks restarted with it; both stuck stop it, and
        Temporal starts the drain again."""
        deadline = time.monotonic() + run_for_seconds
        turned = {"webhooks": time.monotonic(), "mail": time.monotonic()}
        counts = {"webhooks": 0, "mail": 0}

        async def pump(name: str, step: Callable[[], Awaitable[int]]) -> None:
            while time.monotonic() < deadline:
                try:
                    done = await step()
                except Exception as err:  # a database hiccup: the next turn tries again
                    log.error("outbox %s step failed: %s", name, type(err).__name__)
                    done = 0
                counts[name] += done
                turned[name] = time.monotonic()
                if not done:
                    await asyncio.sleep(self._poll)

        async def heartbeats() -> None:
            while time.monotonic() < deadline:
                if any(time.monotonic() - at < STUCK_SECONDS for at in turned.values()):
                    activity.heartbeat()
                await asyncio.sleep(5)

        loop = asyncio.get_running_loop()
        await asyncio.gather(
            pump("webhooks", lambda: self._deliver(self._clock())),
            pump("mail", lambda: loop.run_in_executor(self._mail_thread, self._mailer.send_due, self._clock())),
            heartbeats(),
        )
        if self._pipelined:
            await self._webhooks.settle()  # what this run started is recorded before the next run begins
        return counts["webhooks"] + counts["mail"]
