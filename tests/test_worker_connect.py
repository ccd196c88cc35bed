"""The worker waits for Temporal instead of dying: connect_retrying tries again, the wait doubling to a cap."""

from __future__ import annotations

import asyncio
import socket

import pytest

from workers.client import connect_retrying


def test_connect_retrying_backs_off_until_temporal_answers():
    calls: list[tuple[str, str]] = []
    waits: list[float] = []
    client = object()

    async def dial(address: str, namespace: str):
        calls.append((address, namespace))
        if len(calls) < 6:
            raise RuntimeError("Failed client connect: connection refused")
        return client

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    got = asyncio.run(
        connect_retrying("temporal:7233", "default", first_delay=0.5, max_delay=4, dial=dial, sleep=sleep)
    )
    assert got is client
    assert calls == [("temporal:7233", "default")] * 6
    assert waits == [0.5, 1, 2, 4, 4]


def test_connect_retrying_gives_up_after_its_attempts_on_a_real_closed_port():
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    with pytest.raises(RuntimeError):
        asyncio.run(connect_retrying(f"127.0.0.1:{port}", attempts=3, first_delay=0.1, sleep=sleep))
    assert waits == [0.1, 0.2]


def test_the_worker_connects_through_the_retrying_client():
    import inspect

    from workers import main

    assert "connect_retrying(" in inspect.getsource(main.run)
