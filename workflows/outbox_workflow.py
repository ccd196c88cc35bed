"""OutboxWorkflow: the one drain of the notification outbox (activities/outbox.py).

Started afresh by every worker that starts, under one fixed id (workers/main.py start_outbox), it runs the
drain activity for an hour and continues as new, so its history stays short. Its cost does not grow with
returns: about three actions per `RUN_FOR` plus the drain's heartbeats, which the SDK sends at most every
0.8 x the heartbeat timeout: some 15 an hour. The timeout is also how long a crashed worker's drain takes to
start again elsewhere: five minutes' delay for emails and webhooks after a crash, for a few hundred actions a day.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.outbox import OutboxDrain

RUN_FOR = timedelta(hours=1)
HEARTBEAT_TIMEOUT = timedelta(minutes=5)


@workflow.defn
class OutboxWorkflow:
    @workflow.run
    async def run(self) -> None:
        await workflow.execute_activity_method(
            OutboxDrain.drain_outbox,
            RUN_FOR.total_seconds(),
            start_to_close_timeout=RUN_FOR + timedelta(minutes=5),
            heartbeat_timeout=HEARTBEAT_TIMEOUT,
            retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30)),
        )
        workflow.continue_as_new()
