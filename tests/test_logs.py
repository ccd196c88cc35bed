"""JSON log lines with the ids they are about (workers/logs.py, api/request_ids.py).

The API as `make run` starts it: uvicorn with the app factory, whose JSON lines include uvicorn's own access
log, each with the request's id (taken from X-Request-ID when sane, else made, and answered in the response)
and the return a path names, portal links still redacted. The worker: a line logged by any logger inside an
activity names the workflow and the return; Temporal's workflow logger's lines too.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from io import StringIO

import httpx
import pytest
import structlog
import uvicorn
from temporalio import activity, workflow
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from settings import get_settings
from tests.conftest import free_port
from tests.polling import poll
from workers.logs import ActivityLogContext, LineHandler, return_id_of, setup_logging
from workflows.ids import return_workflow_id, transfer_workflow_id

UVICORN = ("uvicorn", "uvicorn.error", "uvicorn.access", "httpx")


@pytest.fixture
def logging_restored():
    """Whatever a test does to the root and uvicorn's loggers and to structlog is undone after it."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    saved_uvicorn = {
        name: (list(logging.getLogger(name).handlers), logging.getLogger(name).propagate, logging.getLogger(name).level)
        for name in UVICORN
    }
    yield
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    for name, (handlers, propagate, level) in saved_uvicorn.items():
        logging.getLogger(name).handlers[:] = handlers
        logging.getLogger(name).propagate = propagate
        logging.getLogger(name).setLevel(level)
    structlog.reset_defaults()


@pytest.fixture
def api_process(sqlite_url, monkeypatch, logging_restored):
    """uvicorn serving `api.app:app_factory` from the environment's settings, as cli/stack.py starts it; yields
    its base URL and a function returning the JSON lines written so far."""
    monkeypatch.setenv("RETURNFLOW_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("RETURNFLOW_TEMPORAL_ADDRESS", f"127.0.0.1:{free_port()}")  # nothing there: no Temporal
    monkeypatch.setenv("RETURNFLOW_LOG_FORMAT", "json")
    get_settings.cache_clear()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config("api.app:app_factory", factory=True, host="127.0.0.1", port=port))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        poll(lambda: server.started, timeout=30, what="uvicorn started")
        handler = next(h for h in logging.getLogger().handlers if isinstance(h, LineHandler))
        buffer = StringIO()
        handler.setStream(buffer)
        yield f"http://127.0.0.1:{port}", lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        get_settings.cache_clear()


def access_line(lines, request_id: str) -> dict:
    return poll(
        lambda: [x for x in lines() if x.get("logger") == "uvicorn.access" and x.get("request_id") == request_id],
        timeout=10,
        what=f"the access line of {request_id}",
    )[0]


def test_a_request_id_comes_back_in_the_response_and_is_on_the_json_access_line(api_process):
    base, lines = api_process
    with httpx.Client(base_url=base) as api:
        sent = "shop-proxy:7f3a.42_b-c"
        r = api.get("/v1/returns/ret_0123456789abcdef01234567", headers={"X-Request-ID": sent})
        assert r.status_code == 401 and r.headers["X-Request-ID"] == sent
        line = access_line(lines, sent)
        assert line["return_id"] == "ret_0123456789abcdef01234567"
        assert (line["method"], line["path"], line["status"], line["level"]) == (
            "GET",
            "/v1/returns/ret_0123456789abcdef01234567",
            401,
            "info",
        )

        made = api.get("/portal/v1.the-link-token.sig/order")  # no id sent: one is made
        request_id = made.headers["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", request_id)
        line = access_line(lines, request_id)
        assert line["path"] == "/portal/[link]/order" and "return_id" not in line
        assert "the-link-token" not in json.dumps(lines())  # the portal link is a credential: never logged

        for unsafe in ("x" * 129, "two words", "<script>", "ünïcode"):
            r = api.get("/v1/returns", headers={"X-Request-ID": unsafe.encode()})
            assert r.headers["X-Request-ID"] != unsafe and re.fullmatch(r"[0-9a-f]{32}", r.headers["X-Request-ID"])
            assert access_line(lines, r.headers["X-Request-ID"])["status"] == 401


def test_every_api_line_is_one_json_object(api_process):
    base, lines = api_process
    with httpx.Client(base_url=base) as api:
        api.get("/v1/orders", headers={"X-Request-ID": "json-lines-1"})
    access_line(lines, "json-lines-1")
    assert all(isinstance(x, dict) and "event" in x and "timestamp" in x for x in lines())  # lines() parsed each


@activity.defn
def log_from_an_activity(note: str) -> str:
    # A plain stdlib logger, in the executor's thread: the ids come from the interceptor's context only.
    logging.getLogger("returnflow.test").info("activity note %s", note)
    return note


@workflow.defn
class LoggingWorkflow:
    @workflow.run
    async def run(self, note: str) -> str:
        workflow.logger.info("workflow note %s", note)
        return await workflow.execute_activity(log_from_an_activity, note, start_to_close_timeout=timedelta(seconds=30))


async def test_an_activitys_lines_carry_its_workflow_and_return(time_skipping_env, json_lines):
    return_id = f"ret_{uuid.uuid4().hex[:24]}"
    note = uuid.uuid4().hex
    queue = f"logs-{note}"
    with ThreadPoolExecutor(max_workers=2) as executor:
        async with Worker(
            time_skipping_env.client,
            task_queue=queue,
            workflows=[LoggingWorkflow],
            activities=[log_from_an_activity],
            activity_executor=executor,
            interceptors=[ActivityLogContext()],
            workflow_runner=UnsandboxedWorkflowRunner(),  # the subject is the activity's context, not the sandbox
        ):
            await time_skipping_env.client.execute_workflow(
                LoggingWorkflow.run, note, id=return_workflow_id(return_id), task_queue=queue
            )
    lines = json_lines()
    in_activity = [x for x in lines if x["event"] == f"activity note {note}"]
    assert len(in_activity) == 1, lines
    assert in_activity[0]["workflow_id"] == return_workflow_id(return_id)
    assert in_activity[0]["return_id"] == return_id
    assert in_activity[0]["activity"] == "log_from_an_activity" and in_activity[0]["logger"] == "returnflow.test"
    in_workflow = [x for x in lines if x["event"].startswith(f"workflow note {note}")]
    assert in_workflow and in_workflow[0]["workflow_id"] == return_workflow_id(return_id)
    assert in_workflow[0]["return_id"] == return_id
    # Outside the activity, nothing is left bound.
    logging.getLogger("returnflow.test").info("after %s", note)
    after = [x for x in json_lines() if x["event"] == f"after {note}"]
    assert after and "workflow_id" not in after[0] and "return_id" not in after[0]


def test_the_return_is_read_off_the_workflow_id():
    assert return_id_of(return_workflow_id("ret_ab12")) == "ret_ab12"
    assert return_id_of(transfer_workflow_id("ret_ab12", "L-1")) == "ret_ab12"
    assert return_id_of("notify-evt_ret_ab12_return_refunded") is None
    assert return_id_of("return-") is None


def test_setup_twice_leaves_one_handler_and_console_lines_for_people(logging_restored):
    buffer = StringIO()
    setup_logging("json", stream=StringIO())
    setup_logging("console", "DEBUG", stream=buffer)
    assert sum(isinstance(h, LineHandler) for h in logging.getLogger().handlers) == 1
    structlog.get_logger("returnflow.test").info("people read this", return_id="ret_1")
    logging.getLogger("returnflow.test").debug("and this")
    text = buffer.getvalue()
    assert "people read this" in text and "return_id=ret_1" in text and "and this" in text
    assert not text.lstrip().startswith("{")
