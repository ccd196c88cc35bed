"""The embedded stack, exactly as `make run` starts it, on free ports in a temp folder."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from cli.ports import settings_on_free_ports
from cli.stack import Stack
from db.seed import seed_merchant
from db.session import make_engine
from settings import Settings
from tests.polling import poll  # noqa: F401  (re-exported for the integration tests)


@dataclass
class Running:
    stack: Stack
    settings: Settings
    api: httpx.Client
    easypost: httpx.Client  # the sandbox's admin side
    payments: httpx.Client
    mail: httpx.Client  # the mail sandbox's inbox (GET /_sandbox/messages?to=...)

    def merchant(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.settings.demo_merchant_key.get_secret_value()}"}

    def warehouse(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.settings.demo_warehouse_key.get_secret_value()}"}


@pytest.fixture(scope="session")
def running(tmp_path_factory) -> Iterator[Running]:
    data_dir = tmp_path_factory.mktemp("stack")
    settings = settings_on_free_ports(
        data_dir,
        demo_merchant_key="rf_test_merchant_integration_key_0001",
        demo_warehouse_key="rf_test_warehouse_integration_key_001",
        submit_timeout_seconds=8,  # the worker-down test waits this long for its 202
        # Every test of the session finds its orders from 127.0.0.1: the per-client limit would be shared by all
        # of them (tests/api/test_portal_find.py proves the real limit); the per-order lockout stays as shipped.
        portal_lookup_limits="100000/minute;1000000/hour",
    )
    stack = Stack(settings, temporal_ui=False)
    stack.start()
    try:
        with (
            httpx.Client(base_url=settings.api_base_url, timeout=30) as api,
            httpx.Client(base_url=f"http://127.0.0.1:{settings.easypost_sandbox_port}", timeout=30) as ep,
            httpx.Client(base_url=settings.stripe_base_url, timeout=30) as pay,
            httpx.Client(base_url=settings.mail_sandbox_url, timeout=30) as mail,
        ):
            yield Running(stack, settings, api, ep, pay, mail)
    finally:
        stack.stop()


@pytest.fixture
def shop(running: Running) -> dict:
    """A merchant of its own, so policy changes here touch no other test: its id, and headers per key scope."""
    merchant_id = f"pol-{uuid.uuid4().hex[:8]}"
    keys = {s: f"rf_test_{s}_{uuid.uuid4().hex}" for s in ("merchant", "warehouse", "ops")}
    engine = make_engine(running.settings.database_url)
    seed_merchant(
        engine,
        merchant_id=merchant_id,
        name="Policy shop",
        merchant_key=keys["merchant"],
        warehouse_key=keys["warehouse"],
        ops_key=keys["ops"],
    )
    engine.dispose()
    return {"id": merchant_id, **{s: {"Authorization": f"Bearer {k}"} for s, k in keys.items()}}
