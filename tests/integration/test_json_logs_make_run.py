"""`make run`'s processes write JSON lines (workers/logs.py): the API's access line of a create carries the
request id the client sent (and answered back), the worker's lines about that return carry its workflow and
return ids. Read from the log files the stack writes (data_dir/logs), as ops would ship them."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.factories import create_payment, order_body
from tests.integration.conftest import Running, poll
from workflows.ids import return_workflow_id

pytestmark = pytest.mark.integration


def json_lines(run: Running, name: str) -> list[dict]:
    text = run.stack.log_path(name).read_text(errors="replace")
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_make_runs_api_and_worker_log_json_lines_with_the_ids_they_are_about(running: Running):
    run = running
    pi = create_payment(run.settings.stripe_base_url, amount=2 * 2500 + 8999)
    order_id = f"o-{uuid.uuid4().hex[:8]}"
    assert run.api.put(f"/v1/orders/{order_id}", json=order_body(pi), headers=run.merchant()).status_code == 201
    request_id = f"it-{uuid.uuid4().hex}"
    body = {
        "order_id": order_id,
        "items": [{"line_id": "L1", "quantity": 1, "reason": "too_small"}],
        "resolution": "refund",
    }
    r = run.api.post("/v1/returns", json=body, headers={**run.merchant(), "X-Request-ID": request_id})
    assert r.status_code == 201, r.text
    assert r.headers["X-Request-ID"] == request_id
    return_id = r.json()["id"]

    access = poll(
        lambda: [x for x in json_lines(run, "api") if x.get("request_id") == request_id],
        timeout=20,
        what="the create's access line",
    )
    assert access[0]["logger"] == "uvicorn.access" and access[0]["path"] == "/v1/returns"
    assert access[0]["status"] == 201 and access[0]["method"] == "POST"

    about_it = poll(
        lambda: [x for x in json_lines(run, "worker") if x.get("workflow_id") == return_workflow_id(return_id)],
        timeout=30,
        what="a worker line about the return",
    )
    assert all(x["return_id"] == return_id for x in about_it)
    assert all({"event", "level", "logger", "timestamp"} <= x.keys() for x in json_lines(run, "worker"))
