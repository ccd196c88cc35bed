"""The worker's Prometheus endpoint (workers/telemetry.py): the Temporal SDK's metrics and the business counters
(activities/business_metrics.py) on one page, after a real return ran on a real worker and the dev server."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest
from temporalio.common import MetricMeter

from activities import business_metrics
from db.migrate import upgrade
from db.session import make_engine
from domain.returns import Grade, ReturnReason
from tests import conftest as base
from tests.conftest import free_port
from tests.polling import poll_async
from tests.prometheus import scrape, value
from tests.workflows.conftest import Harness, running_workers
from tests.workflows.test_everyone_hears import drain_for, drained
from tests.workflows.test_return_workflow import receipt, scan, submitted
from workers.telemetry import worker_runtime
from workflows.messages import CancelRequest, InspectedItem, Inspection
from workflows.returns import ReturnWorkflow


@pytest.fixture(scope="module")
async def metered(sandboxes, tmp_path_factory):
    """A worker whose client runs on worker_runtime's Runtime (a free port), on the dev server; the metrics URL."""
    url = f"sqlite:///{tmp_path_factory.mktemp('metered') / 'returnflow.db'}"
    upgrade(url)
    address = f"127.0.0.1:{free_port()}"
    settings = base.test_settings(url, sandboxes, worker_metrics_address=address)
    runtime = worker_runtime(settings)
    assert runtime is not None
    env = await base.dev_server(runtime=runtime)
    engine = make_engine(url)
    try:
        async with running_workers(env.client, settings, engine):
            yield Harness(env, engine, settings, sandboxes), f"http://{address}/metrics"
    finally:
        business_metrics.record_to(MetricMeter.noop)  # the next tests count nowhere again
        engine.dispose()
        await env.shutdown()


async def test_the_worker_endpoint_serves_sdk_metrics_and_business_counters_after_a_return(metered):
    h, url = metered
    before = await asyncio.to_thread(scrape, url)  # bound as the Runtime was made: up before any worker polls
    bought_before = value(before, "returnflow_labels_bought_total", kind="return")

    inp = h.new_return(reason=ReturnReason.TOO_SMALL)
    handle, view = await submitted(h, inp)
    assert view.label is not None
    await drained(drain_for(h))  # the label email, as the worker's outbox drain sends it
    await handle.signal(ReturnWorkflow.carrier_event, scan("evt_1", "in_transit"))
    await handle.signal(ReturnWorkflow.carrier_event, scan("evt_2", "delivered"))
    await handle.signal(ReturnWorkflow.warehouse_receipt, receipt())
    result = await handle.execute_update(
        ReturnWorkflow.inspect,
        Inspection(items=[InspectedItem(line_id="L1", grade=Grade.A), InspectedItem(line_id="L2", grade=Grade.C)]),
    )
    refund = result.refund.amount
    assert refund > 0

    def settled(page: list) -> bool:
        refunded = value(page, "returnflow_refunded_amount_minor_total", currency=inp.context.order.currency)
        return refunded >= refund and value(page, "returnflow_emails_total", kind="label_ready", result="sent") >= 1

    page = await poll_async(lambda: scrape(url), until=settled, what="the refund and the label email counted")
    currency = inp.context.order.currency
    assert value(page, "returnflow_labels_bought_total", kind="return") == bought_before + 1  # once, whatever retries
    assert value(page, "returnflow_refunds_total", currency=currency) == 1
    assert value(page, "returnflow_refunded_amount_minor_total", currency=currency) == refund
    # The SDK's own, on the same page: the workflow's tasks and the carrier activity that bought the label.
    assert value(page, "temporal_workflow_task_execution_latency_count", workflow_type="ReturnWorkflow") > 0
    assert value(page, "temporal_activity_execution_latency_count", activity_type="buy_return_label") >= 1
    assert not any(inp.return_id in str(labels) or inp.merchant_id in str(labels) for _, labels, _ in page)


async def test_a_cancelled_return_counts_its_label_voided(metered):
    h, url = metered
    voided = "returnflow_labels_voided_total"
    before = await asyncio.to_thread(scrape, url)
    inp = h.new_return()
    handle, _ = await submitted(h, inp)
    await handle.execute_update(ReturnWorkflow.cancel, CancelRequest(reason="shopper changed plans"))
    page = await poll_async(
        lambda: scrape(url), until=lambda p: value(p, voided) > value(before, voided), what="the void counted"
    )
    statuses = {got["refund_status"] for n, got, _ in page if n == voided}
    assert statuses <= {"submitted", "refunded"} and value(page, voided) == value(before, voided) + 1


def test_a_taken_address_leaves_the_worker_without_an_endpoint_and_says_so(sandboxes, tmp_path, caplog):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        host, port = taken.getsockname()
        settings = base.test_settings("sqlite://", sandboxes, worker_metrics_address=f"{host}:{port}")
        with caplog.at_level(logging.WARNING, logger="returnflow.telemetry"):
            assert worker_runtime(settings) is None
    assert f"{host}:{port}" in caplog.text and "RETURNFLOW_WORKER_METRICS_ADDRESS" in caplog.text
    assert worker_runtime(base.test_settings("sqlite://", sandboxes, worker_metrics_address="")) is None
