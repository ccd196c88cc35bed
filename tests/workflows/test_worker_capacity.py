"""The worker never accepts an activity it has no thread for: one waiting in the pool burns its
start-to-close timeout, and slow carrier calls must not starve the database steps and payments."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from temporalio.client import Client

from db.session import make_engine
from tests.conftest import test_settings as settings_for  # not collected as a test under its own name
from workers.main import build_workers
from workflows.ids import CARRIER_TASK_QUEUE, TASK_QUEUE


async def test_the_two_task_queues_share_the_threads_without_overbooking(time_skipping_env, sandboxes, tmp_path):
    url = f"sqlite:///{tmp_path / 'returnflow.db'}"
    settings = settings_for(url, sandboxes)
    # A client of its own: the core refuses a second worker for a task queue on the shared test client.
    client = await Client.connect(time_skipping_env.client.service_client.config.target_host)
    threads = 7
    with ThreadPoolExecutor(max_workers=threads) as executor:
        workers = build_workers(client, settings, make_engine(url), executor)
        slots = {w.config()["task_queue"]: w.config()["max_concurrent_activities"] for w in workers}
    assert set(slots) == {TASK_QUEUE, CARRIER_TASK_QUEUE}
    assert sum(slots.values()) <= threads
    assert min(slots.values()) >= 1
    assert slots[TASK_QUEUE] >= slots[CARRIER_TASK_QUEUE]
