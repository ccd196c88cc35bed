"""Pickups over HTTP: booked with the return or later, cancelled, bad windows refused."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import create_payment, order_body
from tests.integration.conftest import Running, poll
from tests.integration.test_bad_input import error
from tests.integration.test_end_to_end import (
    advance,
    create_return,
    get_return,
    new_order,
    return_body,
)

pytestmark = pytest.mark.integration


def window(days: float = 1) -> dict:
    start = datetime.now(UTC) + timedelta(days=days)
    return {"min_datetime": start.isoformat(), "max_datetime": (start + timedelta(hours=4)).isoformat()}


def test_a_pickup_booked_at_creation_shows_on_the_label(running: Running):
    run = running
    r = run.api.post("/v1/returns", json={**return_body(new_order(run)), "pickup": window()}, headers=run.merchant())
    assert r.status_code == 201, r.text
    ret = poll(lambda: get_return(run, r.json()["id"]), lambda x: (x["label"] or {}).get("pickup"), 60, "pickup booked")
    pickup = ret["label"]["pickup"]
    assert pickup["status"] == "scheduled" and pickup["confirmation"] and pickup["cost"]["currency"] == "USD"


def test_pickup_later_cancel_and_bad_windows(running: Running):
    run = running
    ret = create_return(run, new_order(run))
    path = f"/v1/returns/{ret['id']}/pickup"
    later = datetime.now(UTC) + timedelta(days=1)
    error(
        run.api.post(
            path, json={"min_datetime": later.isoformat(), "max_datetime": later.isoformat()}, headers=run.merchant()
        ),
        422,
    )
    error(
        run.api.post(
            path, json={"min_datetime": "tomorrow", "max_datetime": later.isoformat()}, headers=run.merchant()
        ),
        422,
    )
    past = error(run.api.post(path, json=window(-2), headers=run.merchant()), 422, "invalid_pickup")
    assert "future" in past["message"]
    booked = run.api.post(path, json=window(), headers=run.merchant())
    assert booked.status_code == 200 and booked.json()["label"]["pickup"]["status"] == "scheduled", booked.text
    error(run.api.post(path, json=window(), headers=run.merchant()), 409, "wrong_state")
    cancelled = run.api.post(f"{path}/cancel", json={"reason": "dropping it off"}, headers=run.merchant())
    assert cancelled.status_code == 200 and cancelled.json()["label"]["pickup"]["status"] == "cancelled"
    error(run.api.post(f"{path}/cancel", headers=run.merchant()), 409, "wrong_state")
    advance(run, ret["label"]["tracking_code"], "in_transit")
    poll(lambda: get_return(run, ret["id"])["status"], lambda s: s == "in_transit", 60, "in transit")
    late = error(run.api.post(path, json=window(), headers=run.merchant()), 409, "wrong_state")
    assert "in_transit" in late["message"]
    error(run.api.post("/v1/returns/ret_nope/pickup", json=window(), headers=run.merchant()), 404)


def test_label_spend_and_void_savings_are_reported(running: Running, shop):
    run = running
    assert run.api.get("/v1/reports/labels", headers=shop["merchant"]).json()["by_currency"] == []
    pi = create_payment(run.settings.stripe_base_url, amount=2 * 2500 + 8999, merchant_id=shop["id"])
    order_id = f"o-{uuid.uuid4().hex[:8]}"
    assert run.api.put(f"/v1/orders/{order_id}", json=order_body(pi), headers=shop["merchant"]).status_code == 201
    kept = run.api.post("/v1/returns", json=return_body(order_id), headers=shop["merchant"]).json()
    r = run.api.post(f"/v1/returns/{kept['id']}/cancel", headers=shop["merchant"])
    assert r.status_code == 200, r.text
    voided = poll(
        lambda: run.api.get(f"/v1/returns/{kept['id']}", headers=shop["merchant"]).json()["label"],
        lambda l: l["void_status"] == "refunded",
        60,
        "the void confirmed",
    )
    [usd] = run.api.get("/v1/reports/labels", headers=shop["merchant"]).json()["by_currency"]
    cost = voided["rate"]["amount"]
    assert usd == {
        "currency": "USD",
        "labels_bought": 1,
        "spent": cost,
        "labels_voided": 1,
        "saved": cost,
        "void_rejected": 0,
    }
