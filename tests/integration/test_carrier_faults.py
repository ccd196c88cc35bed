"""Labels are bought exactly once per return while EasyPost answers 20% of the label calls with 5xx or 429.

The SDK never retries 5xx/429 itself (WIRE.md section 1): every injected fault fails an attempt
of the buy activity, Temporal retries it with backoff, and the retry finds the return's shipment
by its reference instead of creating or buying another.
"""

from __future__ import annotations

import json
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from cli.stack import BIN
from tests.integration.conftest import Running, poll
from tests.integration.test_end_to_end import labels_for, new_order, return_body

pytestmark = pytest.mark.integration

RETURNS = 10
# The calls a label purchase makes: create the shipment (with rates), buy it, and read it back on a retry.
FAULTS = {
    "seed": 3,
    "POST /v2/shipments": {"error_rate": 0.1, "rate_limit_rate": 0.1, "status": 500},
    "POST /v2/shipments/*/buy": {"error_rate": 0.1, "rate_limit_rate": 0.1, "status": 503},
    "GET /v2/shipments/*": {"error_rate": 0.1, "rate_limit_rate": 0.1, "status": 502},
}


def start_return(run: Running) -> str:
    order_id = new_order(run)
    r = run.api.post("/v1/returns", json=return_body(order_id), headers=run.merchant())
    # 202: the label is still being retried when the API stops waiting; the return goes on.
    assert r.status_code in (201, 202), r.text
    return r.json()["id"]


def status_of(run: Running, return_id: str) -> str | None:
    r = run.api.get(f"/v1/returns/{return_id}", headers=run.merchant())
    assert r.status_code in (200, 404), r.text
    return r.json()["status"] if r.status_code == 200 else None


def buy_attempts(run: Running, return_id: str) -> int:
    """How many attempts the return's buy_return_label activity took (from its workflow history)."""
    out = subprocess.run(
        [
            str(BIN / "temporal"),
            "workflow",
            "show",
            "--workflow-id",
            f"return-{return_id}",
            "--address",
            run.settings.temporal_address,
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    events = json.loads(out.stdout)["events"]
    scheduled = {
        e["eventId"]
        for e in events
        if (e.get("activityTaskScheduledEventAttributes") or {}).get("activityType", {}).get("name")
        == "buy_return_label"
    }
    return max(
        (
            int(attrs.get("attempt", 1))
            for e in events
            if (attrs := e.get("activityTaskStartedEventAttributes")) and attrs.get("scheduledEventId") in scheduled
        ),
        default=0,
    )


def test_every_return_gets_exactly_one_label_under_5xx_and_429(running: Running):
    run = running
    assert run.easypost.put("/_sandbox/faults", json=FAULTS).status_code == 200
    try:
        with ThreadPoolExecutor(max_workers=5) as pool:
            ids = list(pool.map(lambda _: start_return(run), range(RETURNS)))
        assert len(set(ids)) == RETURNS
        for return_id in ids:
            poll(lambda: status_of(run, return_id), lambda s: s == "label_created", 180, f"{return_id} label_created")
    finally:
        run.easypost.delete("/_sandbox/faults")

    for return_id in ids:
        bought = labels_for(run, return_id)
        assert len(bought) == 1, (return_id, bought)
        label = run.api.get(f"/v1/returns/{return_id}", headers=run.merchant()).json()["label"]
        assert label["tracking_code"] == bought[0]["tracking_code"]
    # The faults really hit the purchases: some needed more than one attempt.
    attempts = [buy_attempts(run, return_id) for return_id in ids]
    assert all(a >= 1 for a in attempts) and sum(attempts) > RETURNS, attempts


def test_a_bought_label_whose_answer_was_lost_is_not_bought_again(running: Running):
    run = running
    # The buy goes through at EasyPost and its answer is lost (502): the retry must find it bought.
    lost = 3
    spec = {"POST /v2/shipments/*/buy": {"error_rate": 1.0, "status": 502, "after_execute": True, "max_faults": lost}}
    assert run.easypost.put("/_sandbox/faults", json=spec).status_code == 200
    try:
        with ThreadPoolExecutor(max_workers=lost) as pool:
            ids = list(pool.map(lambda _: start_return(run), range(lost)))
        for return_id in ids:
            poll(lambda: status_of(run, return_id), lambda s: s == "label_created", 120, f"{return_id} label_created")
    finally:
        run.easypost.delete("/_sandbox/faults")
    for return_id in ids:
        assert len(labels_for(run, return_id)) == 1
    # Each lost answer cost one attempt, whose retry found the label bought instead of buying again.
    attempts = [buy_attempts(run, return_id) for return_id in ids]
    assert sum(attempts) - len(ids) == lost, attempts
