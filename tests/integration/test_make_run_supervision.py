"""`make run` survives its children: each one SIGKILLed in turn is started again by the supervisor,
and the returns in flight meanwhile all complete, each with one label and one refund.

A stack of its own (`make run` in a temp data dir, on free ports), so the shared `running` stack is
never disturbed.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

from tests.conftest import free_port
from tests.factories import create_payment, order_body
from tests.integration.conftest import poll
from tests.integration.test_make_run import MakeRun, alive
from workers.client import connect
from workflows.ids import TASK_QUEUE

pytestmark = pytest.mark.integration
RETURNS = 3
ITEMS = [
    {"line_id": "L1", "quantity": 2, "reason": "too_small"},
    {"line_id": "L2", "quantity": 1, "reason": "defective"},
]


class Stack:
    """The `make run` under test, seen from outside: its URLs, its children's pids, and HTTP helpers."""

    def __init__(self, run: MakeRun, env: dict[str, str]) -> None:
        self.run, self.env = run, env
        self.api = f"http://127.0.0.1:{env['RETURNFLOW_API_PORT']}"
        self.easypost = f"http://127.0.0.1:{env['RETURNFLOW_EASYPOST_SANDBOX_PORT']}"
        self.payments = f"http://127.0.0.1:{env['RETURNFLOW_PAYMENTS_SANDBOX_PORT']}"
        self.mail = f"http://127.0.0.1:{env['RETURNFLOW_MAIL_SANDBOX_PORT']}"
        self.merchant = {"Authorization": f"Bearer {env['RETURNFLOW_DEMO_MERCHANT_KEY']}"}
        self.warehouse = {"Authorization": f"Bearer {env['RETURNFLOW_DEMO_WAREHOUSE_KEY']}"}
        self.http = httpx.Client(timeout=30)

    def get_return(self, return_id: str) -> dict:
        r = self.http.get(f"{self.api}/v1/returns/{return_id}", headers=self.merchant)
        assert r.status_code == 200, r.text
        return r.json()

    def wait_all(self, ids: list[str], status: str, timeout: float = 60) -> list[dict]:
        return poll(
            lambda: [self.get_return(i) for i in ids],
            lambda rs: all(r["status"] == status for r in rs),
            timeout,
            f"every return to be {status}",
        )

    def advance(self, tracking_code: str, status: str) -> None:
        r = self.http.post(
            f"{self.easypost}/_sandbox/trackers/{tracking_code}/advance",
            json={"status": status},
        )
        assert r.status_code == 200, r.text
        assert [d["status_code"] for d in r.json()["deliveries"]] == [200]  # the API took the signed webhook

    def labels(self, return_id: str) -> list[dict]:
        shipments = self.http.get(f"{self.easypost}/_sandbox/shipments", params={"reference": return_id}).json()
        return [s["postage_label"] for s in shipments if s.get("postage_label")]

    def refunds(self, return_id: str) -> list[dict]:
        params = {"metadata_key": "return_id", "metadata_value": return_id}
        return self.http.get(f"{self.payments}/_sandbox/refunds", params=params).json()

    # ---- the children ----------------------------------------------------------------------
    def answers(self, url: str) -> bool:
        try:
            return self.http.get(url, timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def worker_polls(self, pid: int) -> bool:
        """The worker with this pid polls the workflow task queue (pollers are named pid@host)."""

        async def identities() -> set[str]:
            client = await connect(self.env["RETURNFLOW_TEMPORAL_ADDRESS"])
            resp = await client.workflow_service.describe_task_queue(
                DescribeTaskQueueRequest(
                    namespace="default",
                    task_queue=TaskQueue(name=TASK_QUEUE),
                    task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
                )
            )
            return {p.identity for p in resp.pollers}

        try:
            return any(i.startswith(f"{pid}@") for i in asyncio.run(identities()))
        except Exception:  # noqa: BLE001 - Temporal not answering yet is "not yet"
            return False

    def serving(self, name: str, pids: dict[str, int]) -> bool:
        """The child answers as it should (for Temporal: the API sees it and the worker polls it again)."""
        checks: dict[str, Callable[[], bool]] = {
            "worker": lambda: self.worker_polls(pids["worker"]),
            "temporal": lambda: self.answers(f"{self.api}/healthz") and self.worker_polls(pids["worker"]),
            "easypost-sandbox": lambda: self.answers(f"{self.easypost}/_sandbox/stats"),
            "payments-sandbox": lambda: self.answers(f"{self.payments}/_sandbox/stats"),
            "mail-sandbox": lambda: self.answers(f"{self.mail}/_sandbox/stats"),
            "api": lambda: self.answers(f"{self.api}/healthz"),
        }
        return checks[name]()

    def kill(self, name: str) -> float:
        """SIGKILL one child; returns the seconds until a new one is serving."""
        old = self.run.children()[name]
        started = time.monotonic()
        os.kill(old, signal.SIGKILL)

        def replaced() -> dict[str, int] | None:
            pids = self.run.children()
            return pids if pids[name] != old and alive(pids[name]) and self.serving(name, pids) else None

        poll(
            replaced,
            bool,
            60,
            f"{name} to be restarted and serving (output: {self.run.output()[-1500:]})",
        )
        return time.monotonic() - started


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    """`make run`'s environment: a data dir of its own and free ports."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RETURNFLOW_")}
    ports = (
        "API",
        "EASYPOST_SANDBOX",
        "PAYMENTS_SANDBOX",
        "SMTP",
        "MAIL_SANDBOX",
        "TEMPORAL_UI",
    )
    env.update({f"RETURNFLOW_{name}_PORT": str(free_port()) for name in ports})
    env.update(
        RETURNFLOW_DATA_DIR=str(tmp_path / "data"),
        RETURNFLOW_TEMPORAL_ADDRESS=f"127.0.0.1:{free_port()}",
        RETURNFLOW_DEMO_MERCHANT_KEY="rf_test_supervision_merchant_key_01",
        RETURNFLOW_DEMO_WAREHOUSE_KEY="rf_test_supervision_warehouse_key_1",
    )
    return env


def test_every_child_killed_in_turn_comes_back_and_every_return_completes_once(env):
    run = MakeRun(Path(env["RETURNFLOW_DATA_DIR"]), env)
    stack = Stack(run, env)
    restarts: dict[str, float] = {}
    try:
        run.wait_ready(stack.api)
        # A few returns in flight: each on its own order and card payment, each with its label.
        returns, due = [], {}
        for _ in range(RETURNS):
            pi = create_payment(stack.payments, amount=2 * 2500 + 8999)
            order_id = f"o-{uuid.uuid4().hex[:8]}"
            r = stack.http.put(
                f"{stack.api}/v1/orders/{order_id}",
                json=order_body(pi),
                headers=stack.merchant,
            )
            assert r.status_code == 201, r.text
            body = {"order_id": order_id, "items": ITEMS, "resolution": "refund"}
            quote = stack.http.post(f"{stack.api}/v1/returns/quote", json=body, headers=stack.merchant).json()
            r = stack.http.post(f"{stack.api}/v1/returns", json=body, headers=stack.merchant)
            assert r.status_code == 201 and r.json()["status"] == "label_created", r.text
            returns.append(r.json())
            due[r.json()["id"]] = (quote["settlement_amount"]["amount"], pi)
        ids = [r["id"] for r in returns]
        label_files = {r["id"]: stack.http.get(r["label"]["label_url"]).content for r in returns}

        # The worker dies while the first carrier scans are being signalled.
        for ret in returns:
            stack.advance(ret["label"]["tracking_code"], "in_transit")
        restarts["worker"] = stack.kill("worker")
        stack.wait_all(ids, "in_transit")

        # Temporal dies right after the deliveries were signalled; its file keeps them.
        for ret in returns:
            stack.advance(ret["label"]["tracking_code"], "delivered")
        restarts["temporal"] = stack.kill("temporal")
        stack.wait_all(ids, "delivered")

        # The EasyPost sandbox dies: its shipments, trackers and label files come back with it.
        restarts["easypost-sandbox"] = stack.kill("easypost-sandbox")
        for ret in returns:
            shipments = stack.http.get(f"{stack.easypost}/_sandbox/shipments", params={"reference": ret["id"]}).json()
            assert [(s["tracking_code"], s["tracker"]["status"]) for s in shipments] == [
                (ret["label"]["tracking_code"], "delivered")
            ]
            assert stack.http.get(ret["label"]["label_url"]).content == label_files[ret["id"]]

        for ret in returns:
            r = stack.http.post(
                f"{stack.api}/v1/warehouse/receipts",
                json={"return_id": ret["id"]},
                headers=stack.warehouse,
            )
            assert r.status_code == 202, r.text
        stack.wait_all(ids, "received")

        # The payments sandbox dies while the refunds are being made.
        for ret in returns:
            r = stack.http.post(
                f"{stack.api}/v1/returns/{ret['id']}/inspection",
                headers=stack.warehouse,
                json={"items": [{"line_id": "L1", "grade": "A"}, {"line_id": "L2", "grade": "D"}]},
            )
            assert r.status_code == 200, r.text
        restarts["payments-sandbox"] = stack.kill("payments-sandbox")
        restarts["mail-sandbox"] = stack.kill("mail-sandbox")
        restarts["api"] = stack.kill("api")

        done = stack.wait_all(ids, "completed", timeout=90)
        for ret in done:
            amount, pi = due[ret["id"]]
            assert ret["refund"]["method"] == "refund" and ret["refund"]["amount"] == amount
            assert len(stack.labels(ret["id"])) == 1
            refunds = stack.refunds(ret["id"])
            assert [(r["amount"], r["payment_intent"], r["status"]) for r in refunds] == [(amount, pi, "succeeded")]
            assert refunds[0]["id"] == ret["refund"]["reference"]

        out = run.output()
        for name in restarts:
            assert f"{name} exited (killed by SIGKILL)" in out and f"{name} restarted (pid" in out
        print(
            "restart times (kill -> serving again):",
            {k: round(v, 1) for k, v in restarts.items()},
        )
        pids = run.children()
    finally:
        stack.http.close()
        if run.proc.poll() is None:
            os.killpg(run.proc.pid, signal.SIGINT)  # Ctrl-C
        else:
            print(run.output()[-3000:])  # it stopped by itself: say why
    assert run.proc.wait(timeout=60) is not None
    poll(
        lambda: [name for name, pid in pids.items() if alive(pid)],
        lambda left: left == [],
        20,
        "every child to exit",
    )
