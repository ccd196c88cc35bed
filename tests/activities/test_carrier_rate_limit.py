"""EasyPost's 429s: every carrier call of the account slows down, and the activity is retried when
Retry-After says (activities/carrier_pace.py, activities/errors.py), against the sandbox answering 429."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import easypost.errors as ep
import httpx
import pytest
from pydantic import SecretStr
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.worker import Worker

from activities.carrier import CarrierActivities, LabelRequest
from activities.carrier_gateway import CarrierRefused, verify_address
from activities.carrier_pace import CarrierBusy, Pace, pace_for
from activities.easypost_client import easypost_client
from activities.errors import carrier_error
from db.session import make_engine
from sandboxes.easypost.app import create_app as easypost_app
from sandboxes.serve import serve_in_thread
from settings import DEV_EASYPOST_KEY
from tests.factories import insert_order, new_merchant
from workflows.messages import ActivityErrorType

ADDRESS = {"street1": "417 Montgomery St", "city": "San Francisco", "state": "CA", "zip": "94104", "country": "US"}


@dataclass
class Account:
    easypost_api_key: SecretStr
    easypost_base_url: str


@pytest.fixture
def easypost_url() -> Iterator[str]:
    """A sandbox of the test's own: its account's pace in this process is the test's alone."""
    url, stop = serve_in_thread(easypost_app())
    yield url
    stop()


def answer_429(url: str, path: str, retry_after: int, times: int = 1) -> None:
    spec = {path: {"rate_limit_rate": 1.0, "max_faults": times, "retry_after": retry_after}}
    httpx.put(f"{url}/_sandbox/faults", json=spec).raise_for_status()


def account(url: str) -> Account:
    return Account(SecretStr(DEV_EASYPOST_KEY), f"{url}/v2")


def test_a_429_sets_the_retry_delay_and_holds_every_call_of_the_account(easypost_url, caplog):
    answer_429(easypost_url, "POST /v2/shipments", retry_after=2)
    client = easypost_client(account(easypost_url))
    with pytest.raises(ep.RateLimitError) as caught:
        client.shipment.create(to_address=ADDRESS, from_address=ADDRESS, parcel={"weight": 10})
    mapped = carrier_error(caught.value)
    assert not mapped.non_retryable and mapped.type == ActivityErrorType.CARRIER_UNAVAILABLE
    assert mapped.next_retry_delay == timedelta(seconds=2)

    pace = pace_for(DEV_EASYPOST_KEY, f"{easypost_url}/v2")
    held = pace.hold_remaining()
    assert 1.0 < held <= 2.0
    started = time.monotonic()
    client.address.create(**ADDRESS)  # another endpoint: the whole account waits out the Retry-After
    assert time.monotonic() - started >= held - 0.1
    assert pace.rate_limited == 1
    told = [r.getMessage() for r in caplog.records if r.name == "returnflow.carrier"]
    assert len(told) == 1 and "429" in told[0] and "none for 2.0 s" in told[0]  # ops see the slow-down
    assert DEV_EASYPOST_KEY not in told[0]


def test_a_hold_longer_than_the_wait_allowed_is_not_sent_and_retried_after_it(easypost_url):
    answer_429(easypost_url, "POST /v2/shipments", retry_after=30)
    client = easypost_client(account(easypost_url))
    with pytest.raises(ep.RateLimitError):
        client.shipment.create(to_address=ADDRESS, from_address=ADDRESS, parcel={"weight": 10})
    started = time.monotonic()
    with pytest.raises(CarrierBusy) as caught:
        client.address.create(**ADDRESS)
    assert time.monotonic() - started < 1  # no activity slot held through the hold
    delay = carrier_error(caught.value).next_retry_delay
    assert timedelta(seconds=28) < delay <= timedelta(seconds=30)
    listed = httpx.get(f"{easypost_url}/v2/addresses", auth=(DEV_EASYPOST_KEY, "")).json()
    assert listed["addresses"] == []  # never reached EasyPost


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0
        self.slept: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.t += seconds


def test_the_pace_halves_on_a_429_and_comes_back_to_no_limit():
    clock = FakeClock()
    pace = Pace(None, clock=clock.now, sleep=clock.sleep)
    for _ in range(20):  # no limit while EasyPost says nothing
        pace.take_turn()
        pace.answered(200, {})
    assert clock.slept == [] and pace.rate is None

    assert pace.answered(429, {"Retry-After": "2"}) == 2
    assert pace.rate == 10  # half of the 20 sent in the last second
    pace.take_turn()
    pace.take_turn()
    assert clock.slept == [2.0, 0.1]  # the hold, then one request each 1/10 s

    clock.t += 0.5
    pace.answered(200, {})
    assert pace.rate == 10  # not yet a calm second
    clock.t += 0.5
    pace.answered(200, {})
    assert pace.rate == 15  # each calm second, half again
    clock.t += 1
    pace.answered(200, {})
    assert pace.rate is None  # 22.5 is past the 20/s EasyPost took before: no limit again


def test_a_ceiling_is_never_passed_and_a_burst_of_429s_cuts_once():
    clock = FakeClock()
    pace = Pace(8, clock=clock.now, sleep=clock.sleep)
    for _ in range(4):
        pace.take_turn()
    assert clock.slept == [0.125] * 3
    pace.answered(429, {})  # no Retry-After: a second's hold
    pace.answered(429, {})  # the same burst's other answers
    assert pace.rate == 2  # half of the 4 sent in the last second, once
    rates = []
    for _ in range(6):  # calm seconds after the hold
        clock.t += 1
        pace.answered(200, {})
        rates.append(pace.rate)
    assert rates == [2, 3, 4.5, 6.75, 8, 8]  # back to the ceiling, never past it


@workflow.defn(sandboxed=False)  # a test workflow in a module that imports the SDKs
class BuyOneLabel:
    @workflow.run
    async def run(self, req: LabelRequest) -> str:
        label = await workflow.execute_activity_method(
            CarrierActivities.buy_return_label,
            req,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_attempts=3),
        )
        return label.tracking_code


async def test_the_label_activity_retries_when_retry_after_says(time_skipping_env, easypost_url, sqlite_url):
    engine = make_engine(sqlite_url)
    merchant_id, _, _ = new_merchant(engine)
    order = insert_order(engine, merchant_id, None)
    answer_429(easypost_url, "POST /v2/shipments", retry_after=3)
    carrier = CarrierActivities(engine, lambda: easypost_client(account(easypost_url)))
    queue = f"carrier-429-{uuid.uuid4().hex[:8]}"
    req = LabelRequest(return_id=f"ret_{uuid.uuid4().hex[:24]}", merchant_id=merchant_id, order_id=order.id, units=1)
    client = time_skipping_env.client
    try:
        with ThreadPoolExecutor(4) as executor:
            async with Worker(
                client,
                task_queue=queue,
                workflows=[BuyOneLabel],
                activities=[carrier.buy_return_label],
                activity_executor=executor,
            ):
                tracking_code = await client.execute_workflow(
                    BuyOneLabel.run, req, id=f"wf-{req.return_id}", task_queue=queue
                )
    finally:
        engine.dispose()
    history = await client.get_workflow_handle(f"wf-{req.return_id}").fetch_history()
    scheduled = next(e for e in history.events if e.HasField("activity_task_scheduled_event_attributes"))
    started = next(e for e in history.events if e.HasField("activity_task_started_event_attributes"))
    assert started.activity_task_started_event_attributes.attempt == 2  # the one 429, then the label
    # Temporal sent the second attempt when the 429's Retry-After said, not after the policy's 1 s.
    waited = started.event_time.ToDatetime() - scheduled.event_time.ToDatetime()
    assert waited >= timedelta(seconds=3)
    shipments = httpx.get(f"{easypost_url}/_sandbox/shipments").json()
    assert [s["tracking_code"] for s in shipments] == [tracking_code]


def test_an_address_verified_today_is_not_sent_again_and_a_refused_one_always_is(easypost_url):
    settings = account(easypost_url)
    verify_address(settings, ADDRESS)
    fail_every_check = {"POST /v2/addresses/create_and_verify": {"error_rate": 1.0, "status": 503}}
    httpx.put(f"{easypost_url}/_sandbox/faults", json=fail_every_check).raise_for_status()
    verify_address(settings, ADDRESS)  # known good: EasyPost (down now) is not asked
    with pytest.raises(CarrierRefused) as down:
        verify_address(settings, {**ADDRESS, "street1": "388 Townsend St"})  # another address is asked
    assert down.value.http_status == 503

    httpx.delete(f"{easypost_url}/_sandbox/faults").raise_for_status()
    for _ in range(2):  # an unverifiable address is asked about every time (the merchant may fix it)
        with pytest.raises(CarrierRefused) as refused:
            verify_address(settings, {**ADDRESS, "zip": "123"})
        assert refused.value.http_status == 422
