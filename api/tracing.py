"""The API's server spans (OpenTelemetry's FastAPI instrumentation on the process's provider, workers/tracing.py).

Spans are named by route template (`POST /v1/returns`, `GET /portal/{token}/order`); their URL attributes are
redacted as the access log is (api/log_redaction.py: portal links, anything like an email), the client's
address is not kept, and the request id (api/request_ids.py) is an attribute, so a log line and its span meet.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from api.log_redaction import redact
from settings import Settings
from workers.tracing import rewrite_url_attributes, setup_tracing

# Probes and scrapes: a span every few seconds that says nothing.
UNTRACED = r"/healthz(\?|$),/metrics(\?|$)"


def instrument(app: FastAPI, settings: Settings) -> None:
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=setup_tracing(settings, service="returnflow-api"),
        server_request_hook=_redact_server_span,
        excluded_urls=UNTRACED,
        exclude_spans=["receive", "send"],  # a span per ASGI message says nothing a trace needs
    )


def _redact_server_span(span: Any, scope: dict[str, Any]) -> None:
    if not span.is_recording():
        return
    path = redact(scope.get("path", ""))
    host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
    rewrite_url_attributes(span, url=f"{scope.get('scheme', 'http')}://{host}{path}", path=path)
    if request_id := (scope.get("state") or {}).get("request_id"):
        span.set_attribute("returnflow.request_id", request_id)
