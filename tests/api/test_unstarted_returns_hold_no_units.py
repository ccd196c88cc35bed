"""A return whose workflow never started holds no units: the API alone, real SQLite, the real EasyPost
sandbox for the address check, and a Temporal address where nothing listens (so every create is a 503)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import select

from db.seed import seed_merchant
from db.session import make_engine, session_scope
from db.tables import ReturnUnit
from settings import DEV_EASYPOST_KEY
from tests.api.alone import api_alone
from tests.factories import insert_order

KEY = "rf_test_unstarted_units_m_00000000"
HEADERS = {"Authorization": f"Bearer {KEY}"}


def test_a_create_that_never_reached_temporal_frees_its_units(sqlite_url: str, sandboxes: dict[str, str]):
    engine = make_engine(sqlite_url)
    seed_merchant(
        engine,
        merchant_id="m1",
        name="Shop",
        merchant_key=KEY,
        warehouse_key="rf_test_unstarted_units_w_0000000",
    )
    order = insert_order(engine, "m1", None)
    body = {
        "order_id": order.id,
        "items": [{"line_id": "L2", "quantity": 1, "reason": "too_small"}],
        "resolution": "refund",
    }
    app = api_alone(sqlite_url, easypost_base_url=f"{sandboxes['easypost']}/v2", easypost_api_key=DEV_EASYPOST_KEY)
    with TestClient(app) as client:
        for key in (
            "first",
            "second",
            "first",
        ):  # L2 has one unit: a held unit would make the second a 422
            r = client.post("/v1/returns", json=body, headers={**HEADERS, "Idempotency-Key": key})
            assert r.status_code == 503 and r.json()["error"]["code"] == "temporal_unavailable", r.text
            with session_scope(engine) as s:
                assert s.exec(select(ReturnUnit)).all() == []
        quote = client.post("/v1/returns/quote", json=body, headers=HEADERS)
        assert quote.status_code == 200 and quote.json()["eligible"], quote.text
    engine.dispose()
