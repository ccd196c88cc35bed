"""Per-merchant label rules over HTTP: the sandbox shipment is bought at the rate the rules choose,
the return keeps that choice and the alternatives, and rules no rate satisfies refuse the return."""

from __future__ import annotations

import uuid
from decimal import Decimal

import httpx
import pytest

from tests.factories import create_payment, order_body
from tests.integration.conftest import Running
from tests.integration.test_end_to_end import return_body

pytestmark = pytest.mark.integration


def put_rules(run: Running, shop: dict, rules: dict) -> None:
    r = run.api.put("/v1/label-rules", json=rules, headers=shop["merchant"])
    assert r.status_code == 200, r.text


def post_return(run: Running, shop: dict) -> httpx.Response:
    """An order (3 units) for the shop and a return of all of it: the answer to POST /v1/returns."""
    pi = create_payment(run.settings.stripe_base_url, amount=2 * 2500 + 8999, merchant_id=shop["id"])
    order_id = f"o-{uuid.uuid4().hex[:8]}"
    assert run.api.put(f"/v1/orders/{order_id}", json=order_body(pi), headers=shop["merchant"]).status_code == 201
    return run.api.post("/v1/returns", json=return_body(order_id), headers=shop["merchant"])


def shipments(run: Running, return_id: str) -> list[dict]:
    return run.easypost.get("/_sandbox/shipments", params={"reference": return_id}).json()


def bought(run: Running, return_id: str) -> dict:
    """The one shipment bought for the return, as the sandbox holds it (with every rate it quoted)."""
    labels = [s for s in shipments(run, return_id) if s["postage_label"]]
    assert len(labels) == 1, labels
    return labels[0]


def cents(rate: dict) -> int:
    return int(Decimal(rate["rate"]) * 100)


def as_alternative(rate: dict) -> dict:
    return {
        "carrier": rate["carrier"],
        "service": rate["service"],
        "rate": {"amount": cents(rate), "currency": "USD"},
        "delivery_days": rate["delivery_days"],
    }


def test_fastest_within_budget_buys_the_fastest_affordable_rate_and_keeps_the_alternatives(running: Running, shop):
    run = running
    budget = 3000
    put_rules(run, shop, {"selection": "fastest_within_budget", "max_cost": {"amount": budget, "currency": "USD"}})
    r = post_return(run, shop)
    assert r.status_code == 201, r.text
    ret = r.json()
    assert ret["status"] == "label_created"

    shipment = bought(run, ret["id"])
    rates = shipment["rates"]
    affordable = [x for x in rates if cents(x) <= budget]
    expected = min(affordable, key=lambda x: (x["delivery_days"], cents(x), x["carrier"], x["service"]))
    assert shipment["selected_rate"]["id"] == expected["id"]
    # The rules made a difference: the cheapest rate is slower, and a faster one is over the budget.
    assert cents(expected) > min(cents(x) for x in rates)
    assert any(x["delivery_days"] < expected["delivery_days"] and cents(x) > budget for x in rates)

    label = ret["label"]
    assert (label["carrier"], label["service"], label["tracking_code"]) == (
        expected["carrier"],
        expected["service"],
        shipment["tracking_code"],
    )
    assert label["rate"] == {"amount": cents(expected), "currency": "USD"}
    assert label["delivery_days"] == expected["delivery_days"]
    assert "fastest" in label["selection_reason"] and "30.00 USD budget" in label["selection_reason"]
    others = sorted((x for x in affordable if x["id"] != expected["id"]), key=lambda x: (cents(x), x["delivery_days"]))
    assert label["alternatives"] == [as_alternative(x) for x in others]
    # Read back from the projection, not only in the create answer.
    assert run.api.get(f"/v1/returns/{ret['id']}", headers=shop["merchant"]).json()["label"] == label


def test_one_allowed_carrier_buys_its_cheapest_rate(running: Running, shop):
    run = running
    put_rules(run, shop, {"carriers": ["fedex"]})  # names compare ignoring case
    r = post_return(run, shop)
    assert r.status_code == 201, r.text
    ret = r.json()
    shipment = bought(run, ret["id"])
    fedex = sorted((x for x in shipment["rates"] if x["carrier"] == "FedEx"), key=cents)
    assert len(fedex) >= 2 and any(x["carrier"] != "FedEx" and cents(x) < cents(fedex[0]) for x in shipment["rates"])
    assert shipment["selected_rate"]["id"] == fedex[0]["id"]
    label = ret["label"]
    assert (label["carrier"], label["service"]) == ("FedEx", fedex[0]["service"])
    assert label["alternatives"] == [as_alternative(x) for x in fedex[1:]]  # only what the rules allow
    assert label["selection_reason"] == f"cheapest of {len(fedex)} allowed rates"


@pytest.mark.parametrize(
    ("rules", "words"),
    [
        ({"max_cost": {"amount": 100, "currency": "USD"}}, ["over the 1.00 USD budget", "the cheapest allowed rate"]),
        ({"carriers": ["DHL"]}, ["allowed: carriers DHL", "none of the"]),
    ],
    ids=["over-budget", "carrier-not-quoted"],
)
def test_rules_no_rate_satisfies_reject_the_return_with_the_reason(
    running: Running, shop, rules: dict, words: list[str]
):
    run = running
    put_rules(run, shop, rules)
    r = post_return(run, shop)
    # What the product answers: the return is created and refused at label time (201, rejected,
    # the reason in decision_reasons), as for any label that cannot be bought; not a 422.
    assert r.status_code == 201, r.text
    ret = r.json()
    assert ret["status"] == "rejected" and ret["label"] is None
    [reason] = ret["decision_reasons"]
    assert reason.startswith("no return label could be bought: no rate meets the merchant's label rules: ")
    for word in words:
        assert word in reason, reason
    # The shipment was rated, and nothing was bought.
    quoted = shipments(run, ret["id"])
    assert len(quoted) == 1 and quoted[0]["rates"] and quoted[0]["postage_label"] is None
    timeline = run.api.get(f"/v1/returns/{ret['id']}/timeline", headers=shop["merchant"]).json()["data"]
    assert timeline[-1]["status"] == "rejected" and words[0] in timeline[-1]["cause"]
