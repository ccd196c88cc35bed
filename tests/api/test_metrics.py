"""GET /metrics on the API: requests by route template, latency, the attention gauge from the database, who reads it."""

from __future__ import annotations

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import select

from db.attention import flag_return, resolve_attention
from db.seed import seed_merchant
from db.session import make_engine, session_scope
from db.tables import AttentionItem
from tests.api.alone import api_alone

MERCHANT_KEY = "rf_test_metrics_merchant_key_0001"
METRICS_KEY = "metrics-reader-key-0000000000000001"


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of an exposition: (name, its labels) -> value."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def seeded(url: str) -> None:
    engine = make_engine(url)
    seed_merchant(engine, merchant_id="m1", name="Shop", merchant_key=MERCHANT_KEY, warehouse_key="rf_test_w_000000")
    engine.dispose()


def test_requests_are_counted_and_timed_by_route_template_never_by_raw_path(sqlite_url):
    seeded(sqlite_url)
    with TestClient(api_alone(sqlite_url)) as client:
        keys = {"Authorization": f"Bearer {MERCHANT_KEY}"}
        for return_id in ("ret_customer_a", "ret_customer_b"):
            assert client.get(f"/v1/returns/{return_id}", headers=keys).status_code == 404
        assert client.get("/v1/returns", headers=keys).status_code == 200
        assert client.get("/v1/returns/ret_customer_a").status_code == 401  # no key
        assert client.get("/v1/nothing/ret_customer_c").status_code == 404
        r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    got = samples(r.text)
    one = "/v1/returns/{return_id}"

    def count(route: str, status: str) -> float:
        return got.get(
            ("returnflow_http_requests_total", frozenset(dict(method="GET", route=route, status=status).items())), 0
        )

    assert count(one, "404") == 2 and count(one, "401") == 1
    assert count("/v1/returns", "200") == 1
    assert count("unmatched", "404") == 1
    timed = got[("returnflow_http_request_duration_seconds_count", frozenset(dict(method="GET", route=one).items()))]
    assert timed == 3
    assert got[("returnflow_http_request_duration_seconds_sum", frozenset(dict(method="GET", route=one).items()))] > 0
    assert "ret_customer" not in r.text  # ids (customer data, unbounded) are never a label
    assert ("process_resident_memory_bytes", frozenset()) in got


def test_the_attention_gauge_counts_open_items_per_kind_across_merchants(database_url):
    engine = make_engine(database_url)
    try:
        flag = dict(reason="why", on_timeline=False)
        flag_return(engine, merchant_id="m1", return_id="r1", kind="item_held", about="L1", **flag)
        flag_return(engine, merchant_id="m2", return_id="r2", kind="item_held", about="L1", **flag)
        flag_return(engine, merchant_id="m2", return_id="r3", kind="item_held", about="L2", **flag)
        flag_return(engine, merchant_id="m1", return_id="r4", kind="carrier_exception", about="-", **flag)
        flag_return(engine, merchant_id="m1", return_id="r5", kind="a_kind_from_the_future", about="-", **flag)
        with session_scope(engine) as session:
            held = session.exec(select(AttentionItem).where(AttentionItem.return_id == "r3")).one()
            resolve_attention(session, "m2", held.id, "ops")
        with TestClient(api_alone(database_url)) as client:
            first = samples(client.get("/metrics").text)
            flag_return(engine, merchant_id="m3", return_id="r6", kind="carrier_exception", about="-", **flag)
            second = samples(client.get("/metrics").text)  # read at each scrape, not cached
    finally:
        engine.dispose()

    def gauge(got: dict, kind: str) -> float:
        return got[("returnflow_attention_open", frozenset({("kind", kind)}))]

    assert gauge(first, "item_held") == 2  # the resolved one is not open
    assert gauge(first, "carrier_exception") == 1 and gauge(second, "carrier_exception") == 2
    assert gauge(first, "other") == 1  # a kind this API does not know: bounded labels all the same
    assert gauge(first, "pending_review") == 0  # every known kind is there, 0 too
    assert not any("m1" in str(labels) or "m2" in str(labels) for _, labels in first)  # no merchant ids


def test_open_on_a_private_deployment_behind_the_metrics_key_when_set_and_absent_when_exposed(sqlite_url):
    with TestClient(api_alone(sqlite_url)) as client:
        assert client.get("/metrics").status_code == 200  # make run, a private bind
        assert "/metrics" not in client.get("/openapi.json").json()["paths"]
    with TestClient(api_alone(sqlite_url, metrics_key=METRICS_KEY)) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/metrics", headers={"Authorization": f"Bearer {MERCHANT_KEY}"}).status_code == 401
        r = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_KEY}"})
        assert r.status_code == 200 and "returnflow_http_requests_total" in r.text
    exposed = dict(public_base_url="https://returns.example.com")
    with TestClient(api_alone(sqlite_url, **exposed)) as client:
        assert client.get("/metrics").status_code == 404  # exposed and no key: no metrics surface at all
    with TestClient(api_alone(sqlite_url, metrics_key=METRICS_KEY, **exposed)) as client:
        assert client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_KEY}"}).status_code == 200
