"""More than one worker and API process on one stack: what tests/integration/test_many_workers.py runs.

The stack (cli/stack.py) starts the dev server, the sandboxes, one worker and one API; the extra worker and API
are started by the stack too (same environment, own session, dying with the test process, each with its log beside
the others'), and stopped with them.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from dataclasses import dataclass, field

import httpx

from cli.readiness import http_ok, pollers, wait_until
from cli.stack import Stack
from sandboxes.easypost.webhooks import sign
from settings import Settings
from workers.client import connect
from workflows.ids import CARRIER_TASK_QUEUE


@dataclass
class Fleet:
    stack: Stack
    settings: Settings
    apis: list[httpx.Client]
    easypost: httpx.Client  # the sandbox's admin side
    payments: httpx.Client
    extra: dict[str, subprocess.Popen] = field(default_factory=dict)

    def merchant(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.settings.demo_merchant_key.get_secret_value()}"}

    def warehouse(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.settings.demo_warehouse_key.get_secret_value()}"}

    def start(self, name: str, argv: list[str], **env: str) -> subprocess.Popen:
        """Another process of the product, started by the stack as it starts its own (and stopped with them, first)."""
        proc = self.stack._spawn(name, argv, extra_env=env).proc
        assert proc is not None
        self.extra[name] = proc
        return proc

    def start_api(self, name: str, port: int) -> httpx.Client:
        proc = self.start(
            name,
            ["-m", "uvicorn", "api.app:app_factory", "--factory", "--host", "127.0.0.1", "--port", str(port)],
            RETURNFLOW_API_PORT=str(port),
        )
        base = f"http://127.0.0.1:{port}"
        wait_until(http_ok(f"{base}/healthz"), name, 60, lambda: proc.poll() is None)
        return httpx.Client(base_url=base, timeout=180)

    def deliver_tracker_event(self, api: httpx.Client, event: dict) -> httpx.Response:
        """What EasyPost does behind a load balancer: the signed event reaches one of the API processes."""
        body = json.dumps(event, separators=(",", ":")).encode()
        secret = self.settings.easypost_webhook_secret.get_secret_value()
        headers = {"Content-Type": "application/json", "X-Hmac-Signature": sign(body, secret)}
        return api.post("/v1/webhooks/easypost", content=body, headers=headers)

    def pollers(self) -> dict[str, set[str]]:
        """The identities polling each task queue (workflow tasks of `returns`, activities of `carrier`)."""
        return asyncio.run(pollers(self.settings))


def carrier_rate_limit(settings: Settings) -> tuple[float, str]:
    """The carrier task queue's rate limit as the server enforces it for every worker together, and its source."""
    return asyncio.run(_carrier_rate_limit(settings))


async def _carrier_rate_limit(settings: Settings) -> tuple[float, str]:
    from temporalio.api.enums.v1 import RateLimitSource, TaskQueueType
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

    client = await connect(settings.temporal_address, settings.temporal_namespace)
    resp = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=settings.temporal_namespace,
            task_queue=TaskQueue(name=CARRIER_TASK_QUEUE),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
            report_config=True,
        )
    )
    limit = resp.effective_rate_limit
    return limit.requests_per_second, RateLimitSource.Name(limit.rate_limit_source)


def busiest_window(times: list[float], width: float = 1.0) -> int:
    """The most of `times` (seconds) any window `width` long holds."""
    times = sorted(times)
    most, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= width:
            start += 1
        most = max(most, end - start + 1)
    return most


def who_worked(settings: Settings, workflow_ids: list[str]) -> tuple[set[str], int]:
    """The worker identities that ran the workflows' tasks and activities, and how many tasks were taken over
    from a dead worker (a workflow task timed out, or an activity started again after a timeout)."""
    return asyncio.run(_who_worked(settings, workflow_ids))


async def _who_worked(settings: Settings, workflow_ids: list[str]) -> tuple[set[str], int]:
    client = await connect(settings.temporal_address, settings.temporal_namespace)
    identities, taken_over = set(), 0
    for workflow_id in workflow_ids:
        history = await client.get_workflow_handle(workflow_id).fetch_history()
        for event in history.events:
            if event.HasField("workflow_task_started_event_attributes"):
                identities.add(event.workflow_task_started_event_attributes.identity)
            elif event.HasField("activity_task_started_event_attributes"):
                identities.add(event.activity_task_started_event_attributes.identity)
                taken_over += event.activity_task_started_event_attributes.attempt > 1
            elif event.HasField("workflow_task_timed_out_event_attributes"):
                taken_over += 1
    return identities, taken_over
