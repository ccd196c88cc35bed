"""One merchant webhook event, delivered until it lands (or three days pass).

A child workflow the return starts and abandons: the return completes at once,
while the delivery goes on retrying for as long as the merchant's endpoint is down.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.notify import NotifyActivities
    from workflows.messages import MerchantEvent


@workflow.defn
class MerchantNotificationWorkflow:
    @workflow.run
    async def run(self, event: MerchantEvent) -> str:
        return await workflow.execute_activity_method(
            NotifyActivities.deliver_merchant_event,
            event,
            start_to_close_timeout=timedelta(seconds=30),
            schedule_to_close_timeout=timedelta(days=3),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(seconds=5), backoff_coefficient=2.0, maximum_interval=timedelta(hours=1)
            ),
        )
