"""The webhook sender's counters (activities/business_metrics.py) on a Prometheus page of the SDK's runtime: each
attempt counted sent or failed, recorded from the sender's own threads (outside any activity)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from temporalio.common import MetricMeter

from activities import business_metrics
from activities.webhook_sender import WebhookSender
from domain.notifications import EventType
from settings import Settings
from tests.activities.test_webhook_sender import T0, add, drain, make_endpoint, running_receiver
from tests.conftest import free_port
from tests.factories import new_merchant
from workers.telemetry import worker_runtime


@pytest.fixture
def metrics_url() -> Iterator[str]:
    address = f"127.0.0.1:{free_port()}"
    runtime = worker_runtime(Settings(worker_metrics_address=address))  # held: its endpoint lives with it
    assert runtime is not None
    try:
        yield f"http://{address}/metrics"
    finally:
        business_metrics.record_to(MetricMeter.noop)


def webhooks(url: str, result: str) -> float:
    text = httpx.get(url, timeout=5).text
    return sum(
        s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if s.name == "returnflow_webhooks_total" and s.labels.get("result") == result
    )


async def test_each_webhook_attempt_is_counted_sent_or_failed(engine, metrics_url):
    merchant_id, _, _ = new_merchant(engine)
    with running_receiver() as receiver:
        make_endpoint(engine, merchant_id, receiver)
        add(engine, merchant_id, "r1", EventType.RETURN_CREATED)
        receiver.failing = {add(engine, merchant_id, "r2", EventType.RETURN_CREATED)}
        assert await drain(WebhookSender(engine), T0) == 2
    assert (webhooks(metrics_url, "sent"), webhooks(metrics_url, "failed")) == (1, 1)
    assert merchant_id not in httpx.get(metrics_url).text
