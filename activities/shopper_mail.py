"""Sending the shopper's emails (the outbox's mail half): every pending shopper_emails row that is due.

In order per return: an email waits while an earlier one of its return is pending and due or failing
(waiting for its retry); a reminder due later holds nothing back. Just before sending, what may have
changed is checked again: the merchant switched the kind off (switched_off), a reminder no longer
stands (withdrawn: domain.notifications.still_wanted against the return now).

Outcomes: 250 -> sent; a 5xx -> refused, and every other pending email of the return is suppressed
(nothing is raised: a refusal never fails the return); a 4xx or no answer -> tried again with backoff
(1 minute doubling, at most an hour, the last one when `give_up_after` has passed since the first attempt)
-> failed when it still fails then.

Each email is claimed (a lease, db.shopper_emails.claim) before it is sent, so two mailers at once (two
drains while a dead worker's heartbeat runs out) never both send it. The Message-ID comes from the return
and the email's key, so a repeat after a crash between the server's 250 and the database write, or after
a lease ran out mid-send (at-least-once, like the label email) is recognisable as the same message. The shopper's address is read from the order to send, and is never logged nor kept in an error.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from temporalio.exceptions import ApplicationError

from activities import business_metrics
from activities.email import SmtpConfig, addressed, compose_label_email, label_email_facts, send_message
from activities.email_content import LabelEmailFacts
from activities.mail_facts import MailFacts, read_facts
from activities.mail_words import mail_content
from db import shopper_emails as rows
from db.session import session_scope
from db.tables import ShopperEmail
from domain.notifications import MailKind, still_wanted
from workflows.messages import ActivityErrorType

log = logging.getLogger("returnflow.shopper_mail")

FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=1)
GONE = "gone"  # no longer pending when its turn came (suppressed or withdrawn meanwhile)
HELD = "held"  # another mailer is sending it: the return's later emails wait for that
# How often a mailer looks for label emails a mailer of the previous release gave up on (db.shopper_emails)
REOPEN_EVERY_SECONDS = 600.0
ROUND_BUDGET_SECONDS = 60.0  # a round starts no email after this: the next round picks the oldest due again


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), MAX_RETRY)


def message_id(return_id: str, key: str) -> str:
    """The same for every attempt of one email (a repeat is the same message to the shopper's mail client)."""
    digest = hashlib.sha256(f"{return_id}\n{key}".encode()).hexdigest()[:16]
    return f"<{re.sub(r'[^A-Za-z0-9._-]', '_', key)[:120]}-{digest}@returnflow>"


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
        self._portal_link = portal_link  # (return_id, merchant_id) -> the shopper's signed portal URL
        self._give_up_after = give_up_after
        # Longer than one send can take (each SMTP step may take the timeout): no other mailer sends it meanwhile.
        self._lease = timedelta(seconds=smtp.timeout_seconds * 10 + 60)
        self._reopen_next = 0.0  # the first round looks for label emails an older release's mailer gave up on

    def send_due(self, now: datetime, return_id: str | None = None) -> int:
        """Send every email due at `now` (of one return, if given), in order per return; the count tried."""
        if time.monotonic() >= self._reopen_next:  # not every round: only a rolling deploy leaves such rows
            self._reopen_next = time.monotonic() + REOPEN_EVERY_SECONDS
            with session_scope(self._engine) as session:
                rows.reopen_label_mail_an_older_mailer_gave_up(session, now)
        with session_scope(self._engine) as session:
            queue = {
                r: [(row.id, row.next_attempt_at <= now) for row in q]
                for r, q in rows.due_by_return(session, now, return_id=return_id).items()
            }
        tried, started = 0, time.monotonic()
        for emails in queue.values():
            for email_id, due in emails:
                if not due:  # failing, waiting for its retry: the return's later emails wait behind it
                    break
                elapsed = time.monotonic() - started
                if elapsed > ROUND_BUDGET_SECONDS:  # a slow relay: the rest wait for the next round
                    return tried
                # The lease runs from when it is taken, not from the round's `now`.
                until = now + timedelta(seconds=elapsed) + self._lease
                try:
                    status = self._one(email_id, now, until)
                except SQLAlchemyError:  # the database: the drain's next round tries again
                    raise
                except Exception as err:  # noqa: BLE001 - one email that cannot be composed must not stop the others
                    # Not rows.OLDER_MAILER_GAVE_UP's wording: what this mailer gives up on stays given up.
                    status = self._give_up(email_id, f"could not be composed ({type(err).__name__})")
                tried += status not in (GONE, HELD)
                if status in (rows.PENDING, HELD):
                    break
        return tried

    def _one(self, email_id: int, now: datetime, until: datetime) -> str:
        """Claim, check, send and record one email; its status after."""
        with session_scope(self._engine) as session:  # the claim first, alone: SQLite then waits for the lock
            claimed = rows.claim(session, email_id, now, until)
        if not claimed:
            with session_scope(self._engine) as session:
                return HELD if rows.pending_row(session, email_id) is not None else GONE
        with session_scope(self._engine) as session:
            row = rows.pending_row(session, email_id)
            if row is None:  # changed meanwhile (withdrawn, suppressed)
                return GONE
            kind = MailKind(row.kind)
            if rows.switched_off(session, row.merchant_id, kind):
                return self._close(session, row, rows.SWITCHED_OFF, "the merchant switched this email off")
            if rows.refused_before(session, row.return_id):  # written while the refusal was being recorded
                return self._close(session, row, rows.SUPPRESSED, rows.SUPPRESSED_WHY)
            facts = self._facts(session, row, kind)
            if isinstance(facts, tuple):
                return self._close(session, row, *facts)
            if row.scheduled and not still_wanted(kind, row.about, facts.status, facts.pickup):
                return self._close(session, row, rows.WITHDRAWN, f"no longer wanted: the return is {facts.status}")
            key, return_id = row.key, row.return_id
        mid = message_id(return_id, key)
        try:  # composing the label email downloads the label: a failure there is retried like the server's 4xx
            send_message(self._smtp, self._compose(return_id, facts, mid), facts.to)
        except ApplicationError as err:
            status = self._failed(email_id, err, now)
            business_metrics.email_attempted(kind.value, status)
            return status
        with session_scope(self._engine) as session:
            row = session.get(ShopperEmail, email_id)
            row.status, row.sent_at, row.message_id, row.smtp_code = rows.SENT, now, mid, 250
            row.attempts += 1
            row.first_attempt_at = row.first_attempt_at or now
            row.last_error, row.claimed_until = None, None
            session.add(row)
        log.info("shopper email %s (%s) sent for return %s", email_id, kind.value, return_id)
        business_metrics.email_attempted(kind.value, rows.SENT)
        return rows.SENT

    @staticmethod
    def _facts(session, row: ShopperEmail, kind: MailKind) -> MailFacts | LabelEmailFacts | tuple[str, str]:
        """What the email says, or (the status it ends with, why) when it cannot or need not be sent."""
        if kind != MailKind.LABEL_READY:
            facts = read_facts(session, row)
            return (rows.FAILED, facts) if isinstance(facts, str) else facts
        try:  # the label it was kept for (`about`), while it is still the shopper's
            facts = label_email_facts(session, row.return_id, row.about)
        except ApplicationError as err:  # the order has no shopper address
            return rows.FAILED, err.message
        return facts or (rows.WITHDRAWN, "no longer wanted: that label was voided or replaced")

    def _compose(self, return_id: str, facts: MailFacts | LabelEmailFacts, mid: str):
        if isinstance(facts, LabelEmailFacts):
            return compose_label_email(self._smtp, self._portal_link, return_id, facts, mid)
        portal_url = self._portal_link(facts.return_id, facts.merchant_id) if self._portal_link else None
        words = mail_content(facts, portal_url)
        msg = addressed(self._smtp, facts.audience, facts.shopper_name, facts.to, words.subject, mid)
        msg.set_content(words.text)
        msg.add_alternative(words.html, subtype="html")
        msg["Content-Language"] = facts.audience.language  # last: set_content moves Content-* headers
        return msg

    def _give_up(self, email_id: int, why: str) -> str:
        # The row id and the error's type only: its message or traceback could quote the shopper's data.
        log.error("shopper email %s failed: %s", email_id, why)
        with session_scope(self._engine) as session:
            row = rows.pending_row(session, email_id)
            return self._close(session, row, rows.FAILED, why) if row is not None else GONE

    @staticmethod
    def _close(session, row: ShopperEmail, status: str, why: str) -> str:
        row.status, row.last_error, row.claimed_until = status, why[:500], None
        session.add(row)
        log.info("shopper email %s (%s) of return %s: %s", row.id, row.kind, row.return_id, status)
        return status

    def _failed(self, email_id: int, err: ApplicationError, now: datetime) -> str:
        """`err` is activities.email's: its message names no address (the server's reply is masked)."""
        code = (err.details[0] if err.details else {}).get("smtp_code")
        with session_scope(self._engine) as session:
            row = session.get(ShopperEmail, email_id)
            row.first_attempt_at, row.claimed_until = row.first_attempt_at or now, None
            if err.type == ActivityErrorType.EMAIL_REJECTED:
                rows.refuse(session, row, code, err.message)
                log.warning("shopper email %s of return %s refused: SMTP %s", email_id, row.return_id, code)
                return rows.REFUSED
            row.attempts += 1
            row.smtp_code, row.last_error = code, err.message[:500]
            give_up_at = row.first_attempt_at + self._give_up_after
            if now >= give_up_at:
                row.status = rows.FAILED
            else:  # the last try falls on the end of the period, not up to an hour past it
                row.next_attempt_at = min(now + backoff(row.attempts), give_up_at)
            session.add(row)
            log.warning(
                "shopper email %s of return %s not sent (%s, SMTP %s, attempt %s): %s",
                email_id,
                row.return_id,
                err.type,
                code,
                row.attempts,
                "given up" if row.status == rows.FAILED else f"tried again at {row.next_attempt_at.isoformat()}",
            )
            return row.status
