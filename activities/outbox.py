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

    async def drain_once(self, now: datetime | None = None) -> int:
        """One round: everything due at `now` (the tests pass a time of their own). The count sent or tried."""
        now = now or self._clock()
        mailing = asyncio.to_thread(self._mailer.send_due, now)
        delivered, mailed = await asyncio.gather(self._webhooks.deliver_due(now), mailing)
        return delivered + mailed

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
