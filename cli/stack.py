"""The embedded stack behind `make run` (and the integration tests).

Starts, in order: the Temporal dev server (file-backed under data_dir, UI on),
the EasyPost, payments and mail sandboxes (the first two keep their state under
data_dir/sandboxes), one worker and the API, each as a child process in its own
session with its log under data_dir/logs. `respawn` starts a dead child again
the same way (cli/supervisor.py decides when). Stops them all, in reverse order,
on Ctrl-C or SIGTERM; children also die with this process (PR_SET_PDEATHSIG), so
nothing is left behind even if it is killed outright.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cli.readiness import has_pollers, http_ok, temporal_healthy, wait_until
from settings import Settings
from workflows import search_attributes as sa

BIN = Path(sys.executable).parent
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass  # not Linux: Ctrl-C handling still stops everything


def settings_env(settings: Settings) -> dict[str, str]:
    """Environment that makes a child process build the very same Settings."""
    env = {}
    for name, value in settings.model_dump().items():
        if value is None or name.startswith("uses_"):
            continue
        if hasattr(value, "get_secret_value"):
            value = value.get_secret_value()
        env[f"RETURNFLOW_{name.upper()}"] = str(value)
    return env


@dataclass
class Child:
    name: str
    argv: list[str]
    proc: subprocess.Popen | None = None
    log_path: Path | None = None
    extra_env: dict[str, str] | None = None
    started_at: float = field(default_factory=time.monotonic)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


class Stack:
    def __init__(self, settings: Settings, *, temporal_ui: bool = True) -> None:
        self.settings = settings
        self.embedded_temporal = settings.uses_embedded_temporal
        self.temporal_ui = temporal_ui
        self.children: dict[str, Child] = {}
        self.log_dir = settings.data_dir / "logs"

    # ---- lifecycle ---------------------------------------------------------------------
    def start(self, progress: Callable[[str], None] = lambda _: None) -> None:
        from db.migrate import upgrade

        s = self.settings
        s.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        try:
            if self.embedded_temporal:
                progress("Temporal dev server")
                self._start_temporal()
            progress("database migrations and demo data")
            upgrade(s.database_url)
            self._seed()
            if s.uses_easypost_sandbox:
                progress("EasyPost sandbox")
                self._spawn(
                    "easypost-sandbox",
                    [
                        "-m",
                        "sandboxes.easypost",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(s.easypost_sandbox_port),
                        "--data-dir",
                        str(self.sandbox_dir("easypost")),
                    ],
                    extra_env={"RETURNFLOW_EASYPOST_SANDBOX_WEBHOOK_URL": f"{s.api_base_url}/v1/webhooks/easypost"},
                )
                self._wait_http("easypost-sandbox", f"http://127.0.0.1:{s.easypost_sandbox_port}/_sandbox/stats")
            if s.uses_payments_sandbox:
                progress("payments sandbox")
                self._spawn(
                    "payments-sandbox",
                    [
                        "-m",
                        "sandboxes.payments",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(s.payments_sandbox_port),
                        "--data-dir",
                        str(self.sandbox_dir("payments")),
                    ],
                )
                self._wait_http("payments-sandbox", f"http://127.0.0.1:{s.payments_sandbox_port}/_sandbox/stats")
            if s.uses_mail_sandbox:
                progress("mail sandbox")
                self._spawn(
                    "mail-sandbox",
                    [
                        "-m",
                        "sandboxes.mail",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(s.mail_sandbox_port),
                        "--smtp-port",
                        str(s.smtp_port),
                    ],
                )
                # The HTTP side answers only after its lifespan bound the SMTP port: both are up.
                self._wait_http("mail-sandbox", f"{s.mail_sandbox_url}/_sandbox/stats")
            progress("the demo shop's orders")
            self._seed_demo_shop()
            progress("worker")
            self.start_worker()
            progress("API")
            self._spawn(
                "api",
                [
                    "-m",
                    "uvicorn",
                    "api.app:app_factory",
                    "--factory",
                    "--host",
                    s.api_host,
                    "--port",
                    str(s.api_port),
                    "--timeout-keep-alive",
                    "30",
                ],
            )
            self._wait_http("api", f"{s.api_base_url}/healthz", timeout=60)
            self._write_pids()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        for child in reversed(list(self.children.values())):
            self._terminate(child)
        self.children.clear()

    def start_worker(self) -> None:
        child = self._spawn("worker", ["-m", "workers.main"])
        wait_until(lambda: has_pollers(self.settings), "worker", 60, child.alive)
        self._write_pids()

    def kill_worker(self) -> None:
        """SIGKILL, as a crash would: no shutdown, no cleanup."""
        child = self.children.pop("worker")
        assert child.proc is not None
        os.killpg(child.proc.pid, signal.SIGKILL)
        child.proc.wait(timeout=10)

    def sandbox_dir(self, name: str) -> Path:
        """Where a sandbox keeps its state (SQLite, label files) across restarts."""
        return (self.settings.data_dir / "sandboxes" / name).resolve()

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def reap(self, name: str) -> None:
        """After a child died: SIGKILL whatever is left of its process group (it owns no port then)."""
        child = self.children[name]
        if child.proc is None:
            return
        try:
            os.killpg(child.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass  # the group is gone with its leader
        child.proc.poll()

    def respawn(self, name: str) -> int:
        """Start a dead child again, exactly as it was started; returns its new pid. Does not wait for it."""
        old = self.children[name]
        with open(self.log_path(name), "a") as log:
            log.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} restarted by make run's supervisor ---\n")
        child = self._spawn(name, old.argv, python=False, extra_env=old.extra_env)
        self._write_pids()
        assert child.proc is not None
        return child.proc.pid

    # ---- pieces ------------------------------------------------------------------------
    def _start_temporal(self) -> None:
        s = self.settings
        host, _, port = s.temporal_address.rpartition(":")
        argv = [
            str(BIN / "temporal"),
            "server",
            "start-dev",
            "--ip",
            host,
            "--port",
            port,
            "--db-filename",
            str((s.data_dir / "temporal.db").resolve()),
            "--log-level",
            "warn",
        ]
        argv += ["--ui-port", str(s.temporal_ui_port)] if self.temporal_ui else ["--headless"]
        if self.temporal_ui and s.payload_codec_keys.get_secret_value():  # encrypted histories: the UI decodes
            argv += ["--ui-codec-endpoint", f"{s.api_base_url}/temporal-codec"]  # via the API (temporal_codec.py)
        for key in sa.ALL:
            argv += ["--search-attribute", f"{key.name}={sa.cli_type(key)}"]
        child = self._spawn("temporal", argv, python=False)
        wait_until(lambda: temporal_healthy(s.temporal_address), "Temporal dev server", 90, child.alive)

    def _seed(self) -> None:
        from db.onboarding import starter_facilities, starter_policy
        from db.seed import DEMO_MERCHANT_ID, seed_merchant
        from db.session import make_engine

        s = self.settings
        engine = make_engine(s.database_url)
        try:
            seed_merchant(
                engine,
                merchant_id=DEMO_MERCHANT_ID,
                name="Demo Shop",
                merchant_key=s.demo_merchant_key.get_secret_value(),
                warehouse_key=s.demo_warehouse_key.get_secret_value(),
                ops_key=s.demo_ops_key.get_secret_value(),
                policy=starter_policy(),
                facilities=starter_facilities(),
                return_window_days=s.return_window_days,
                label_expiry_days=s.label_expiry_days,
            )
        finally:
            engine.dispose()

    def _seed_demo_shop(self) -> None:
        """Orders a shopper can return at /portal/demo, each paid in the payments sandbox (db/demo_shop.py)."""
        from datetime import UTC, datetime

        import stripe

        from db.demo_shop import seed_demo_shop
        from db.seed import DEMO_MERCHANT_ID, DEMO_WAREHOUSE_ID
        from db.session import make_engine
        from domain.payout import OWNER_METADATA_KEY

        s = self.settings
        client = stripe.StripeClient(
            s.stripe_api_key.get_secret_value(), base_addresses={"api": s.stripe_base_url}, max_network_retries=2
        )

        def pay(order_id: str, amount: int) -> str | None:
            if not s.uses_payments_sandbox:
                return None  # a real Stripe account: demo orders stay unpaid (refunds are then held for ops)
            params = {"amount": amount, "currency": "eur", "payment_method": "pm_card_visa", "confirm": True}
            params["metadata"] = {OWNER_METADATA_KEY: DEMO_MERCHANT_ID, "order_id": order_id}
            return client.v1.payment_intents.create(params=params).id

        engine = make_engine(s.database_url)
        try:
            seed_demo_shop(engine, DEMO_MERCHANT_ID, DEMO_WAREHOUSE_ID, datetime.now(UTC), pay)
        finally:
            engine.dispose()

    def _spawn(
        self, name: str, argv: list[str], *, python: bool = True, extra_env: dict[str, str] | None = None
    ) -> Child:
        env = {**os.environ, **settings_env(self.settings), **(extra_env or {}), "PYTHONUNBUFFERED": "1"}
        full = [sys.executable, *argv] if python else argv
        log_path = self.log_path(name)
        log = open(log_path, "ab")
        proc = subprocess.Popen(
            full,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=Path(__file__).resolve().parent.parent,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        log.close()
        child = Child(name=name, argv=full, proc=proc, log_path=log_path, extra_env=extra_env)
        self.children[name] = child
        return child

    def _wait_http(self, name: str, url: str, timeout: float = 30) -> None:
        wait_until(http_ok(url), name, timeout, self.children[name].alive)

    def _terminate(self, child: Child) -> None:
        if child.proc is None or child.proc.poll() is not None:
            return
        try:
            os.killpg(child.proc.pid, signal.SIGTERM)
            child.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(child.proc.pid, signal.SIGKILL)
            child.proc.wait(timeout=5)
        except ProcessLookupError:
            pass

    def _write_pids(self) -> None:
        pids = {name: c.proc.pid for name, c in self.children.items() if c.proc}
        path = self.settings.data_dir / "stack.pids.json"
        path.with_suffix(".tmp").write_text(json.dumps(pids))
        os.replace(path.with_suffix(".tmp"), path)  # a reader never sees it half-written

    def log_tail(self, name: str, lines: int = 30) -> str:
        child = self.children.get(name)
        if child is None or child.log_path is None or not child.log_path.exists():
            return ""
        return "\n".join(child.log_path.read_text(errors="replace").splitlines()[-lines:])
