"""The EasyPost sandbox logs when each /v2 call arrived (GET /_sandbox/requests), faulted ones too: the carrier's
view of the rate Returnflow calls it at (tests/integration/test_many_workers.py checks the carrier queue's limit)."""

from __future__ import annotations

import time

import httpx

from sandboxes.easypost.app import create_app
from sandboxes.serve import serve_in_thread
from settings import DEV_EASYPOST_KEY

ADDRESS = {"address": {"street1": "417 Montgomery St", "city": "San Francisco", "zip": "94104", "country": "US"}}


def test_each_call_is_logged_with_when_it_arrived_and_sandbox_calls_are_not():
    url, stop = serve_in_thread(create_app())
    try:
        before = time.time()
        httpx.put(
            f"{url}/_sandbox/faults", json={"GET /v2/addresses": {"error_rate": 1.0, "status": 500}}
        ).raise_for_status()
        with httpx.Client(base_url=url, auth=(DEV_EASYPOST_KEY, "")) as ep:
            assert ep.post("/v2/addresses", json=ADDRESS).status_code == 201
            assert ep.get("/v2/addresses").status_code == 500  # faulted: the carrier still saw it
        after = time.time()
        log = httpx.get(f"{url}/_sandbox/requests").json()
        assert [(c["method"], c["path"]) for c in log] == [("POST", "/v2/addresses"), ("GET", "/v2/addresses")]
        assert before <= log[0]["at"] <= log[1]["at"] <= after
    finally:
        stop()
