"""`returnflow keys create --scope store --store st_noord`: a counter's key that receives returns at that store only."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from db.registry import load_registry, save_registry
from db.session import make_engine, session_scope
from domain.facilities import FacilityRegistry
from tests.api.alone import api_alone
from tests.api.test_store_receipts import store
from tests.cli.test_returnflow_cli import FIETS, cli  # noqa: F401  (the fixture)


def test_a_key_made_for_one_store_receives_there_and_nowhere_else(cli, sqlite_url):  # noqa: F811
    merchant_id = json.loads(cli(*FIETS, "--json").stdout)["merchant_id"]
    cli("keys", "create", "--merchant", "fiets", "--scope", "store", "--store", "st_noord", code=1)  # no such store
    engine = make_engine(sqlite_url)
    with session_scope(engine) as session:
        registry = load_registry(session, merchant_id).model_dump(mode="json")
        registry["facilities"] += [store("st_noord"), store("st_zuid")]
        save_registry(session, merchant_id, FacilityRegistry.model_validate(registry))
    engine.dispose()
    args = ("keys", "create", "--merchant", "fiets", "--scope", "store", "--store", "st_noord", "--json")
    made = json.loads(cli(*args).stdout)
    assert made["store"] == "st_noord"
    headers = {"Authorization": f"Bearer {made['key']}"}
    with TestClient(api_alone(sqlite_url)) as api:
        r = api.post("/v1/stores/st_zuid/receipts", json={"code": "RMA-RET_0A1B"}, headers=headers)
        assert (r.status_code, r.json()["error"]["code"]) == (403, "wrong_store")
        r = api.post("/v1/stores/st_noord/receipts", json={"code": "RMA-RET_0A1B"}, headers=headers)
        assert (r.status_code, r.json()["error"]["code"]) == (404, "return_not_found")  # past the store check
