"""The API's Prometheus metrics: `GET /metrics` (text format, not in the OpenAPI document).

- Requests per route *template* (`/v1/returns/{return_id}`, never the raw path: ids are unbounded and may be a
  customer's data), method and status; their latency as a histogram. A path no route matches is `unmatched`.
- Returns created by the API and the portal, by the status of the answer and the resolution (`count_created`).
- Attention items open, per kind, every merchant together: counted in the database at scrape time.
- The process's CPU, memory and file descriptors (prometheus_client's default collectors).

Who may read it: with RETURNFLOW_METRICS_KEY set, a bearer token equal to it (a key that reads metrics and nothing
else, never the admin key); unset, anyone where the deployment is not exposed (`make run`, a private network),
and nobody where it is (404, as an unknown path). The worker's own endpoint is workers/telemetry.py's.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import SettingsDep, bearer_is
from api.errors import ApiError
from api.schemas.returns import ReturnOut
from db.attention import open_attention_counts
from db.session import session_scope
from workflows.messages import AttentionKind

log = logging.getLogger("returnflow.metrics")
UNMATCHED = "unmatched"
# The method is the client's to choose (uvicorn's h11 parser takes any token): a label per made-up one would grow
# the registry without bound, so anything else is "other".
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "other"
KINDS = {k.value for k in AttentionKind}
# Seconds; a create waits for its label (up to submit_timeout_seconds), so the buckets reach past 25 s.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60)

# Process-wide (the create path has no app at hand); registered in every app's registry below.
RETURNS_CREATED = Counter(
    "returnflow_returns_created",
    "Returns created through the API and the portal, by the status answered and the resolution",
    ["status", "resolution"],
    registry=None,
)


def count_created(out: ReturnOut) -> ReturnOut:
    """`out`, a return just created (201 with its label, 202, held for review, rejected), counted."""
    RETURNS_CREATED.labels(status=out.status.value, resolution=out.resolution.value).inc()
    return out


class OpenAttention(Collector):
    """`returnflow_attention_open{kind}`: a grouped count of the unresolved rows when Prometheus scrapes."""

    def __init__(self, app: FastAPI) -> None:
        self._app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily("returnflow_attention_open", "Attention items open, every merchant", labels=["kind"])
        db = getattr(self._app.state, "db", None)
        if db is None:  # before the lifespan started
            return
        try:
            with session_scope(db.engine) as session:
                counts = open_attention_counts(session)
        except Exception as err:  # a scrape must still answer the other metrics
            log.warning("attention gauge not read: %s", type(err).__name__)
            return
        totals = dict.fromkeys(KINDS, 0)  # every kind present, 0 included: alerts need not handle absence
        for kind, count in counts.items():
            label = kind if kind in KINDS else "other"
            totals[label] = totals.get(label, 0) + count
        for kind, count in sorted(totals.items()):
            gauge.add_metric([kind], count)
        yield gauge


class RequestMetrics:
    """ASGI middleware: one count and one latency observation per HTTP request, by the route's template."""

    def __init__(self, app: ASGIApp, requests: Counter, latency: Histogram) -> None:
        self.app = app
        self._requests = requests
        self._latency = latency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception with no answer sent is the 500 the server then gives

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", None) or UNMATCHED
            method = scope["method"] if scope["method"] in METHODS else OTHER_METHOD
            self._requests.labels(method=method, route=route, status=str(status)).inc()
            self._latency.labels(method=method, route=route).observe(time.perf_counter() - started)


def _reader(request: Request, settings: SettingsDep) -> None:
    expected = settings.metrics_key.get_secret_value()
    if not expected:
        if settings.is_exposed:
            raise ApiError(404, "not_found", "Not Found")
        return
    if not bearer_is(request, expected):
        raise ApiError(401, "unauthorized", "send the metrics key as 'Authorization: Bearer <key>'")


router = APIRouter(include_in_schema=False)


@router.get("/metrics", dependencies=[Depends(_reader)])
async def metrics(request: Request) -> Response:
    body = await run_in_threadpool(generate_latest, request.app.state.metrics)  # the attention count reads the DB
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def install(app: FastAPI) -> None:
    """The app's registry (app.state.metrics), the request middleware and GET /metrics. Call after the other
    middleware: it then wraps them, and a request they refuse (413) is counted too."""
    registry = CollectorRegistry()
    for collector in (ProcessCollector, PlatformCollector, GCCollector):
        collector(registry=registry)
    registry.register(RETURNS_CREATED)
    registry.register(OpenAttention(app))
    requests = Counter(
        "returnflow_http_requests",
        "HTTP requests by route template, method and status",
        ["method", "route", "status"],
        registry=registry,
    )
    latency = Histogram(
        "returnflow_http_request_duration_seconds",
        "HTTP request latency by route template and method",
        ["method", "route"],
        buckets=LATENCY_BUCKETS,
        registry=registry,
    )
    app.state.metrics = registry
    app.add_middleware(RequestMetrics, requests=requests, latency=latency)
    app.include_router(router)
