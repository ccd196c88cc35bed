"""The worker's Prometheus endpoint: the Temporal SDK's own metrics and the business counters, on one port.

The SDK's Runtime serves `http://<RETURNFLOW_WORKER_METRICS_ADDRESS>/metrics` (workflow and activity task
latencies, schedule-to-start, poller counts, sticky cache, failures...). The business counters of
activities/business_metrics.py are recorded on that runtime's meter, so they are on the same page: one port
per worker process, nothing else to run. The endpoint has no authentication: bind it to a private interface.
"""

from __future__ import annotations

import logging

from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from activities import business_metrics
from settings import Settings

log = logging.getLogger("returnflow.telemetry")


def worker_runtime(settings: Settings) -> Runtime | None:
    """A Runtime exporting to Prometheus at settings.worker_metrics_address, its meter given to the business
    counters; None (the SDK's default runtime, no endpoint) when the address is empty, or taken: a second worker
    on one machine then runs without its own endpoint (a warning says so) rather than not at all."""
    address = settings.worker_metrics_address
    if not address:
        return None
    try:
        runtime = Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=address)))
    except ValueError as err:  # the core's "Failed starting Prometheus exporter: Address already in use"
        log.warning(
            "no worker metrics endpoint: %s (%s); give each worker its own RETURNFLOW_WORKER_METRICS_ADDRESS",
            address,
            err,
        )
        return None
    business_metrics.record_to(runtime.metric_meter)
    log.info("worker metrics at http://%s/metrics", address)
    return runtime
