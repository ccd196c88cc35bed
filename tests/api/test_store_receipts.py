"""POST /v1/stores/{facility_id}/receipts and the store check of POST /v1/returns, from rows: the API alone
(real SQLite, Temporal down). Who may scan, what a scan may name, and that a second scan of a return a store
already has is answered from the database (Temporal is not even reachable here). The scan that moves a return
on, through its workflow, is tests/integration/test_store_receipts.py."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from db.registry import save_registry
from db.return_choices import record_choices
from db.seed import ensure_key, seed_merchant
from db.session import make_engine, session_scope
from db.tables import ReturnRecord, TimelineRecord
from domain.facilities import FacilityRegistry
from domain.facilities_example import example_facilities
from domain.rma import rma_code
from tests.api.alone import api_alone
from tests.factories import insert_order

T0 = datetime(2026, 12, 1, 10, tzinfo=UTC)
ITEMS = [{"line_id": "L1", "sku": "TEE-BLK-M", "quantity": 2, "reason": "too_small"}]
KEYS = {
    (merchant, scope): f"rf_test_{scope}_{merchant}_store_receipts_000"
    for merchant in ("sunny", "other")
    for scope in ("merchant", "warehouse", "ops", "read", "store")
}


def auth(scope: str, merchant: str = "sunny") -> dict:
    return {"Authorization": f"Bearer {KEYS[(merchant, scope)]}"}


def store(id_: str) -> dict:
    return {
        "id": id_,
        "kind": "store",
        "name": f"Store {id_}",
        "address": {"street1": "Kalverstraat 1", "city": "Amsterdam", "zip": "1012 NX", "country": "NL"},
        "location": {"lat": 52.37, "lon": 4.89},
        "capabilities": [],
        "daily_capacity": 100,
        "cost_per_unit": 0,
        "currency": "EUR",
        "opening_hours": [{"days": ["sat"], "opens": "10:00", "closes": "17:00"}],
    }


@pytest.fixture
def client(sqlite_url):
    engine = make_engine(sqlite_url)
    for merchant in ("sunny", "other"):
        seed_merchant(
            engine,
            merchant_id=merchant,
            name=merchant,
            merchant_key=KEYS[(merchant, "merchant")],
            warehouse_key=KEYS[(merchant, "warehouse")],
            ops_key=KEYS[(merchant, "ops")],
        )
        with session_scope(engine) as session:
            for scope in ("read", "store"):
                ensure_key(session, merchant, scope, KEYS[(merchant, scope)])
    registry = example_facilities()
    registry["facilities"].append(store("st_zuid"))
    with session_scope(engine) as session:
        save_registry(session, "sunny", FacilityRegistry.model_validate(registry))
        save_registry(session, "other", FacilityRegistry.model_validate({"facilities": [store("st_theirs")]}))
    orders = {m: insert_order(engine, m, None) for m in ("sunny", "other")}

    def add(return_id: str, status: str, send_method: str | None, merchant: str = "sunny", handed_in: bool = False):
        with session_scope(engine) as session:
            session.add(
                ReturnRecord(
                    id=return_id,
                    merchant_id=merchant,
                    order_id=orders[merchant].id,
                    status=status,
                    resolution="refund",
                    items=ITEMS,
                    request_fingerprint="f",
                    created_at=T0,
                    updated_at=T0,
                )
            )
            session.flush()
            if send_method:
                record_choices(
                    session, merchant, return_id, "nl", send_method, "st_zuid" if send_method == "store" else None
                )
            if handed_in:
                session.add(
                    TimelineRecord(
                        return_id=return_id,
                        seq=1,
                        at=T0,
                        status="received",
                        event="hand_in",
                        cause="handed in at store st_zuid, scanned with store key rf_test_sto…",
                    )
                )

    add("ret_waiting", "awaiting_hand_in", "store")
    add("ret_handed_in", "inspected", "store", handed_in=True)
    add("ret_label", "label_created", "label")
    add("ret_before_choices", "label_created", None)
    add("ret_theirs", "awaiting_hand_in", "store", merchant="other")
    engine.dispose()
    with TestClient(api_alone(sqlite_url)) as c:
        yield c


def scan(client: TestClient, code: str, facility_id: str = "st_zuid", scope: str = "store", merchant: str = "sunny"):
    return client.post(f"/v1/stores/{facility_id}/receipts", json={"code": code}, headers=auth(scope, merchant))


def error(r) -> tuple[int, str]:
    return r.status_code, r.json()["error"]["code"]


def test_only_a_store_key_scans(client):
    for scope in ("merchant", "warehouse", "ops", "read"):
        r = scan(client, "ret_waiting", scope=scope)
        assert error(r) == (403, "forbidden") and "store" in r.json()["error"]["message"], (scope, r.text)
    r = client.post("/v1/stores/st_zuid/receipts", json={"code": "ret_waiting"})
    assert error(r) == (401, "unauthorized")


def test_the_store_must_be_one_of_the_keys_merchants_stores(client):
    unknown = scan(client, "ret_waiting", facility_id="st_nothing")
    assert error(unknown) == (404, "store_not_found")
    for facility_id in ("wh_demo_nl", "st_theirs"):  # a warehouse of its own; another merchant's store
        r = scan(client, "ret_waiting", facility_id=facility_id)
        assert error(r) == (404, "store_not_found"), (facility_id, r.text)
        assert r.json()["error"]["message"].replace(facility_id, "X") == unknown.json()["error"]["message"].replace(
            "st_nothing", "X"
        )


def test_another_merchants_return_is_no_return_at_all(client):
    for code in ("ret_theirs", rma_code("ret_theirs"), "ret_nothing", "RMA-RET_NOTHING"):
        r = scan(client, code)
        assert r.json() == {"error": {"code": "return_not_found", "message": "no return of yours has that code"}}
        assert r.status_code == 404, code


def test_a_return_not_sent_to_a_store_is_refused(client):
    for return_id in ("ret_label", "ret_before_choices"):
        r = scan(client, rma_code(return_id))
        assert error(r) == (409, "not_sent_to_a_store"), r.text
        assert r.json()["error"]["return_status"] == "label_created"


def test_a_second_scan_of_a_return_a_store_has_answers_from_the_database(client):
    # Temporal is down here: an answer proves nothing was sent to the workflow.
    first, again = scan(client, "ret_handed_in"), scan(client, " rma-RET_HANDED_IN ")
    assert first.status_code == again.status_code == 200, first.text
    assert (
        first.json()
        == again.json()
        == {
            "return_id": "ret_handed_in",
            "order_id": first.json()["order_id"],
            "status": "inspected",
            "store_id": "st_zuid",
            "items": [{"line_id": "L1", "sku": "TEE-BLK-M", "quantity": 2}],
        }
    )


def test_a_return_waiting_for_the_store_needs_its_workflow_unreachable_is_a_json_503(client):
    r = scan(client, "ret_waiting")
    assert error(r) == (503, "temporal_unavailable")


@pytest.mark.parametrize("body", [{}, {"code": ""}, {"code": "x" * 101}, {"code": "ret_waiting", "store": "st"}])
def test_a_body_without_a_code_is_a_422(client, body):
    r = client.post("/v1/stores/st_zuid/receipts", json=body, headers=auth("store"))
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request", r.text


def test_creating_a_return_for_a_store_names_one_of_the_merchants_stores(client):
    answers = set()
    for store_id in ("st_nothing", "wh_demo_nl", "st_theirs"):
        body = {
            "order_id": "1001",
            "resolution": "refund",
            "items": [{"line_id": "L1", "quantity": 1, "reason": "too_small"}],
            "send_method": "store",
            "store_id": store_id,
        }
        r = client.post("/v1/returns", json=body, headers=auth("merchant"))
        assert error(r) == (422, "unknown_store"), r.text
        assert r.json()["error"]["field"] == "store_id"
        answers.add(r.json()["error"]["message"].replace(store_id, "X"))
    assert len(answers) == 1  # another merchant's store reads as an unknown id


def test_the_store_list_is_the_merchants_stores_with_address_and_hours_and_nothing_else(client):
    for scope in ("merchant", "ops", "read"):
        r = client.get("/v1/stores", headers=auth(scope))
        assert r.status_code == 200, (scope, r.text)
        assert r.json()["next_cursor"] is None
        [found] = r.json()["data"]  # the warehouses and centres are facilities, not stores
        assert (found["id"], found["kind"], found["address"]["city"]) == ("st_zuid", "store", "Amsterdam")
        assert found["opening_hours"] == [{"days": ["sat"], "opens": "10:00", "closes": "17:00"}]
    assert [s["id"] for s in client.get("/v1/stores", headers=auth("read", "other")).json()["data"]] == ["st_theirs"]
    for scope in ("store", "warehouse"):
        assert error(client.get("/v1/stores", headers=auth(scope))) == (403, "forbidden")
