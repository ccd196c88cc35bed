"""OutboxWorkflow: the one drain of the notification outbox (activities/outbox.py).

Started by every worker at start-up under one fixed id (a second start finds the first), it runs the
drain activity for a while and continues as new, so its history stays short. Its cost does not grow
with returns: about three actions per `RUN_FOR` plus the drain's heartbeats.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.outbox import OutboxDrain

RUN_FOR = timedelta(minutes=30)


@workflow.defn
class OutboxWorkflow:
    @workflow.run
    async def run(self) -> None:
        await workflow.execute_activity_method(
            OutboxDrain.drain_outbox,
            RUN_FOR.total_seconds(),
            start_to_close_timeout=RUN_FOR + timedelta(minutes=5),
            heartbeat_timeout=timedelta(seconds=60),  # a dead worker's drain starts again elsewhere within a minute
            retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30)),
        )
        workflow.continue_as_new()
