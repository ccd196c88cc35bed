"""`make run`'s two Prometheus pages after one return: the API's (requests by route template, returns created)
and the worker's (the Temporal SDK's metrics, labels bought), each where the summary says."""

from __future__ import annotations

from tests.integration.conftest import Running, poll
from tests.integration.test_end_to_end import create_return, new_order
from tests.prometheus import scrape, value

pytestmark = __import__("pytest").mark.integration


def test_make_run_serves_api_and_worker_metrics(running: Running):
    api_url = f"{running.settings.api_base_url}/metrics"
    worker_url = f"http://{running.settings.worker_metrics_address}/metrics"
    api_before, worker_before = scrape(api_url), scrape(worker_url)

    created = create_return(running, new_order(running))

    api = scrape(api_url)
    made = dict(status=created["status"], resolution="refund")
    assert (
        value(api, "returnflow_returns_created_total", **made)
        == value(api_before, "returnflow_returns_created_total", **made) + 1
    )
    posted = dict(method="POST", route="/v1/returns", status="201")
    assert value(api, "returnflow_http_requests_total", **posted) >= 1
    assert created["id"] not in str(api)

    bought_before = value(worker_before, "returnflow_labels_bought_total", kind="return")
    worker = poll(
        lambda: scrape(worker_url),
        until=lambda s: value(s, "returnflow_labels_bought_total", kind="return") > bought_before,
        timeout=30,
        what="the worker's label counter",
    )
    assert value(worker, "temporal_activity_execution_latency_count", activity_type="buy_return_label") >= 1
    assert value(worker, "temporal_workflow_task_execution_latency_count", workflow_type="ReturnWorkflow") >= 1
