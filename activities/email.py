"""The shopper's label email: how to send the parcel back, with the label and the drop-off QR code.

In the shopper's language and for the send method they chose (activities/email_content.py words it).

A sync activity (smtplib and httpx are blocking), run in the worker's thread pool like
activities/carrier.py. The workflow passes ids only; the shopper's address and name are read
here, from the order, and never written to a log or an error message.

Sent once per label: the key (and the Message-ID, `<label-<return>-<tracking code>@returnflow>`)
comes from the return and its label, and an `emails_sent` row records each sent mail. A retry
reads the row first and does not send again. The row is written only after the SMTP server
accepted the message, so one small window remains: if the worker dies, or the database write
fails, between the server's 250 and the commit, the retry sends the same mail a second time.
That is at-least-once, not exactly-once: SMTP has no idempotency key. The repeat carries the
same Message-ID, which some mail clients (Gmail) use to show it once.

Errors: a 5xx reply (no such mailbox, message refused) is permanent: non-retryable
`EmailRejected`. A 4xx reply, a refused or dropped connection, a timeout, or a label file that
could not be downloaded is retried by Temporal.
"""

from __future__ import annotations

import re
import smtplib
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from typing import Any, Literal

import httpx
from pydantic import BaseModel
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import business_metrics
from activities.audience import Audience, audience_of
from activities.documents import dropoff_qr, live_label
from activities.email_content import LabelEmailFacts, label_email
from db import shopper_emails
from db.returns import timeline
from db.session import session_scope
from db.tables import EmailSent, Merchant, Order, ReturnRecord
from db.types import utcnow
from domain.notifications import MailKind
from domain.status import ReturnStatus
from domain.validation import one_line
from workflows.ids import label_email_key
from workflows.messages import ActivityErrorType, TimelineEvent

LABEL_DOWNLOAD_TIMEOUT_SECONDS = 20
MAX_LABEL_BYTES = 10 * 1024 * 1024  # a 4x6 label is tens of KB
LABEL_FILES = {b"\x89PNG\r\n\x1a\n": ("png", "image", "png"), b"%PDF-": ("pdf", "application", "pdf")}


class LabelEmail(BaseModel):
    """Ids only: the workflow carries no customer data."""

    return_id: str
    merchant_id: str


class SentEmail(BaseModel):
    message_id: str
    # sent now; sent by an earlier attempt (or call); or not sent: the label was voided meanwhile.
    # switched_off: the merchant does not send this email; suppressed: the address refused an earlier one.
    status: Literal["sent", "already_sent", "label_voided", "switched_off", "suppressed"]


@dataclass(frozen=True)
class SmtpConfig:
    """Where mail goes. The worker builds it from the settings (activities never import them)."""

    host: str
    port: int
    sender: str  # the envelope and From address; the merchant's name is its display name
    username: str = ""  # set: AUTH with password
    password: str = field(default="", repr=False)
    starttls: bool = False
    timeout_seconds: float = 30.0


class EmailActivities:
    def __init__(
        self,
        engine: Engine,
        smtp: SmtpConfig,
        portal_link: Callable[[str, str], str] | None = None,
        earlier_mail: Callable[[str], object] | None = None,
    ) -> None:
        self._engine = engine
        self._smtp = smtp
        self._portal_link = portal_link  # (return_id, merchant_id) -> the shopper's signed portal URL
        # (return_id) -> sends the return's outbox emails already due (the worker's ShopperMailer): the label
        # comes after what the return announced before it ("approved after review", then the label).
        self._earlier_mail = earlier_mail

    @activity.defn
    def send_label_email(self, req: LabelEmail) -> SentEmail:
        """Tell the shopper how to send the parcel back; attach the label and the drop-off QR code."""
        with session_scope(self._engine) as session:
            row = session.get(ReturnRecord, req.return_id)
            if row is None or row.merchant_id != req.merchant_id:
                raise ApplicationError(
                    f"return {req.return_id} not found", type=ActivityErrorType.RETURN_NOT_FOUND, non_retryable=True
                )
            if row.label is None:
                # The projection with the label has not landed yet: it will, so ask again.
                raise ApplicationError(
                    f"return {req.return_id} has no label recorded yet", type=ActivityErrorType.LABEL_NOT_RECORDED
                )
            label = live_label(row)
            key = label_email_key(row.id, row.label.get("tracking_code", ""))
            message_id = f"<{key}@returnflow>"
            if label is None:  # cancelled or expired meanwhile: never mail a voided label
                return SentEmail(message_id=message_id, status="label_voided")
            if session.get(EmailSent, key) is not None:
                return SentEmail(message_id=message_id, status="already_sent")
            if shopper_emails.switched_off(session, row.merchant_id, MailKind.LABEL_READY):
                return SentEmail(message_id=message_id, status="switched_off")
            if shopper_emails.refused_before(session, row.id):  # the address refused an earlier mail of the return
                return SentEmail(message_id=message_id, status="suppressed")
            facts = _facts(session, row, label)

        if self._earlier_mail is not None:
            self._earlier_mail(row.id)
        msg = compose_label_email(self._smtp, self._portal_link, row.id, facts, message_id)
        outbox_key = f"mail:{MailKind.LABEL_READY.value}:{label['tracking_code']}"
        try:
            self._send(msg, facts.to)
        except ApplicationError as err:
            business_metrics.email_attempted(MailKind.LABEL_READY.value, "failed")
            if err.type == ActivityErrorType.EMAIL_REJECTED:  # on the return's list; no more mail to this address
                code = (err.details[0] if err.details else {}).get("smtp_code")
                with session_scope(self._engine) as session:
                    shopper_emails.record_sent_elsewhere(
                        session,
                        row.merchant_id,
                        row.id,
                        MailKind.LABEL_READY,
                        outbox_key,
                        utcnow(),
                        message_id=message_id,
                        smtp_code=code,
                        error=err.message,
                    )
            raise
        with session_scope(self._engine) as session:
            shopper_emails.record_sent_elsewhere(
                session, row.merchant_id, row.id, MailKind.LABEL_READY, outbox_key, utcnow(), message_id=message_id
            )
        with session_scope(self._engine) as session:
            session.add(EmailSent(key=key, return_id=row.id, to=facts.to))
            try:
                session.flush()
            except IntegrityError:  # a concurrent attempt sent it too (see the module docstring)
                session.rollback()
        business_metrics.email_attempted(MailKind.LABEL_READY.value, "sent")
        activity.logger.info("label email %s sent for return %s", message_id, row.id)
        return SentEmail(message_id=message_id, status="sent")

    def _send(self, msg: EmailMessage, to: str) -> None:
        send_message(self._smtp, msg, to)


def compose_label_email(
    smtp: SmtpConfig,
    portal_link: Callable[[str, str], str] | None,
    return_id: str,
    facts: LabelEmailFacts,
    message_id: str,
) -> EmailMessage:
    """The label email with its files attached (downloading the label: LabelUnavailable, retried, if it fails)."""
    label = facts.label
    portal_url = portal_link(return_id, facts.merchant_id) if portal_link else None
    words = label_email(return_id, facts, portal_url)  # in the shopper's language, with the shop's branding
    msg = addressed(smtp, facts.audience, facts.shopper_name, facts.to, words.subject, message_id)
    msg.set_content(words.text)
    msg.add_alternative(words.html, subtype="html")
    # The same QR code as GET /v1/returns/{id}/dropoff-qr.png: the tracking code, for a box-free drop-off.
    msg.add_attachment(
        dropoff_qr(label["tracking_code"], "png"), maintype="image", subtype="png", filename="dropoff-qr.png"
    )
    deadline = time.monotonic() + LABEL_DOWNLOAD_TIMEOUT_SECONDS  # for every parcel's file together
    content, (ext, maintype, subtype) = _download_label(label["label_url"], deadline)
    msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=f"return-label.{ext}")
    for number, parcel in enumerate(facts.further_parcels, start=2):  # one label and QR code per parcel
        msg.add_attachment(
            dropoff_qr(parcel["tracking_code"], "png"),
            maintype="image",
            subtype="png",
            filename=f"dropoff-qr-{number}.png",
        )
        content, (ext, maintype, subtype) = _download_label(parcel["label_url"], deadline)
        msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=f"return-label-{number}.{ext}")
    # Last: set_content and the attachments move Content-* headers into the parts they make.
    msg["Content-Language"] = facts.audience.language
    return msg


def label_email_facts(session, return_id: str, tracking_code: str | None) -> LabelEmailFacts | None:
    """What the outbox's label email says; None when it is pointless now: that label is no longer the shopper's
    (replaced, voided: a relabel that voided it may have failed to buy the next), or already used (scanned).
    EmailRejected (non-retryable) when the order has no shopper address."""
    row = session.get(ReturnRecord, return_id)
    label = live_label(row) if row is not None and row.status == ReturnStatus.LABEL_CREATED.value else None
    if label is None or label.get("tracking_code") != tracking_code or label.get("void_status"):
        return None
    return _facts(session, row, label)


def send_message(cfg: SmtpConfig, msg: EmailMessage, to: str) -> None:
    """One message over SMTP; a failure is raised as `_smtp_error` says (the outbox's mailer sends this way too)."""
    # Headers unfolded (RFC 5322 allows 998): Python's folding of a long non-ASCII subject drops the space between
    # two encoded words ("été accepté" read back as "étéaccepté"). The parts were encoded when they were set.
    msg.policy = msg.policy.clone(max_line_length=998)
    try:
        with smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_seconds) as smtp:
            if cfg.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if cfg.username:
                smtp.login(cfg.username, cfg.password)
            smtp.send_message(msg, from_addr=cfg.sender, to_addrs=[to])
    except (smtplib.SMTPException, OSError) as err:
        # `from None`: the original exception names the shopper's address, and Temporal keeps causes.
        raise _smtp_error(err, to) from None


def addressed(
    smtp: SmtpConfig, audience: Audience, shopper_name: str, to: str, subject: str, message_id: str
) -> EmailMessage:
    """A message from the shop (its name, our sender address) to the shopper, answered to the shop's support."""
    msg = EmailMessage()
    # Names come from stored data: the API refuses control characters now, but older rows may have them.
    merchant, shopper = one_line(audience.merchant_name), one_line(shopper_name)
    msg["Subject"] = subject
    msg["From"] = formataddr((merchant, smtp.sender))
    msg["To"] = formataddr((shopper or "", to))
    if audience.support_email:  # the shopper's answer goes to the shop, not to our sender address
        msg["Reply-To"] = formataddr((merchant, one_line(audience.support_email)))
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = message_id
    return msg


def _facts(session, row: ReturnRecord, label: dict[str, Any]) -> LabelEmailFacts:
    order = session.get(Order, (row.merchant_id, row.order_id))
    merchant = session.get(Merchant, row.merchant_id)
    customer = (order.customer if order else None) or {}
    if not customer.get("email"):
        raise ApplicationError(
            f"order {row.order_id} has no shopper email", type=ActivityErrorType.EMAIL_REJECTED, non_retryable=True
        )
    if not label.get("tracking_code") or not label.get("label_url"):
        raise ApplicationError(
            f"return {row.id}'s label has no tracking code or URL",
            type=ActivityErrorType.EMAIL_REJECTED,
            non_retryable=True,
        )
    lines = {line.get("id"): line for line in ((order.lines if order else None) or [])}
    items = [
        {
            "quantity": item.get("quantity", 1),
            "title": (lines.get(item.get("line_id")) or {}).get("title") or item.get("sku") or item.get("line_id"),
            "unit_price": (lines.get(item.get("line_id")) or {}).get("unit_price"),
        }
        for item in row.items or []
    ]
    # The label expiry counts from the first label's purchase (the workflow's timer starts just after it);
    # an exchange's original has a deadline of its own, so none is told then.
    bought = [entry.at for entry in timeline(session, row.id) if entry.event == TimelineEvent.LABEL.value]
    return LabelEmailFacts(
        to=customer["email"],
        shopper_name=customer.get("name") or "",
        merchant_id=row.merchant_id,
        order_id=row.order_id,
        currency=order.currency if order else None,
        label=label,
        items=items,
        further_parcels=[p for p in (row.parcels or [])[1:] if p.get("tracking_code") and p.get("label_url")],
        audience=audience_of(session, merchant, row.merchant_id, row.id),
        label_bought_at=bought[0] if bought else None,
        label_expiry_days=merchant.label_expiry_days if merchant and row.resolution != "exchange" else None,
    )


def _download_label(url: str, deadline: float | None = None) -> tuple[bytes, tuple[str, str, str]]:
    """The label file (PNG as bought; PDF accepted). Any failure is retried: the carrier's file server may be down.
    Bounded in total by `deadline` (default: the timeout from now), not only per read: a host that trickles its
    headers, redirects or body must not hold the outbox's one mail thread. The download runs in a thread of its
    own; past the deadline it is abandoned (a daemon thread that ends with the connection)."""
    deadline = deadline if deadline is not None else time.monotonic() + LABEL_DOWNLOAD_TIMEOUT_SECONDS
    outcome: dict[str, Any] = {}

    def fetch() -> None:
        try:
            outcome["file"] = _fetch_label(url, deadline)
        except BaseException as err:  # noqa: BLE001 - handed to the caller's thread
            outcome["error"] = err

    thread = threading.Thread(target=fetch, name="label-download", daemon=True)
    thread.start()
    thread.join(max(deadline - time.monotonic(), 0))
    if thread.is_alive():
        raise ApplicationError(
            f"the label file took over {LABEL_DOWNLOAD_TIMEOUT_SECONDS} s", type=ActivityErrorType.LABEL_UNAVAILABLE
        )
    if "error" in outcome:
        raise outcome["error"]
    return outcome["file"]


def _fetch_label(url: str, deadline: float) -> tuple[bytes, tuple[str, str, str]]:
    """The download itself; a trickled body stops at `deadline` (its thread ends then too)."""
    try:
        with httpx.Client(timeout=LABEL_DOWNLOAD_TIMEOUT_SECONDS, follow_redirects=True, max_redirects=3) as client:
            with client.stream("GET", url) as r:
                if r.status_code != 200:
                    raise ApplicationError(
                        f"the label file answered HTTP {r.status_code}", type=ActivityErrorType.LABEL_UNAVAILABLE
                    )
                content = bytearray()
                for chunk in r.iter_bytes():
                    content += chunk
                    if len(content) > MAX_LABEL_BYTES:
                        raise ApplicationError("the label file is over 10 MB", type=ActivityErrorType.LABEL_UNAVAILABLE)
                    if time.monotonic() > deadline:
                        raise ApplicationError(
                            f"the label file took over {LABEL_DOWNLOAD_TIMEOUT_SECONDS} s",
                            type=ActivityErrorType.LABEL_UNAVAILABLE,
                        )
    except (httpx.HTTPError, httpx.InvalidURL) as err:
        raise ApplicationError(
            f"the label file could not be downloaded: {type(err).__name__}", type=ActivityErrorType.LABEL_UNAVAILABLE
        ) from err
    for magic, kind in LABEL_FILES.items():
        if content.startswith(magic):
            return bytes(content), kind
    raise ApplicationError("the label file is neither PNG nor PDF", type=ActivityErrorType.LABEL_UNAVAILABLE)


def _smtp_error(err: Exception, to: str) -> ApplicationError:
    """5xx: permanent (non-retryable EmailRejected); 4xx, connection and timeout errors: retried."""
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        replies = list(err.recipients.values())
        what = "recipient refused"
    elif isinstance(err, smtplib.SMTPResponseException):
        replies = [(err.smtp_code, err.smtp_error)]
        what = type(err).__name__
    else:
        # No reply code: refused or dropped connection, timeout, TLS trouble. These messages carry no address.
        return ApplicationError(
            f"SMTP failed: {type(err).__name__}: {err}"[:300], type=ActivityErrorType.EMAIL_UNAVAILABLE
        )
    code, reply = replies[0]
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    text = re.sub(re.escape(to), "<recipient>", text, flags=re.IGNORECASE)[:300]  # no customer data in history
    message = f"SMTP {code} ({what}): {text}"
    if any(500 <= c < 600 for c, _ in replies):
        return ApplicationError(message, {"smtp_code": code}, type=ActivityErrorType.EMAIL_REJECTED, non_retryable=True)
    return ApplicationError(message, {"smtp_code": code}, type=ActivityErrorType.EMAIL_UNAVAILABLE)
