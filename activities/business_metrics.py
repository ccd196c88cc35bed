"""The worker's business counters: labels bought and voided, refunds and their amount, emails and webhooks.

Recorded on the Temporal SDK's metric meter, so they are served by the worker's one Prometheus endpoint beside
the SDK's own metrics (workers/telemetry.py hands the meter over with `record_to`; until then, and in tests that
do not, every call is a no-op). The process's meter rather than `activity.metric_meter()`: the webhook sender
and the mailer record from their own threads, outside any activity context.

Labels are bounded sets only (kinds, results, ISO currencies): never a merchant, return or order id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from temporalio import activity
from temporalio.common import MetricCounter, MetricMeter

# The label a bought label gets, from the activity that bought it (_buy is shared by the three).
LABEL_KINDS = {"buy_return_label": "return", "buy_transfer_label": "transfer", "ship_replacement": "replacement"}
EMAIL_RESULTS = {"sent": "sent", "pending": "failed", "refused": "failed", "failed": "failed"}  # others: no attempt
_CURRENCY = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True)
class _Counters:
    labels_bought: MetricCounter
    labels_voided: MetricCounter
    refunds: MetricCounter
    refunded_minor: MetricCounter
    emails: MetricCounter
    webhooks: MetricCounter


def _counters(meter: MetricMeter) -> _Counters:
    return _Counters(
        labels_bought=meter.create_counter("returnflow_labels_bought", "Carrier labels bought, by kind"),
        labels_voided=meter.create_counter(
            "returnflow_labels_voided", "Label voids asked of the carrier, by the refund status it answered"
        ),
        refunds=meter.create_counter("returnflow_refunds", "Refunds created with the payment provider, by currency"),
        refunded_minor=meter.create_counter(
            "returnflow_refunded_amount_minor", "Money refunded, in minor units (cents), by currency"
        ),
        emails=meter.create_counter("returnflow_emails", "Shopper emails attempted, by kind and result"),
        webhooks=meter.create_counter("returnflow_webhooks", "Merchant webhook attempts, by result"),
    )


_now = _counters(MetricMeter.noop)


def record_to(meter: MetricMeter) -> None:
    """From now on, count on `meter` (the worker's runtime's)."""
    global _now
    _now = _counters(meter)


def _currency(code: str) -> str:
    code = code.upper()
    return code if _CURRENCY.fullmatch(code) else "other"


def label_bought() -> None:
    kind = LABEL_KINDS.get(activity.info().activity_type, "other") if activity.in_activity() else "other"
    _now.labels_bought.add(1, {"kind": kind})


def label_voided(refund_status: str | None) -> None:
    _now.labels_voided.add(1, {"refund_status": refund_status or "none"})


def refund_created(amount_minor: int, currency: str) -> None:
    labels = {"currency": _currency(currency)}
    _now.refunds.add(1, labels)
    if amount_minor > 0:
        _now.refunded_minor.add(amount_minor, labels)


def email_attempted(kind: str, status: str) -> None:
    """`kind`: a MailKind value; `status`: the email's after the SMTP attempt (db.shopper_emails: sent, pending,
    refused, failed)."""
    if result := EMAIL_RESULTS.get(status):
        _now.emails.add(1, {"kind": kind, "result": result})


def webhook_attempted(delivered: bool) -> None:
    _now.webhooks.add(1, {"result": "sent" if delivered else "failed"})
