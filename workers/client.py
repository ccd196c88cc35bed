"""The one Temporal client factory (API, workers, CLI and tests all use it).

The pydantic data converter lets workflows take and return pydantic models.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

log = logging.getLogger("returnflow.temporal")


async def connect(address: str, namespace: str = "default") -> Client:
    return await Client.connect(address, namespace=namespace, data_converter=pydantic_data_converter)


async def connect_retrying(
    address: str,
    namespace: str = "default",
    *,
    first_delay: float = 0.5,
    max_delay: float = 30.0,
    attempts: int | None = None,
    dial: Callable[[str, str], Awaitable[Client]] = connect,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Client:
    """`connect`, tried again while Temporal is not reachable (starting, restarting, a network blip): the wait
    doubles from first_delay up to max_delay, each failure logged; attempts=None tries for ever (the worker)."""
    delay = first_delay
    attempt = 0
    while True:
        attempt += 1
        try:
            return await dial(address, namespace)
        except Exception as error:  # RuntimeError from the core when the server does not answer
            if attempts is not None and attempt >= attempts:
                raise
            log.warning(
                "Temporal at %s not reachable (attempt %d: %s); trying again in %.1f s", address, attempt, error, delay
            )
            await sleep(delay)
            delay = min(delay * 2, max_delay)
