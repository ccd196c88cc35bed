"""`make run` as a user runs it: it prints what it started, keeps returns (and the sandboxes' state)
across restarts, and Ctrl-C (or SIGTERM) leaves no process behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port
from tests.factories import create_payment, order_body
from tests.integration.conftest import poll

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purposes (its parent just has not reaped it yet).
    return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[1])


class MakeRun:
    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        self.data_dir, self.env = data_dir, env
        self.log = data_dir.parent / f"make-run-{uuid.uuid4().hex[:6]}.out"
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                ["make", "run"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self, api: str) -> None:
        poll(lambda: self.ready(api), bool, 120, f"make run to answer /healthz (output: {self.output()[-2000:]})")

    def ready(self, api: str) -> bool:
        assert self.proc.poll() is None, self.output()
        try:
            return httpx.get(f"{api}/healthz", timeout=2).status_code == 200 and "Press Ctrl-C" in self.output()
        except httpx.TransportError:
            return False

    def children(self) -> dict[str, int]:
        return json.loads((self.data_dir / "stack.pids.json").read_text())


@pytest.fixture
def stack_env(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RETURNFLOW_")}
    env.update(
        RETURNFLOW_DATA_DIR=str(tmp_path / "data"),
        RETURNFLOW_TEMPORAL_ADDRESS=f"127.0.0.1:{free_port()}",
        RETURNFLOW_TEMPORAL_UI_PORT=str(free_port()),
        RETURNFLOW_API_PORT=str(free_port()),
        RETURNFLOW_EASYPOST_SANDBOX_PORT=str(free_port()),
        RETURNFLOW_PAYMENTS_SANDBOX_PORT=str(free_port()),
        RETURNFLOW_SMTP_PORT=str(free_port()),
        RETURNFLOW_MAIL_SANDBOX_PORT=str(free_port()),
        RETURNFLOW_DEMO_MERCHANT_KEY="rf_test_make_run_merchant_key_000001",
        RETURNFLOW_DEMO_WAREHOUSE_KEY="rf_test_make_run_warehouse_key_00001",
    )
    return env


def test_make_run_survives_a_restart_and_stops_cleanly(stack_env, tmp_path):
    env = stack_env
    api = f"http://127.0.0.1:{env['RETURNFLOW_API_PORT']}"
    merchant = {"Authorization": f"Bearer {env['RETURNFLOW_DEMO_MERCHANT_KEY']}"}
    warehouse = {"Authorization": f"Bearer {env['RETURNFLOW_DEMO_WAREHOUSE_KEY']}"}
    data_dir = Path(env["RETURNFLOW_DATA_DIR"])
    payments = f"http://127.0.0.1:{env['RETURNFLOW_PAYMENTS_SANDBOX_PORT']}"
    easypost = f"http://127.0.0.1:{env['RETURNFLOW_EASYPOST_SANDBOX_PORT']}"

    first = MakeRun(data_dir, env)
    try:
        first.wait_ready(api)
        out = first.output()
        mail = f"http://127.0.0.1:{env['RETURNFLOW_MAIL_SANDBOX_PORT']}/_sandbox/messages"
        for expected in (
            api,
            f"{api}/docs",
            f"http://127.0.0.1:{env['RETURNFLOW_TEMPORAL_UI_PORT']}",
            f"127.0.0.1:{env['RETURNFLOW_SMTP_PORT']}",
            mail,
            env["RETURNFLOW_DEMO_MERCHANT_KEY"],
            env["RETURNFLOW_DEMO_WAREHOUSE_KEY"],
        ):
            assert expected in out
        assert httpx.get(mail, timeout=5).status_code == 200  # the mail sandbox's inbox
        ui = httpx.get(f"http://127.0.0.1:{env['RETURNFLOW_TEMPORAL_UI_PORT']}/", timeout=10)
        assert ui.status_code == 200  # the Temporal web UI
        assert httpx.get(f"{api}/docs", timeout=5).status_code == 200
        pi = create_payment(payments, amount=2 * 2500 + 8999)
        r = httpx.put(f"{api}/v1/orders/o-restart", json=order_body(pi), headers=merchant)
        assert r.status_code == 201, r.text
        body = {
            "order_id": "o-restart",
            "items": [{"line_id": "L2", "quantity": 1, "reason": "too_large"}],
            "resolution": "refund",
        }
        ret = httpx.post(f"{api}/v1/returns", json=body, headers=merchant, timeout=30).json()
        assert ret["status"] == "label_created", ret
        label_file = httpx.get(ret["label"]["label_url"]).content
        pids = first.children()
        paid_before = [p["id"] for p in httpx.get(f"{payments}/_sandbox/payment_intents").json()]
        assert len(paid_before) == 1 + 3  # this test's payment and one per demo order (db/demo_shop.py)
        assert set(pids) == {"temporal", "easypost-sandbox", "payments-sandbox", "mail-sandbox", "worker", "api"}
    finally:
        os.killpg(first.proc.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
    assert first.proc.wait(timeout=60) is not None
    poll(lambda: [name for name, pid in pids.items() if alive(pid)], lambda left: left == [], 20, "every child to exit")

    second = MakeRun(data_dir, env)
    try:
        second.wait_ready(api)
        # The open return survived: same record, and its workflow still takes the warehouse's scan.
        got = httpx.get(f"{api}/v1/returns/{ret['id']}", headers=merchant).json()
        assert got["status"] == "label_created" and got["label"] == ret["label"]
        # So did the sandboxes' side of it (kept under the data dir): the payment, the label file, the tracker.
        # (the demo shop's orders were paid at the first start only: a restart pays nothing again)
        assert [p["id"] for p in httpx.get(f"{payments}/_sandbox/payment_intents").json()] == paid_before
        assert pi in paid_before
        assert httpx.get(ret["label"]["label_url"]).content == label_file
        r = httpx.post(
            f"{easypost}/_sandbox/trackers/{ret['label']['tracking_code']}/advance", json={"status": "pre_transit"}
        )
        assert r.status_code == 200, r.text
        r = httpx.post(f"{api}/v1/warehouse/receipts", json={"return_id": ret["id"]}, headers=warehouse)
        assert r.status_code == 202, r.text
        poll(
            lambda: httpx.get(f"{api}/v1/returns/{ret['id']}", headers=merchant).json()["status"],
            lambda s: s == "received",
            60,
            "the restarted stack to receive the return",
        )
        pids = second.children()
    finally:
        # SIGTERM to the stack process itself (make's child), as a service manager would send it.
        stack = parent_of(next(iter(second.children().values())))
        os.kill(stack, signal.SIGTERM)
    assert second.proc.wait(timeout=60) is not None
    poll(lambda: [name for name, pid in pids.items() if alive(pid)], lambda left: left == [], 20, "every child to exit")
    assert "stopped; every process is gone." in second.output()
