"""Sending the shopper's emails (the outbox's mail half). Interface first; filled in next."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from activities.email import SmtpConfig


class ShopperMailer:
    def __init__(
        self,
        engine: Engine,
        smtp: SmtpConfig,
        portal_link: Callable[[str, str], str] | None = None,
        *,
        give_up_after: timedelta = timedelta(days=3),
    ) -> None:
        self._engine = engine
        self._smtp = smtp
        self._portal_link = portal_link
        self._give_up_after = give_up_after

    def send_due(self, now: datetime) -> int:
        """Send every email due at `now`, in order per return; the count tried."""
        return 0
