"""Reading a Prometheus page in tests: the API's /metrics and the worker's endpoint alike."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

Samples = list[tuple[str, dict[str, str], float]]


def scrape(url: str, timeout: float = 10) -> Samples:
    """The page's samples; the parser names a counter's sample `<name>_total` (the SDK exports it bare)."""
    text = httpx.get(url, timeout=timeout).text
    return [(s.name, s.labels, s.value) for f in text_string_to_metric_families(text) for s in f.samples]


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of `name`'s samples whose labels include `labels` (the SDK adds its own, e.g. service_name)."""
    return sum(v for n, got, v in samples if n == name and labels.items() <= got.items())
