"""OpenTelemetry for Temporal clients and workers. Owned by the tracing work of issue #15."""

from __future__ import annotations

from temporalio.client import Interceptor

from settings import Settings


def client_interceptors(settings: Settings) -> list[Interceptor]:
    return []
