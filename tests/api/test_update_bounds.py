"""The API's updates are bounded in time and safe to retry (api/returns_gateway.py).

With no worker polling, the SDK asks again for as long as nobody accepts an update; the API must still answer (503)
within its bound. A request sent again (a retry after that 503) is the same update: it gets the first answer."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from temporalio.testing import WorkflowEnvironment

from api.errors import ApiError
from api.returns_gateway import _update
from tests.conftest import BIN
from workflows.ids import request_update_id


async def test_an_update_no_worker_takes_is_a_503_within_the_bound_not_a_hang():
    # A test server of its own: an update left waiting for a worker keeps a time-skipping server from skipping,
    # which would hold up every later test on the shared one.
    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=str(BIN / "temporal-test-server"))
    client = env.client
    handle = await client.start_workflow(
        "ReturnWorkflow", id=f"return-ret_{uuid.uuid4().hex}", task_queue=f"nobody-polls-{uuid.uuid4().hex}"
    )
    try:
        update = handle.execute_update("inspect", {}, rpc_timeout=timedelta(seconds=1))
        with pytest.raises(ApiError) as refused:
            await asyncio.wait_for(_update(update, within=timedelta(seconds=2)), timeout=60)
        assert (refused.value.status, refused.value.code) == (503, "workers_unavailable")
    finally:
        await handle.terminate()
        await env.shutdown()


def test_the_same_request_is_the_same_update_and_another_is_not():
    first = request_update_id("inspect", "ret_1", '{"items":[{"line_id":"L1","grade":"A"}]}')
    assert first == request_update_id("inspect", "ret_1", '{"items":[{"line_id":"L1","grade":"A"}]}')
    assert first != request_update_id("inspect", "ret_1", '{"items":[{"line_id":"L1","grade":"B"}]}')
    assert first != request_update_id("inspect", "ret_2", '{"items":[{"line_id":"L1","grade":"A"}]}')
    assert first != request_update_id("review", "ret_1", '{"items":[{"line_id":"L1","grade":"A"}]}')
    assert "grade" not in first and len(first) < 100  # an id, not the request
