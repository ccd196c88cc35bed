"""Returnflow on many processes: two workers and two API processes on one dev server and one PostgreSQL.

Fifty returns go through both APIs alternately, the whole way (create, carrier webhooks, dock receipt,
inspection, refund); one worker is SIGKILLed once about half of them have their labels and is not restarted.
The survivor finishes everything: every return completes with one label bought and one refund, never above
what the shopper paid, and the carrier task queue's rate limit held across both workers.
"""

from __future__ import annotations

import math
import re
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from cli.ports import settings_on_free_ports
from cli.stack import Stack
from tests.conftest import free_port
from tests.factories import create_payment, order_body
from tests.integration.fleet import Fleet, busiest_window, carrier_rate_limit, who_worked
from tests.polling import poll

pytestmark = pytest.mark.integration

RETURNS = 50
PRICE = 2500  # one T-shirt, paid in full: the capture each refund is bounded by
LINES = [
    {"id": "L1", "sku": "TEE-BLK-M", "title": "T-shirt", "quantity": 1, "unit_price": PRICE, "category": "apparel"}
]
# The carrier task queue's limit for all workers together (and each worker's own EasyPost ceiling,
# activities/carrier_pace.py). Well below what this stack asks of the carrier with nothing holding it back (11
# label calls in the busiest second on a 2-core box), so the limit is what paces the labels.
CARRIER_RATE = 2.0
# Temporal enforces max_task_queue_activities_per_second in the matching service, for the whole task queue
# whatever the number of workers: each of the queue's read partitions (4 by default,
# matching.numTaskqueueReadPartitions) keeps a token bucket refilled at rate/partitions and holding
# max(ceil(rate/partitions), matching.minTaskThrottlingBurstSize = 1) tokens. For 2/s: 4 buckets of 1 token,
# so at most 4 dispatches at once (2 on one partition), then 2/s; a second holds at most rate + burst.
PARTITIONS = 4
BURST = PARTITIONS * max(math.ceil(CARRIER_RATE / PARTITIONS), 1)
# A call reaches the sandbox a little after Temporal dispatched its activity (a few database reads first), not
# always equally late: one second of calls may hold what was dispatched over 1 + HTTP_JITTER seconds.
HTTP_JITTER = 0.5
BUY = re.compile(r"^/v2/shipments/[^/]+/buy$")


@pytest.fixture
def fleet(database_url: str, tmp_path) -> Iterator[Fleet]:
    settings = settings_on_free_ports(
        tmp_path,
        database_url=database_url,
        demo_merchant_key="rf_test_merchant_many_workers_key_0001",
        demo_warehouse_key="rf_test_warehouse_many_workers_key_001",
        carrier_requests_per_second=CARRIER_RATE,
    )
    stack = Stack(settings, temporal_ui=False)
    stack.start()
    fleet = None
    try:
        with (
            httpx.Client(base_url=settings.api_base_url, timeout=180) as api,
            httpx.Client(base_url=f"http://127.0.0.1:{settings.easypost_sandbox_port}", timeout=30) as ep,
            httpx.Client(base_url=settings.stripe_base_url, timeout=30) as pay,
        ):
            fleet = Fleet(stack, settings, [api], ep, pay)
            fleet.start(
                "worker-2", ["-m", "workers.main"], RETURNFLOW_WORKER_METRICS_ADDRESS=f"127.0.0.1:{free_port()}"
            )
            fleet.apis.append(fleet.start_api("api-2", free_port()))
            poll(fleet.pollers, lambda p: all(len(ids) == 2 for ids in p.values()), 60, "both workers polling")
            # Carrier webhooks reach the API processes from the test, each to the API its return uses.
            ep.put("/_sandbox/config", json={"webhook_url": None}).raise_for_status()
            yield fleet
    finally:
        if fleet is not None:
            for api in fleet.apis[1:]:
                api.close()
        stack.stop()  # the fleet's extra processes first


def retried(send: Callable[[], httpx.Response]) -> httpx.Response:
    """As a client does when told to retry: 503 while Temporal or a worker does not answer in time."""
    return poll(send, lambda r: r.status_code != 503, 120, "an answer other than 503")


def one_return(fleet: Fleet, i: int) -> tuple[str, str]:
    """Return `i` through API `i % 2`, from the order to the inspection; answers (return id, payment id)."""
    api = fleet.apis[i % 2]
    pi = create_payment(fleet.settings.stripe_base_url, amount=PRICE)
    order_id = f"mw-{i}-{uuid.uuid4().hex[:8]}"
    r = api.put(f"/v1/orders/{order_id}", json=order_body(pi, lines=LINES), headers=fleet.merchant())
    assert r.status_code == 201, r.text
    body = {"order_id": order_id, "items": [{"line_id": "L1", "quantity": 1, "reason": "too_small"}]}
    key = {"Idempotency-Key": f"mw-{uuid.uuid4().hex}"}  # a retried create is the same return
    r = retried(lambda: api.post("/v1/returns", json={**body, "resolution": "refund"}, headers=fleet.merchant() | key))
    assert r.status_code in (201, 202), r.text  # 202: accepted, the label comes once the carrier queue gets to it
    ret = poll(
        lambda: api.get(f"/v1/returns/{r.json()['id']}", headers=fleet.merchant()).json(),
        lambda ret: ret.get("label") is not None,  # 404 until the projection has it
        180,
        f"return {i}'s label",
    )
    for status in ("pre_transit", "in_transit", "out_for_delivery", "delivered"):
        r = fleet.easypost.post(f"/_sandbox/trackers/{ret['label']['tracking_code']}/advance", json={"status": status})
        assert r.status_code == 200, r.text
        event = r.json()["event"]
        assert retried(lambda: fleet.deliver_tracker_event(api, event)).status_code == 200
    r = retried(lambda: api.post("/v1/warehouse/receipts", json={"return_id": ret["id"]}, headers=fleet.warehouse()))
    assert r.status_code == 202, r.text
    inspection = {"items": [{"line_id": "L1", "grade": "A"}]}
    answers = []

    def inspect() -> httpx.Response:
        answers.append(api.post(f"/v1/returns/{ret['id']}/inspection", json=inspection, headers=fleet.warehouse()))
        return answers[-1]

    def settled(r: httpx.Response) -> bool:
        # 409 wrong_state until the receipt's signal is applied; 503: no worker took it in time, ask again. The
        # same inspection again is the same update (workflows.ids.request_update_id): never a 409 already_inspected.
        return not (r.status_code == 503 or (r.status_code == 409 and r.json()["error"]["code"] == "wrong_state"))

    try:
        r = poll(inspect, settled, 120, f"return {i} to be received")
    except AssertionError as err:
        timeline = api.get(f"/v1/returns/{ret['id']}/timeline", headers=fleet.merchant()).json()
        raise AssertionError(f"{err} {[a.text for a in answers[-2:]]}\n{ret['id']} timeline: {timeline}") from err
    assert r.status_code == 200, r.text
    return ret["id"], pi


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_two_workers_and_two_apis_finish_every_return_after_one_worker_is_killed(fleet: Fleet):
    started = time.monotonic()
    doomed = fleet.stack.children["worker"].proc.pid
    survivor = fleet.extra["worker-2"].pid
    assert all({doomed, survivor} <= {int(i.split("@")[0]) for i in ids} for ids in fleet.pollers().values())

    with ThreadPoolExecutor(RETURNS) as pool:  # all at once: the carrier queue's limit is what makes them wait
        flows = [pool.submit(one_return, fleet, i) for i in range(RETURNS)]
        poll(
            lambda: fleet.easypost.get("/_sandbox/stats").json()["labels_bought"],
            lambda bought: bought >= RETURNS // 2,
            120,
            "half of the labels",
        )
        fleet.stack.kill_worker()  # SIGKILL, mid-way; never restarted
        returns = dict(f.result(timeout=240) for f in flows)

    api = fleet.apis[0]

    def completed() -> set[str]:
        seen, cursor = set(), None
        while True:
            params = {"status": "completed", "limit": 100, **({"cursor": cursor} if cursor else {})}
            page = api.get("/v1/returns", params=params, headers=fleet.merchant()).json()
            seen |= {r["id"] for r in page["data"]}
            if not (cursor := page["next_cursor"]):
                return seen & returns.keys()

    poll(completed, lambda done: done == returns.keys(), 120, "every return to complete")
    assert fleet.extra["worker-2"].poll() is None, "the surviving worker died"

    intents = {p["id"]: p for p in fleet.payments.get("/_sandbox/payment_intents").json()}
    for return_id, pi in returns.items():
        ret = api.get(f"/v1/returns/{return_id}", headers=fleet.merchant()).json()
        assert ret["status"] == "completed" and ret["refund"]["method"] == "refund", ret
        shipments = fleet.easypost.get("/_sandbox/shipments", params={"reference": return_id}).json()
        assert len([s for s in shipments if s.get("postage_label")]) == 1, shipments
        refunds = fleet.payments.get(
            "/_sandbox/refunds", params={"metadata_key": "return_id", "metadata_value": return_id}
        ).json()
        assert [r["payment_intent"] for r in refunds] == [pi], refunds
        assert refunds[0]["id"] == ret["refund"]["reference"]
        assert 0 < refunds[0]["amount"] == ret["refund"]["amount"] <= intents[pi]["amount_received"] == PRICE
    assert fleet.easypost.get("/_sandbox/stats").json()["labels_bought"] == RETURNS
    # Both workers did the work of these returns (the killed one until it died).
    identities, taken_over = who_worked(fleet.settings, [f"return-{r}" for r in returns])
    assert {doomed, survivor} <= {int(i.split("@")[0]) for i in identities if i}  # a few events carry none

    # The server kept the rate the workers asked for, for the whole queue, to the end.
    assert carrier_rate_limit(fleet.settings) == (CARRIER_RATE, "RATE_LIMIT_SOURCE_WORKER")
    # The carrier saw the queue's rate, not twice it: every label's create and buy calls, across both workers.
    calls = fleet.easypost.get("/_sandbox/requests").json()
    creates = [c["at"] for c in calls if c["method"] == "POST" and c["path"] == "/v2/shipments"]
    buys = [c["at"] for c in calls if c["method"] == "POST" and BUY.match(c["path"])]
    assert len(buys) >= RETURNS and len(creates) >= RETURNS
    for kind, times in (("shipment creates", creates), ("buys", buys)):
        busiest = busiest_window(times)
        assert busiest <= CARRIER_RATE * (1 + HTTP_JITTER) + BURST, f"{kind}: {busiest} in one second"
        # Asked all at once, fifty labels come no faster than the limit allows after the first burst (a limit
        # kept per worker would let them come twice as fast).
        assert max(times) - min(times) >= (len(times) - BURST) / CARRIER_RATE - HTTP_JITTER, kind
    print(
        f"\n{RETURNS} returns on 2 workers + 2 APIs, one killed: {time.monotonic() - started:.0f} s; "
        f"carrier calls in the busiest second: {busiest_window(creates)} creates, {busiest_window(buys)} buys "
        f"(limit {CARRIER_RATE:g}/s, burst {BURST}); {len(buys)} buys over {max(buys) - min(buys):.1f} s; "
        f"{taken_over} tasks taken over from the killed worker"
    )
