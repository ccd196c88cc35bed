"""Timeouts and retry policies of every activity the workflows call, in one place.

Permanent errors (PERMANENT_ACTIVITY_ERRORS of the contract) are never retried.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from workflows.ids import CARRIER_TASK_QUEUE
    from workflows.messages import PERMANENT_ACTIVITY_ERRORS, ActivityErrorType


def _options(
    start_to_close: timedelta,
    deadline: timedelta,
    first_retry: timedelta,
    longest_wait: timedelta,
    never_retry: Sequence[str] | None = PERMANENT_ACTIVITY_ERRORS,
    task_queue: str | None = None,
) -> dict:
    """One activity's options: its attempt timeout, its total deadline, and backoff (x2) between them."""
    options = dict(
        start_to_close_timeout=start_to_close,
        schedule_to_close_timeout=deadline,
        retry_policy=RetryPolicy(
            initial_interval=first_retry,
            maximum_interval=longest_wait,
            non_retryable_error_types=list(never_retry) if never_retry else None,
        ),
    )
    return {**options, "task_queue": task_queue} if task_queue else options


_S, _M, _H, _D = timedelta(seconds=1), timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)

# Projection writes are short, idempotent DB upserts: local activities, so each costs one
# marker event instead of three and no extra round trip through the task queue.
PROJECTION = _options(15 * _S, _D, _S, _M, never_retry=None)
# Starting merchant-event deliveries (a local activity; the deliveries retry on their own).
ANNOUNCE = _options(15 * _S, _D, _S, _M, never_retry=None)
CARRIER = _options(30 * _S, 2 * _H, 2 * _S, 2 * _M, task_queue=CARRIER_TASK_QUEUE)
# A pending refund is asked about again with backoff for up to five days (Stripe card refunds
# settle within days); past that deadline it is left for ops, never silently retried forever.
REFUND_FOLLOW_UP = _options(30 * _S, 5 * _D, 30 * _S, 6 * _H)
PAYMENT = _options(30 * _S, _D, 2 * _S, 5 * _M)
# Database writes of an item's path (routing, ledger, work orders): idempotent, retried for a day.
ITEMS = _options(30 * _S, _D, _S, 2 * _M)


def database_step(lean: bool, method, arg, options: dict = ITEMS):
    """A short idempotent database write (stock, routing, an item's step): on a lean return
    (Patch.LEAN_HISTORY) a local activity, which rides on the workflow task's one local-activity
    action instead of an action per attempt; an activity on older returns."""
    if lean:
        return workflow.execute_local_activity_method(method, arg, **options)
    return workflow.execute_activity_method(method, arg, **options)


# A voided label's carrier refund settles within days (USPS: up to weeks): asked again with backoff
# for 30 days, then left for ops.
VOID_FOLLOW_UP = _options(30 * _S, 30 * _D, _M, 12 * _H, task_queue=CARRIER_TASK_QUEUE)
# The shopper's label email (activities.email): a label download plus one SMTP conversation, each
# bounded by its own timeout. A mail server saying "later" (4xx) or down is asked again for a day;
# a refused recipient (5xx, EmailRejected) is final at once. Either way the label stays in the portal.
EMAIL = _options(90 * _S, _D, 10 * _S, 15 * _M, never_retry=[ActivityErrorType.EMAIL_REJECTED])
