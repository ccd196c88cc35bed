"""POST /v1/returns verifies the shopper's address with EasyPost (the sandbox) before starting anything."""

from __future__ import annotations

import subprocess
import uuid

import pytest

from api.return_creation import new_return_id as _return_id
from cli.stack import BIN
from db.seed import DEMO_MERCHANT_ID
from tests.factories import CUSTOMER, create_payment, order_body
from tests.integration.conftest import Running
from tests.integration.test_end_to_end import return_body
from tests.integration.test_warehouse_api import DUTCH_SHOPPER

pytestmark = pytest.mark.integration


def order_for(run: Running, address: dict, order_id: str | None = None) -> str:
    """PUT an order (a new one, or `order_id` again) whose shopper lives at `address`."""
    pi = create_payment(run.settings.stripe_base_url, amount=2 * 2500 + 8999)
    customer = {**CUSTOMER, "address": address}
    r = run.api.put(
        f"/v1/orders/{order_id or f'o-{uuid.uuid4().hex[:8]}'}",
        json=order_body(pi, customer=customer),
        headers=run.merchant(),
    )
    assert r.status_code in (200, 201), r.text
    return r.json()["id"]


def create(run: Running, order_id: str, key: str):
    return run.api.post("/v1/returns", json=return_body(order_id), headers={**run.merchant(), "Idempotency-Key": key})


def workflow_exists(run: Running, return_id: str) -> bool:
    out = subprocess.run(
        [
            str(BIN / "temporal"),
            "workflow",
            "describe",
            "--workflow-id",
            f"return-{return_id}",
            "--address",
            run.settings.temporal_address,
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if out.returncode != 0:
        assert "not found" in (out.stderr + out.stdout).lower(), out.stderr
    return out.returncode == 0


def returns_of(run: Running, order_id: str) -> list[dict]:
    listed = run.api.get("/v1/returns", params={"limit": 100}, headers=run.merchant()).json()["data"]
    return [x for x in listed if x["order_id"] == order_id]


@pytest.mark.parametrize("address", [CUSTOMER["address"], DUTCH_SHOPPER["address"]], ids=["us", "nl"])
def test_a_verifiable_address_gets_its_return(running: Running, address: dict):
    run = running
    order_id = order_for(run, address)
    key = f"addr-{uuid.uuid4().hex}"
    r = create(run, order_id, key)
    assert r.status_code == 201, r.text
    # Started (the demo policy holds some NL returns for review before their label).
    assert r.json()["status"] in ("label_created", "pending_review") and r.json()["id"] == _return_id(
        DEMO_MERCHANT_ID, key
    )
    assert workflow_exists(run, r.json()["id"])


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"zip": "1234"}, "customer.address.zip", "Invalid zip"),
        ({"street1": "Montgomery St"}, "customer.address.street1", "House number is missing"),
        ({"state": "XX"}, "customer.address.state", "Invalid state"),
        # EasyPost cannot find it at all: it names no field, so the whole address is named.
        ({"street1": "000 unknown street", "city": "Not A City"}, "customer.address", "Address not found"),
    ],
    ids=["zip", "street1", "state", "not-found"],
)
def test_an_unverifiable_address_is_a_422_naming_the_field_and_starts_nothing(running: Running, change, field, words):
    run = running
    order_id = order_for(run, {**CUSTOMER["address"], **change})
    key = f"addr-{uuid.uuid4().hex}"
    r = create(run, order_id, key)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "address_unverifiable" and error["field"] == field, error
    assert words in error["message"] and order_id in error["message"]
    assert field in [d["field"] for d in error["details"]]
    # Nothing started: no workflow under the id this request would have used, no return listed.
    assert not workflow_exists(run, _return_id(DEMO_MERCHANT_ID, key))
    assert returns_of(run, order_id) == []
    # The quote is not an address check: it still answers.
    assert run.api.post("/v1/returns/quote", json=return_body(order_id), headers=run.merchant()).status_code == 200

    # The merchant corrects the address: the same request goes through.
    order_for(run, CUSTOMER["address"], order_id)
    r = create(run, order_id, key)
    assert r.status_code == 201 and r.json()["status"] == "label_created", r.text


def test_easypost_failing_is_a_503_not_a_500(running: Running):
    run = running
    # An address not verified before: one EasyPost passed for the account within the day is not asked again.
    order_id = order_for(run, {**CUSTOMER["address"], "street2": f"Unit {uuid.uuid4().hex[:6]}"})
    key = f"addr-{uuid.uuid4().hex}"
    spec = {"POST /v2/addresses/create_and_verify": {"error_rate": 1.0, "status": 500}}
    assert run.easypost.put("/_sandbox/faults", json=spec).status_code == 200
    try:
        r = create(run, order_id, key)
        assert r.status_code == 503, r.text
        assert r.json()["error"]["code"] == "carrier_unavailable"
        assert (
            run.easypost.put(
                "/_sandbox/faults", json={"POST /v2/addresses/create_and_verify": {"rate_limit_rate": 1.0}}
            ).status_code
            == 200
        )
        r = create(run, order_id, key)
        assert r.status_code == 503 and r.json()["error"]["code"] == "carrier_unavailable", r.text
    finally:
        run.easypost.delete("/_sandbox/faults")
    assert not workflow_exists(run, _return_id(DEMO_MERCHANT_ID, key))
    r = create(run, order_id, key)  # EasyPost back: the retry goes through
    assert r.status_code == 201, r.text
