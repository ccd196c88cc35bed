"""The one way tests wait for something: poll a check until it holds, or fail at a deadline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
POLL_INTERVAL = 0.05  # seconds between checks; the deadline is what bounds the wait


def poll(fn: Callable[[], T], until: Callable[[T], Any] = bool, timeout: float = 60, what: str = "condition") -> T:
    """Call `fn` until `until(result)` holds; fail after `timeout` seconds naming `what`."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = fn()
        if until(last):
            return last
        time.sleep(POLL_INTERVAL)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value: {last!r}")


async def poll_async(
    fn: Callable[[], T], until: Callable[[T], Any] = bool, timeout: float = 60, what: str = "condition"
) -> T:
    """As `poll`, for tests whose worker shares the event loop: checks run in a thread, waits yield."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await asyncio.to_thread(fn)
        if until(last):
            return last
        await asyncio.sleep(POLL_INTERVAL)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value: {last!r}")


async def poll_awaitable(
    fn: Callable[[], Any], until: Callable[[Any], Any] = bool, timeout: float = 60, what: str = "condition"
) -> Any:
    """As `poll_async`, for checks that are coroutines themselves (workflow queries)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await fn()
        if until(last):
            return last
        await asyncio.sleep(POLL_INTERVAL)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value: {last!r}")
