"""The EasyPost sandbox answers 429 with Retry-After on demand (a fault rule's `retry_after`), as EasyPost's
rate limiter asks callers to wait; activities/carrier_pace.py is tested against it."""

from __future__ import annotations

import httpx
import pytest

from sandboxes.easypost.app import create_app
from sandboxes.serve import serve_in_thread
from settings import DEV_EASYPOST_KEY

ADDRESS = {"address": {"street1": "417 Montgomery St", "city": "San Francisco", "zip": "94104", "country": "US"}}


@pytest.fixture
def url():
    url, stop = serve_in_thread(create_app())
    yield url
    stop()


def test_a_rate_limited_answer_says_when_to_come_back(url):
    spec = {"POST /v2/addresses": {"rate_limit_rate": 1.0, "max_faults": 1, "retry_after": 7}}
    assert httpx.put(f"{url}/_sandbox/faults", json=spec).json() == spec
    with httpx.Client(base_url=url, auth=(DEV_EASYPOST_KEY, "")) as ep:
        limited = ep.post("/v2/addresses", json=ADDRESS)
        assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
        assert limited.json()["error"]["code"] == "RATE_LIMITED"
        after = ep.post("/v2/addresses", json=ADDRESS)  # max_faults: once, then it works
        assert after.status_code == 201 and "Retry-After" not in after.headers


def test_a_429_without_retry_after_names_none_and_a_bad_one_is_refused(url):
    httpx.put(f"{url}/_sandbox/faults", json={"*": {"rate_limit_rate": 1.0}}).raise_for_status()
    limited = httpx.post(f"{url}/v2/addresses", json=ADDRESS, auth=(DEV_EASYPOST_KEY, ""))
    assert limited.status_code == 429 and "Retry-After" not in limited.headers
    for bad in ("soon", -1, True):
        refused = httpx.put(f"{url}/_sandbox/faults", json={"*": {"rate_limit_rate": 1.0, "retry_after": bad}})
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "FAULTS.INVALID"
    assert httpx.get(f"{url}/_sandbox/faults").json() == {"*": {"rate_limit_rate": 1.0}}  # the old rules stay
