"""OpenTelemetry traces: API request -> Temporal start/update/signal -> workflow -> activity -> EasyPost/Stripe call.

One TracerProvider per process (OpenTelemetry's global can be set only once): `setup_tracing` installs it on
first use, with an OTLP/HTTP exporter when `settings.otlp_endpoint` or the standard OTEL_EXPORTER_OTLP_*
environment names a collector, else none (spans are made and dropped). Tests add an in-memory exporter to the
provider it returns. The Temporal client carries `TracingInterceptor` (`client_interceptors`), so the
workers built from that client trace workflows and activities too, and the trace context rides in Temporal's
headers from the API to the worker. Outbound HTTP: `requests` (the easypost 10.x and stripe 16.x SDKs) and
`httpx` (merchant webhooks).

No customer data in span attributes: outbound URLs lose their query strings (EasyPost and Stripe paths hold
object ids only; queries may hold references or filters), inbound ones are redacted as the access log is
(portal links and anything like an email), and the shopper's address is not recorded.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from temporalio.client import Interceptor
from temporalio.contrib.opentelemetry import TracingInterceptor

from settings import Settings

# Attributes the HTTP instrumentations set that may hold a URL's query, a portal link or a client address,
# in the old and the stable semantic conventions.
_URL_KEYS = ("http.url", "url.full")
_PATH_KEYS = ("http.target", "url.path")
_DROPPED_KEYS = ("url.query", "http.client_ip", "client.address", "net.peer.ip", "net.sock.peer.addr")

_provider: TracerProvider | None = None


def span_exporter(settings: Settings) -> SpanExporter | None:
    """OTLP/HTTP to the configured collector: the setting (a base URL, as OTEL_EXPORTER_OTLP_ENDPOINT), else the
    standard environment (the exporter reads it itself), else none."""
    endpoint = settings.otlp_endpoint.strip()
    from_env = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    if not endpoint and not from_env:
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces") if endpoint else OTLPSpanExporter()


def setup_tracing(
    settings: Settings, provider: TracerProvider | None = None, service: str = "returnflow"
) -> TracerProvider:
    """The process's TracerProvider, installed on the first call (`provider` if given, else one exporting as the
    settings say) with the outbound HTTP instrumentations; later calls return it unchanged."""
    global _provider
    if _provider is not None:
        return _provider
    if provider is None:
        provider = TracerProvider(resource=Resource.create({"service.name": service}))
        if exporter := span_exporter(settings):
            provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _instrument_outbound_http(provider)
    _provider = provider
    return provider


def client_interceptors(settings: Settings) -> list[Interceptor]:
    """Temporal's tracing interceptor, on the client and so on every worker built from it."""
    return [TracingInterceptor(setup_tracing(settings).get_tracer("returnflow.temporal"))]


def without_query(url: str) -> str:
    """The URL without its query, fragment or userinfo (a webhook URL saved with a password before those were
    refused is still called with it: the instrumentation redacts it, and this rewrite must not put it back)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))


def _instrument_outbound_http(provider: TracerProvider) -> None:
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.requests import RequestsInstrumentor

    RequestsInstrumentor().instrument(tracer_provider=provider, request_hook=_redact_outbound_span)
    HTTPXClientInstrumentor().instrument(
        tracer_provider=provider, request_hook=_redact_outbound_span, async_request_hook=_redact_outbound_span_async
    )


def rewrite_url_attributes(span: Any, url: str | None = None, path: str | None = None) -> None:
    """Overwrites whichever URL attributes the instrumentation set (a live span's attributes cannot be
    deleted: the dropped ones are blanked)."""
    attributes = getattr(span, "attributes", None) or {}
    for key in _URL_KEYS:
        if key in attributes and url is not None:
            span.set_attribute(key, url)
    for key in _PATH_KEYS:
        if key in attributes and path is not None:
            span.set_attribute(key, path)
    for key in _DROPPED_KEYS:
        if key in attributes:
            span.set_attribute(key, "")


def _redact_outbound_span(span: Any, request: Any) -> None:
    """requests' and httpx's request hook alike (both requests have a `url`)."""
    if span.is_recording():
        rewrite_url_attributes(span, url=without_query(str(request.url)))


async def _redact_outbound_span_async(span: Any, request: Any) -> None:
    _redact_outbound_span(span, request)
