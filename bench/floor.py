"""The floor: the least a Temporal workflow shaped like a return can cost on this server.

No-op activities, 3 before and 5 after waiting for 4 signals — the return's
shape (label, projection writes; carrier scans and receipt; inspection, refund,
projection writes) with no work in any step.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow

FLOOR_TASK_QUEUE = "bench-floor"
SIGNALS = 4


@activity.defn
async def floor_step(n: int) -> int:
    return n


@workflow.defn
class FloorWorkflow:
    def __init__(self) -> None:
        self._signals = 0

    @workflow.signal
    def event(self) -> None:
        self._signals += 1

    @workflow.run
    async def run(self) -> int:
        for n in range(3):
            await workflow.execute_activity(floor_step, n, start_to_close_timeout=timedelta(seconds=30))
        await workflow.wait_condition(lambda: self._signals >= SIGNALS)
        for n in range(5):
            await workflow.execute_activity(floor_step, n, start_to_close_timeout=timedelta(seconds=30))
        return self._signals
