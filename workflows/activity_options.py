"""Timeouts and retry policies of every activity the workflows call, in one place.

Permanent errors (activities.errors.PERMANENT_ERROR_TYPES) are never retried.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.errors import EMAIL_REJECTED, PERMANENT_ERROR_TYPES
    from workflows.ids import CARRIER_TASK_QUEUE

# Projection writes are short, idempotent DB upserts: local activities, so each costs one
# marker event instead of three and no extra round trip through the task queue.
PROJECTION = dict(
    start_to_close_timeout=timedelta(seconds=15),
    schedule_to_close_timeout=timedelta(days=1),
    retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)),
)
CARRIER = dict(
    task_queue=CARRIER_TASK_QUEUE,
    start_to_close_timeout=timedelta(seconds=30),
    schedule_to_close_timeout=timedelta(hours=2),
    retry_policy=RetryPolicy(
        initial_interval=timedelta(seconds=2),
        maximum_interval=timedelta(minutes=2),
        non_retryable_error_types=list(PERMANENT_ERROR_TYPES),
    ),
)
# A pending refund is asked about again with backoff for up to five days (Stripe card refunds
# settle within days); past that deadline it is left for ops, never silently retried forever.
REFUND_FOLLOW_UP = dict(
    start_to_close_timeout=timedelta(seconds=30),
    schedule_to_close_timeout=timedelta(days=5),
    retry_policy=RetryPolicy(
        initial_interval=timedelta(seconds=30),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(hours=6),
        non_retryable_error_types=list(PERMANENT_ERROR_TYPES),
    ),
)
ANNOUNCE = dict(
    start_to_close_timeout=timedelta(seconds=15),
    schedule_to_close_timeout=timedelta(days=1),
    retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)),
)
PAYMENT = dict(
    start_to_close_timeout=timedelta(seconds=30),
    schedule_to_close_timeout=timedelta(hours=24),
    retry_policy=RetryPolicy(
        initial_interval=timedelta(seconds=2),
        maximum_interval=timedelta(minutes=5),
        non_retryable_error_types=list(PERMANENT_ERROR_TYPES),
    ),
)
# Database writes of an item's path (routing, ledger, work orders): idempotent, retried for a day.
ITEMS = dict(
    start_to_close_timeout=timedelta(seconds=30),
    schedule_to_close_timeout=timedelta(days=1),
    retry_policy=RetryPolicy(
        initial_interval=timedelta(seconds=1),
        maximum_interval=timedelta(minutes=2),
        non_retryable_error_types=list(PERMANENT_ERROR_TYPES),
    ),
)
# A voided label's carrier refund settles within days (USPS: up to weeks): asked again with backoff
# for 30 days, then left for ops.
VOID_FOLLOW_UP = dict(
    task_queue=CARRIER_TASK_QUEUE,
    start_to_close_timeout=timedelta(seconds=30),
    schedule_to_close_timeout=timedelta(days=30),
    retry_policy=RetryPolicy(
        initial_interval=timedelta(minutes=1),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(hours=12),
        non_retryable_error_types=list(PERMANENT_ERROR_TYPES),
    ),
)
# The shopper's label email (activities.email): a label download plus one SMTP conversation, each
# bounded by its own timeout. A mail server saying "later" (4xx) or down is asked again for a day;
# a refused recipient (5xx, EMAIL_REJECTED) is final at once. Either way the label stays in the portal.
EMAIL = dict(
    start_to_close_timeout=timedelta(seconds=90),
    schedule_to_close_timeout=timedelta(days=1),
    retry_policy=RetryPolicy(
        initial_interval=timedelta(seconds=10),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(minutes=15),
        non_retryable_error_types=[EMAIL_REJECTED],
    ),
)
