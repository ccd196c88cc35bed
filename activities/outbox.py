"""The outbox drain: one long-running activity that sends what is due, for every return at once.

Runs in the one OutboxWorkflow (workflows/outbox_workflow.py), so exactly one drain runs in the whole
cluster, and Temporal starts it again on another worker when this one dies (its heartbeat stops).
Each round asks the webhook sender and the shopper mailer to send what is due now; an idle round
waits `poll_seconds` before looking again. What is sent, when and how often is theirs to decide
(activities/webhook_sender.py, activities/shopper_mail.py): this loop only keeps them going.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from temporalio import activity

from db.types import utcnow

log = logging.getLogger("returnflow.outbox")


class OutboxDrain:
    def __init__(self, webhooks, mailer, poll_seconds: float = 1.0, clock: Callable[[], datetime] = utcnow) -> None:
        self._webhooks = webhooks  # async deliver_due(now) -> int
        self._mailer = mailer  # sync send_due(now) -> int, run in a thread
        self._poll = poll_seconds
        self._clock = clock
        # The mail half's thread of its own: the event loop's default threads also serve name lookups and other
        # activities, and a round must not wait behind them.
        self._mail_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-mail")

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
                self._webhooks.deliver_due(now), asyncio.shield(mailing), return_exceptions=True
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
        """Rounds until `run_for_seconds` have passed (the workflow then continues as new); a failing round
        is logged and tried again, never left to stop the drain."""
        deadline, total = time.monotonic() + run_for_seconds, 0
        while time.monotonic() < deadline:
            activity.heartbeat()
            try:
                done = await self.drain_once()
            except Exception:  # a database hiccup: the next round tries again
                log.exception("outbox round failed")
                done = 0
            total += done
            if not done:
                await asyncio.sleep(self._poll)
        return total
