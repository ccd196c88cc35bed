"""A return handed in at one of the merchant's stores, over HTTP on the real stack: created for a store (no label
is bought: the EasyPost sandbox sees no shipment), scanned at the counter with a store key (twice: one receipt),
inspected at the warehouse and refunded; or cancelled before the scan, after which no store takes it."""

from __future__ import annotations

import subprocess
import uuid

import pytest

from db.seed import ensure_key, seed_merchant
from db.session import make_engine, session_scope
from domain.facilities_example import example_facilities
from domain.rma import rma_code
from tests.factories import create_payment, order_body
from tests.integration.conftest import Running, poll
from tests.integration.test_api_fuzz import SCHEMATHESIS

pytestmark = pytest.mark.integration

STORE = "st_kalverstraat"


def store(id_: str) -> dict:
    return {
        "id": id_,
        "kind": "store",
        "name": "Kalverstraat store",
        "address": {
            "company": "Shop",
            "street1": "Kalverstraat 1",
            "city": "Amsterdam",
            "zip": "1012 NX",
            "country": "NL",
        },
        "location": {"lat": 52.3702, "lon": 4.8952},
        "capabilities": [],
        "daily_capacity": 100,
        "cost_per_unit": 0,
        "currency": "EUR",
        "opening_hours": [{"days": ["mon", "tue", "wed", "thu", "fri", "sat"], "opens": "10:00", "closes": "18:00"}],
    }


@pytest.fixture
def shops(running: Running) -> dict:
    """Two merchants of their own, each with a store and a key per scope (store included)."""
    found = {}
    engine = make_engine(running.settings.database_url)
    try:
        for name in ("a", "b"):
            merchant_id = f"st-{name}-{uuid.uuid4().hex[:8]}"
            keys = {s: f"rf_test_{s}_{uuid.uuid4().hex}" for s in ("merchant", "warehouse", "ops", "store")}
            registry = example_facilities()
            registry["facilities"].append(store(STORE))
            seed_merchant(
                engine,
                merchant_id=merchant_id,
                name=f"Store shop {name}",
                merchant_key=keys["merchant"],
                warehouse_key=keys["warehouse"],
                ops_key=keys["ops"],
                facilities=registry,
            )
            with session_scope(engine) as session:
                ensure_key(session, merchant_id, "store", keys["store"])
            found[name] = {"id": merchant_id, **{s: {"Authorization": f"Bearer {k}"} for s, k in keys.items()}}
    finally:
        engine.dispose()
    return found


def store_return(run: Running, shop: dict) -> dict:
    pi = create_payment(run.settings.stripe_base_url, amount=2 * 2500 + 8999, merchant_id=shop["id"])
    order_id = f"o-{uuid.uuid4().hex[:8]}"
    r = run.api.put(f"/v1/orders/{order_id}", json=order_body(pi), headers=shop["merchant"])
    assert r.status_code == 201, r.text
    body = {
        "order_id": order_id,
        "items": [
            {"line_id": "L1", "quantity": 2, "reason": "too_small"},
            {"line_id": "L2", "quantity": 1, "reason": "too_small"},
        ],
        "resolution": "refund",
        "send_method": "store",
        "store_id": STORE,
    }
    r = run.api.post("/v1/returns", json=body, headers=shop["merchant"])
    assert r.status_code == 201, r.text
    return r.json()


def scan(run: Running, shop: dict, code: str):
    return run.api.post(f"/v1/stores/{STORE}/receipts", json={"code": code}, headers=shop["store"])


def hand_ins(run: Running, shop: dict, return_id: str) -> list[dict]:
    r = run.api.get(f"/v1/returns/{return_id}/timeline", headers=shop["merchant"])
    assert r.status_code == 200, r.text
    return [e for e in r.json()["data"] if e["event"] == "hand_in"]


def status_of(run: Running, shop: dict, return_id: str) -> str:
    return run.api.get(f"/v1/returns/{return_id}", headers=shop["merchant"]).json()["status"]


def test_handed_in_at_the_store_received_inspected_and_refunded_without_a_label(running: Running, shops):
    run, a, b = running, shops["a"], shops["b"]
    ret = store_return(run, a)
    assert ret["status"] == "awaiting_hand_in" and ret["label"] is None, ret
    assert run.easypost.get("/_sandbox/shipments", params={"reference": ret["id"]}).json() == []

    # Merchant B's counter cannot take A's return (nor tell it exists): the 404 of an unknown code.
    other = scan(run, b, rma_code(ret["id"]))
    assert (other.status_code, other.json()["error"]["code"]) == (404, "return_not_found")
    assert scan(run, b, rma_code("ret_000000000000000000000000")).json() == other.json()

    first = scan(run, a, rma_code(ret["id"]))
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "received" and first.json()["return_id"] == ret["id"]
    again = scan(run, a, ret["id"])  # scanned twice (the id as typed this time): the same answer, one receipt
    assert again.status_code == 200 and again.json()["status"] in ("received", "inspected"), again.text
    poll(lambda: status_of(run, a, ret["id"]), lambda s: s == "received", 60, "received")
    assert [e["status"] for e in hand_ins(run, a, ret["id"])] == ["awaiting_hand_in", "received"]
    assert scan(run, a, ret["id"]).json() == {**first.json(), "status": "received"}

    r = run.api.post(
        f"/v1/returns/{ret['id']}/inspection",
        json={"items": [{"line_id": "L1", "grade": "A"}, {"line_id": "L2", "grade": "A"}]},
        headers=a["warehouse"],
    )
    assert r.status_code == 200, r.text
    refund = r.json()["refund"]["amount"]
    poll(lambda: status_of(run, a, ret["id"]), lambda s: s == "completed", 90, "completed")
    refunds = run.payments.get(
        "/_sandbox/refunds", params={"metadata_key": "return_id", "metadata_value": ret["id"]}
    ).json()
    assert [x["amount"] for x in refunds] == [refund]
    shipments = run.easypost.get("/_sandbox/shipments", params={"reference": ret["id"]}).json()
    assert shipments == []  # the return label was never bought (the items' transfers have references of their own)
    assert len(hand_ins(run, a, ret["id"])) == 2


def test_cancelled_before_the_scan_no_store_takes_it(running: Running, shops):
    run, a = running, shops["a"]
    ret = store_return(run, a)
    r = run.api.post(f"/v1/returns/{ret['id']}/cancel", json={"reason": "kept it"}, headers=a["merchant"])
    assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text
    late = scan(run, a, rma_code(ret["id"]))
    assert late.status_code == 409 and late.json()["error"]["code"] == "wrong_state", late.text
    assert late.json()["error"]["return_status"] == "cancelled"
    assert status_of(run, a, ret["id"]) == "cancelled"
    assert [e["status"] for e in hand_ins(run, a, ret["id"])] == ["awaiting_hand_in"]


def test_no_generated_scan_gets_a_server_error(running: Running, shops):
    """The fuzz run of tests/integration/test_api_fuzz.py, with a store key, so the scan's examples pass the 403."""
    out = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"{running.settings.api_base_url}/openapi.json",
            "--header",
            f"Authorization: {shops['a']['store']['Authorization']}",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "30",
            "--seed",
            "1",
            "--no-color",
            "--include-operation-id-regex",
            "^stores-receive$",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stdout[:6000] + "\n...\n" + out.stdout[-3000:] + out.stderr[-2000:]
    assert "passed" in out.stdout and "generated" in out.stdout
