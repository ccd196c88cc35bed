"""How the embedded stack knows a child is ready: a port, an HTTP 200, Temporal's health, a worker's pollers."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable

import httpx

from settings import Settings
from workflows.ids import CARRIER_TASK_QUEUE, TASK_QUEUE


def port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def wait_until(
    check: Callable[[], bool],
    what: str,
    timeout: float,
    alive: Callable[[], bool] = lambda: True,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"{what}: the process exited while starting")
        try:
            if check():
                return
        except Exception:
            pass  # not up yet
        time.sleep(0.2)
    raise TimeoutError(f"{what} did not become ready within {timeout:.0f}s")


def http_ok(url: str) -> Callable[[], bool]:
    return lambda: httpx.get(url, timeout=2).status_code == 200


def temporal_healthy(address: str) -> bool:
    host, _, port = address.rpartition(":")
    if not port_open(host, int(port)):
        return False

    async def check() -> bool:
        from workers.client import connect

        client = await connect(address)
        return await client.service_client.check_health()

    return asyncio.run(check())


async def pollers(settings: Settings) -> dict[str, set[str]]:
    """The identities polling each of the worker's task queues (workflow tasks of `returns`, activities of
    `carrier`)."""
    from temporalio.api.enums.v1 import TaskQueueType
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

    from workers.client import connect

    client = await connect(settings.temporal_address, settings.temporal_namespace, settings=settings)
    found = {}
    for queue, kind in (
        (TASK_QUEUE, TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
        (CARRIER_TASK_QUEUE, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
    ):
        resp = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=settings.temporal_namespace, task_queue=TaskQueue(name=queue), task_queue_type=kind
            )
        )
        found[queue] = {p.identity for p in resp.pollers}
    return found


def has_pollers(settings: Settings) -> bool:
    return all(asyncio.run(pollers(settings)).values())
