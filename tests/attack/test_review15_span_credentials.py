"""Review of issue #15 (tracing): an outbound call's span keeps no credentials.

A merchant's webhook endpoint may carry basic-auth credentials in its URL (`https://user:secret@host/hook`: the
API accepts any http(s) URL). workers/tracing.py rewrites the URL attributes of every outbound span with its own
`without_query`, which kept the URL's userinfo: the merchant's secret went to the trace collector in `http.url`.
Real calls (httpx as the webhook sender uses it, requests as the EasyPost and Stripe SDKs do) to a local server,
spans caught by an in-memory exporter on the process's provider."""

from __future__ import annotations

import json

import httpx
import pytest
import requests
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from sandboxes.serve import serve_in_thread
from settings import Settings
from workers.tracing import setup_tracing, without_query


async def _hook(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


@pytest.fixture(scope="module")
def spans() -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    setup_tracing(Settings()).add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


def test_an_outbound_span_keeps_no_basic_auth_credentials_of_the_url(spans):
    base, stop = serve_in_thread(_hook)
    try:
        url = base.replace("://", "://hookuser:hook-s3cret@", 1) + "/hooks/returns?token=q"
        with httpx.Client() as client:
            assert client.post(url, json={"type": "return.completed"}).status_code == 204
        assert requests.get(url, timeout=5).status_code == 204
    finally:
        stop()
    outbound = [s for s in spans.get_finished_spans() if "/hooks/returns" in json.dumps(dict(s.attributes or {}))]
    assert len(outbound) == 2  # both calls were traced, each with its URL (path kept)
    for span in outbound:
        attributes = json.dumps(dict(span.attributes), default=str)
        assert "hook-s3cret" not in attributes and "hookuser" not in attributes, attributes
        assert "token=q" not in attributes


def test_without_query_drops_userinfo_and_keeps_host_port_and_path():
    assert without_query("https://u:p@merchant.example:8443/hook?x=1") == "https://merchant.example:8443/hook"
    assert without_query("http://[::1]:9000/h") == "http://[::1]:9000/h"
