"""Delivering merchant events to their endpoints (the outbox's webhook half). Interface first; filled in next."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.engine import Engine


class WebhookSender:
    def __init__(
        self, engine: Engine, *, timeout_seconds: float = 10.0, give_up_after: timedelta = timedelta(days=3)
    ) -> None:
        self._engine = engine
        self._timeout = timeout_seconds
        self._give_up_after = give_up_after

    async def deliver_due(self, now: datetime) -> int:
        """Attempt every delivery due at `now` (the head of each endpoint's queue per return); the count tried."""
        return 0
