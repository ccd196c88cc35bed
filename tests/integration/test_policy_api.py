"""The merchant's policy over HTTP: versions, quotes, refusals with the quote's reasons, review."""

from __future__ import annotations

import uuid

import pytest

from tests.factories import create_payment, order_body
from tests.integration.conftest import Running, poll
from tests.integration.test_bad_input import error

pytestmark = pytest.mark.integration

POLICY = {
    "markets": [{"code": "US", "window_days": 30, "currency": "USD"}],
    "rules": [
        {
            "id": "shoes",
            "description": "Shoes carry a 10% restocking fee",
            "match": {"categories": ["shoes"]},
            "restocking_fee": {"kind": "percent", "percent": 10},
        }
    ],
    "review": {"order_value_above": 100_000},
    "currency": "USD",  # of the flat amounts where no market matches
}


def put_order(run: Running, shop: dict, **kw) -> str:
    pi = create_payment(run.settings.stripe_base_url, amount=2 * 2500 + 8999, merchant_id=shop["id"])
    order_id = f"o-{uuid.uuid4().hex[:8]}"
    assert run.api.put(f"/v1/orders/{order_id}", json=order_body(pi, **kw), headers=shop["merchant"]).status_code == 201
    return order_id


def test_every_save_is_a_new_version_and_bad_policies_name_the_field(running: Running, shop):
    run = running
    error(run.api.get("/v1/policy", headers=shop["merchant"]), 404, "policy_not_found")
    first = run.api.put("/v1/policy", json=POLICY, headers=shop["merchant"])
    assert first.status_code == 201 and first.json()["version"] == 1, first.text
    second = run.api.put("/v1/policy", json={**POLICY, "store_credit_bonus_percent": 10}, headers=shop["merchant"])
    assert second.json()["version"] == 2
    assert run.api.get("/v1/policy", headers=shop["merchant"]).json()["policy"]["store_credit_bonus_percent"] == 10
    assert [v["version"] for v in run.api.get("/v1/policy/versions", headers=shop["merchant"]).json()["data"]] == [2, 1]

    bad = {
        "unknown market": ({"markets": [{"code": "XX", "currency": "EUR"}]}, "XX"),
        "EU below 14 days": ({"markets": [{"code": "EU", "window_days": 7, "currency": "EUR"}]}, "14"),
        "negative fee": ({"return_shipping_fee": {"kind": "flat", "amount": -5}}, "return_shipping_fee"),
        "percent over 100": ({"store_credit_bonus_percent": 150}, "store_credit_bonus_percent"),
        "flat fee in no currency": ({"return_shipping_fee": {"kind": "flat", "amount": 595}}, "currency"),
        "overlapping rules": (
            {
                "rules": [
                    {"id": "a", "match": {"categories": ["shoes"]}, "window_days": 10},
                    {"id": "b", "match": {"categories": ["shoes"]}, "window_days": 20},
                ]
            },
            "priority",
        ),
    }
    for what, (doc, named) in bad.items():
        err = error(run.api.put("/v1/policy", json=doc, headers=shop["merchant"]), 422)
        assert named in err["message"], (what, err)
    assert len(run.api.get("/v1/policy/versions", headers=shop["merchant"]).json()["data"]) == 2  # nothing saved


def test_quote_then_create_agree_and_the_return_keeps_its_version(running: Running, shop):
    run = running
    run.api.put("/v1/policy", json=POLICY, headers=shop["merchant"])
    order_id = put_order(run, shop)
    body = {
        "order_id": order_id,
        "items": [{"line_id": "L2", "quantity": 1, "reason": "changed_mind"}],
        "resolution": "refund",
    }
    quote = run.api.post("/v1/returns/quote", json=body, headers=shop["merchant"])
    assert quote.status_code == 200, quote.text
    q = quote.json()
    assert q["eligible"] and q["items"][0]["restocking_fee"]["amount"] == 899
    assert any("restocking" in r.lower() for r in q["rules_fired"])
    created = run.api.post("/v1/returns", json=body, headers=shop["merchant"]).json()
    assert created["policy_version"] == 1
    run.api.put("/v1/policy", json={**POLICY, "rules": []}, headers=shop["merchant"])  # version 2
    got = run.api.get(f"/v1/returns/{created['id']}", headers=shop["merchant"]).json()
    assert got["policy_version"] == 1
    timeline = run.api.get(f"/v1/returns/{created['id']}/timeline", headers=shop["merchant"]).json()["data"]
    assert any("policy version 1" in e["cause"] for e in timeline)


def test_ineligible_create_is_422_with_the_quotes_reasons(running: Running, shop):
    run = running
    run.api.put("/v1/policy", json=POLICY, headers=shop["merchant"])
    order_id = put_order(run, shop, placed_days_ago=90)
    body = {
        "order_id": order_id,
        "items": [{"line_id": "L1", "quantity": 1, "reason": "too_small"}],
        "resolution": "refund",
    }
    q = run.api.post("/v1/returns/quote", json=body, headers=shop["merchant"]).json()
    assert not q["eligible"] and q["reasons"]
    err = error(run.api.post("/v1/returns", json=body, headers=shop["merchant"]), 422, "not_eligible")
    assert err["reasons"] == q["reasons"]
    assert run.api.get("/v1/returns", headers=shop["merchant"]).json()["data"] == []


def test_review_needs_an_ops_key_and_moves_the_return_on(running: Running, shop):
    run = running
    run.api.put("/v1/policy", json={**POLICY, "review": {"reasons": ["not_as_described"]}}, headers=shop["merchant"])
    order_id = put_order(run, shop)
    body = {
        "order_id": order_id,
        "items": [{"line_id": "L1", "quantity": 1, "reason": "not_as_described"}],
        "resolution": "refund",
    }
    held = run.api.post("/v1/returns", json=body, headers=shop["merchant"]).json()
    assert held["status"] == "pending_review" and held["label"] is None
    path = f"/v1/returns/{held['id']}/review"
    error(run.api.post(path, json={"decision": "approve"}, headers=shop["merchant"]), 403, "forbidden")
    error(run.api.post(path, json={"decision": "maybe"}, headers=shop["ops"]), 422, "invalid_request")
    done = run.api.post(path, json={"decision": "approve", "note": "photos look fine"}, headers=shop["ops"])
    assert done.status_code == 200 and done.json()["status"] == "label_created", done.text
    error(run.api.post(path, json={"decision": "reject"}, headers=shop["ops"]), 409, "wrong_state")
    # Answered when the new label's status is set, just before the flush that writes the approval: poll for it.
    timeline = poll(
        lambda: run.api.get(f"/v1/returns/{held['id']}/timeline", headers=shop["merchant"]).json()["data"],
        lambda entries: any("approved by" in e["cause"] for e in entries),
        60,
        "the approval on the timeline",
    )
    assert any("approved by ops key" in e["cause"] and "photos look fine" in e["cause"] for e in timeline)
