"""Attack on GET /metrics (api/metrics.py): the request method is the client's to choose (uvicorn's h11 parser
takes any token), so a method label taken as sent gives an outsider a new counter and a 14-bucket histogram per
made-up method, on any path, without a key: the registry (and every scrape) grows without bound."""

from __future__ import annotations

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.api.alone import api_alone


def method_labels(text: str) -> set[str]:
    return {
        s.labels["method"]
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name.startswith("returnflow_http_request") and "method" in s.labels
    }


def test_made_up_methods_do_not_each_get_a_metric(sqlite_url):
    with TestClient(api_alone(sqlite_url)) as client:
        for n in range(50):
            assert client.request(f"X{n}", "/v1/returns").status_code in (401, 405)  # a route: its template
            assert client.request(f"Y{n}", "/nowhere").status_code in (404, 405)  # unmatched
        assert client.get("/healthz").status_code in (200, 503)
        text = client.get("/metrics").text
    labels = method_labels(text)
    assert not any(label.startswith(("X", "Y")) for label in labels), sorted(labels)[:10]
    assert "GET" in labels and "other" in labels  # real methods are still told apart; the rest counted together
    assert len(labels) <= 10
