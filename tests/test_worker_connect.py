"""The worker waits for Temporal instead of dying: connect_retrying tries again, the wait doubling to a cap; and\nconnects to a cluster or Temporal Cloud as the settings say (TLS with client certificates, or an API key)."""

from __future__ import annotations

import asyncio
import socket
import uuid
from datetime import UTC, datetime

import pytest
from pydantic import BaseModel
from temporalio import workflow
from temporalio.service import TLSConfig
from temporalio.worker import Worker

from settings import Settings
from workers.client import connect, connect_retrying, tls_config


def test_connect_retrying_backs_off_until_temporal_answers():
    calls: list[tuple[str, str]] = []
    waits: list[float] = []
    client = object()

    async def dial(address: str, namespace: str):
        calls.append((address, namespace))
        if len(calls) < 6:
            raise RuntimeError("Failed client connect: connection refused")
        return client

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    got = asyncio.run(
        connect_retrying("temporal:7233", "default", first_delay=0.5, max_delay=4, dial=dial, sleep=sleep)
    )
    assert got is client
    assert calls == [("temporal:7233", "default")] * 6
    assert waits == [0.5, 1, 2, 4, 4]


def test_connect_retrying_gives_up_after_its_attempts_on_a_real_closed_port():
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    with pytest.raises(RuntimeError):
        asyncio.run(connect_retrying(f"127.0.0.1:{port}", attempts=3, first_delay=0.1, sleep=sleep))
    assert waits == [0.1, 0.2]


def test_the_worker_connects_through_the_retrying_client():
    import inspect

    from workers import main

    assert "connect_retrying(" in inspect.getsource(main.run)


# ---- a Temporal cluster or Temporal Cloud: TLS and API key from the settings (workers/client.py) ----


def test_no_tls_settings_mean_plain_grpc_as_the_dev_server_wants():
    assert tls_config(Settings()) is False


def test_an_api_key_implies_tls_as_temporal_cloud_wants():
    assert tls_config(Settings(temporal_api_key="cloud-api-key")) is True
    assert tls_config(Settings(temporal_tls=True)) is True  # server-side TLS only, the system's roots


def test_client_certificate_files_are_read_into_the_tls_config(tmp_path):
    cert, key, ca = tmp_path / "client.pem", tmp_path / "client.key", tmp_path / "ca.pem"
    cert.write_bytes(b"-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n")
    key.write_bytes(b"-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n")
    ca.write_bytes(b"-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n")
    tls = tls_config(
        Settings(
            temporal_tls_cert=cert,
            temporal_tls_key=key,
            temporal_tls_ca=ca,
            temporal_tls_server_name="returnflow.a1b2c.tmprl.cloud",
        )
    )
    assert isinstance(tls, TLSConfig)
    assert tls.client_cert == cert.read_bytes()
    assert tls.client_private_key == key.read_bytes()
    assert tls.server_root_ca_cert == ca.read_bytes()
    assert tls.domain == "returnflow.a1b2c.tmprl.cloud"


def test_client_certificates_without_a_ca_use_the_system_roots(tmp_path):
    cert, key = tmp_path / "client.pem", tmp_path / "client.key"
    cert.write_bytes(b"cert")
    key.write_bytes(b"key")
    tls = tls_config(Settings(temporal_tls_cert=cert, temporal_tls_key=key))
    assert isinstance(tls, TLSConfig)
    assert (tls.client_cert, tls.client_private_key, tls.server_root_ca_cert, tls.domain) == (
        b"cert",
        b"key",
        None,
        None,
    )


def test_a_missing_certificate_file_fails_at_start_up(tmp_path):
    with pytest.raises(FileNotFoundError):
        tls_config(Settings(temporal_tls_cert=tmp_path / "absent.pem", temporal_tls_key=tmp_path / "absent.key"))


def test_the_tls_settings_come_from_returnflow_env_vars(monkeypatch, tmp_path):
    monkeypatch.setenv("RETURNFLOW_TEMPORAL_ADDRESS", "returnflow.a1b2c.tmprl.cloud:7233")
    monkeypatch.setenv("RETURNFLOW_TEMPORAL_NAMESPACE", "returnflow.a1b2c")
    monkeypatch.setenv("RETURNFLOW_TEMPORAL_API_KEY", "cloud-api-key")
    monkeypatch.setenv("RETURNFLOW_TEMPORAL_TLS_CA", str(tmp_path / "ca.pem"))
    (tmp_path / "ca.pem").write_bytes(b"ca")
    s = Settings()
    assert (s.temporal_address, s.temporal_namespace) == ("returnflow.a1b2c.tmprl.cloud:7233", "returnflow.a1b2c")
    assert s.temporal_api_key.get_secret_value() == "cloud-api-key"
    assert tls_config(s).server_root_ca_cert == b"ca"


class EchoBox(BaseModel):
    words: list[str]
    at: datetime


@workflow.defn(sandboxed=False)
class EchoWorkflow:
    @workflow.run
    async def run(self, box: EchoBox) -> EchoBox:
        return EchoBox(words=box.words + ["back"], at=box.at)


async def test_connect_with_default_settings_talks_to_the_server_with_pydantic_payloads(time_skipping_env):
    target = time_skipping_env.client.service_client.config.target_host
    client = await connect(target, time_skipping_env.client.namespace, settings=Settings())
    assert client.namespace == time_skipping_env.client.namespace
    sent = EchoBox(words=["there"], at=datetime(2026, 12, 5, 7, 0, tzinfo=UTC))
    queue = f"echo-{uuid.uuid4().hex}"
    async with Worker(client, task_queue=queue, workflows=[EchoWorkflow]):
        got = await client.execute_workflow(EchoWorkflow.run, sent, id=f"echo-{uuid.uuid4().hex}", task_queue=queue)
    assert got == EchoBox(words=["there", "back"], at=sent.at)  # a model back, not a dict: the pydantic converter


async def test_the_returns_worker_caches_at_most_the_settings_workflows(time_skipping_env, sandboxes, tmp_path):
    """The sticky cache bounds the worker's memory however many returns are open (bench/open_returns.py)."""
    from concurrent.futures import ThreadPoolExecutor

    from temporalio.client import Client

    from db.session import make_engine
    from tests.conftest import test_settings as settings_for
    from workers.main import build_workers
    from workflows.ids import TASK_QUEUE

    url = f"sqlite:///{tmp_path / 'returnflow.db'}"
    settings = settings_for(url, sandboxes, worker_max_cached_workflows=37)
    # A client of its own: the core refuses a second worker for a task queue on the shared test client.
    client = await Client.connect(time_skipping_env.client.service_client.config.target_host)
    with ThreadPoolExecutor(max_workers=8) as executor:
        workers = build_workers(client, settings, make_engine(url), executor)
    caches = {w.config()["task_queue"]: w.config()["max_cached_workflows"] for w in workers}
    assert caches[TASK_QUEUE] == 37  # the queue the workflows run on


def test_the_readme_registers_every_search_attribute_the_workflows_upsert():
    """A namespace missing one fails the workflow tasks that upsert it: the README's commands keep up with ALL."""
    import re
    from pathlib import Path

    from workflows import search_attributes as sa

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("## Running on a Temporal cluster or Temporal Cloud", 1)[1].split("\n## ", 1)[0]
    wanted = {f"{key.name}={sa.cli_type(key)}" for key in sa.ALL}
    loop = re.search(r"for sa in (.+); do", section).group(1).split()
    cloud = re.findall(r"--search-attribute (\S+)", section)
    assert set(loop) == wanted
    assert set(cloud) == wanted
