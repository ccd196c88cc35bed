"""Workflow tests: the time-skipping test server, with the real activities.

Nothing is mocked: activities run against a real SQLite database and the real
sandboxes over HTTP; only timers are skipped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from sqlalchemy.engine import Engine
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from db.migrate import upgrade
from db.session import make_engine
from settings import Settings
from tests.conftest import test_settings
from tests.factories import (
    LINES,
    create_payment,
    insert_order,
    new_merchant,
    return_input,
)
from workers.main import build_workers
from workflows.ids import TASK_QUEUE, return_workflow_id
from workflows.messages import ReturnInput
from workflows.returns import ReturnWorkflow
from workflows.search_attributes import at_start


@dataclass
class Harness:
    env: WorkflowEnvironment
    engine: Engine
    settings: Settings
    sandboxes: dict[str, str]

    @property
    def client(self) -> Client:
        return self.env.client

    def new_return(
        self,
        *,
        payment_method: str = "pm_card_visa",
        facilities: dict | None = None,
        lines: list[dict] | None = None,
        **kw,
    ) -> ReturnInput:
        merchant_id, _, _ = new_merchant(self.engine, facilities=facilities)
        lines = lines or LINES
        pi = create_payment(
            self.sandboxes["payments"],
            amount=sum(l["unit_price"] * l["quantity"] for l in lines),
            payment_method=payment_method,
            merchant_id=merchant_id,
        )
        order = insert_order(self.engine, merchant_id, pi, lines=lines)
        return return_input(order, merchant_id, **kw)

    async def start(self, inp: ReturnInput) -> WorkflowHandle:
        return await self.client.start_workflow(
            ReturnWorkflow.run,
            inp,
            id=return_workflow_id(inp.return_id),
            task_queue=TASK_QUEUE,
            # as the API starts it (api/returns_gateway.py)
            search_attributes=at_start(inp.merchant_id, inp.context.order.order_id),
        )


@asynccontextmanager
async def running_workers(client: Client, settings: Settings, engine: Engine, threads: int = 16) -> AsyncIterator[None]:
    """The worker process's two workers (workers/main.py build_workers) polling `client` until the block ends."""
    with ThreadPoolExecutor(max_workers=threads) as executor:
        workers = build_workers(client, settings, engine, executor)
        for w in workers:
            await w.__aenter__()
        try:
            yield
        finally:
            for w in reversed(workers):
                await w.__aexit__(None, None, None)


@pytest.fixture(scope="session")
async def harness(time_skipping_env, sandboxes, tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('wf') / 'returnflow.db'}"
    upgrade(url)
    settings = test_settings(url, sandboxes)
    engine = make_engine(url)
    async with running_workers(time_skipping_env.client, settings, engine):
        yield Harness(time_skipping_env, engine, settings, sandboxes)
    engine.dispose()
