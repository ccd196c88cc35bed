"""A store key tied to one store (`returnflow keys create --scope store --store st_noord`) receives only there; a
store key without a store receives at any of the merchant's stores; a return one store has is never answered as
received at another (409 `received_elsewhere`, naming the store that has it). From rows, Temporal down."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from db.onboarding import OnboardingError, create_key
from db.session import make_engine, session_scope
from db.stores import HANDED_IN_AT
from tests.api.test_store_receipts import auth, client, error, scan, store  # noqa: F401

NOW = datetime(2026, 12, 5, tzinfo=UTC)


def with_noord(client):  # noqa: F811
    facilities = client.get("/v1/facilities", headers=auth("merchant")).json()
    facilities["facilities"].append(store("st_noord"))
    assert client.put("/v1/facilities", json=facilities, headers=auth("merchant")).status_code == 200


def key_at(sqlite_url: str, store_id: str | None, scope: str = "store") -> str:
    engine = make_engine(sqlite_url)
    try:
        with session_scope(engine) as session:
            return create_key(session, "sunny", scope, test_mode=True, now=NOW, store_id=store_id).key
    finally:
        engine.dispose()


def test_a_second_scan_at_another_store_is_a_409_naming_the_store_that_has_it(client):  # noqa: F811
    with_noord(client)
    elsewhere = scan(client, "ret_handed_in", facility_id="st_noord")
    assert error(elsewhere) == (409, "received_elsewhere")
    assert elsewhere.json()["error"]["store_id"] == "st_zuid"
    assert scan(client, "ret_handed_in", facility_id="st_zuid").json()["store_id"] == "st_zuid"


def test_the_store_is_read_back_from_each_wording_of_the_workflows_receipt():
    for cause in (
        "handed in at store st_zuid",
        "handed in at store st_zuid, scanned with store key rf_test_sto…",
        "handed in at store st_zuid (the shopper had chosen store st_noord), scanned with store key rf_test_sto…",
    ):
        assert HANDED_IN_AT.match(cause).group(1) == "st_zuid", cause


def test_a_key_tied_to_a_store_receives_only_there(client, sqlite_url):  # noqa: F811
    with_noord(client)
    noord = {"Authorization": f"Bearer {key_at(sqlite_url, 'st_noord')}"}
    at_zuid = client.post("/v1/stores/st_zuid/receipts", json={"code": "ret_handed_in"}, headers=noord)
    assert error(at_zuid) == (403, "wrong_store") and at_zuid.json()["error"]["store_id"] == "st_noord"
    # At its own store it is an ordinary store key: this return is at st_zuid, so the 409 names that one.
    at_noord = client.post("/v1/stores/st_noord/receipts", json={"code": "ret_handed_in"}, headers=noord)
    assert error(at_noord) == (409, "received_elsewhere")
    # An older store key, without a store, receives at any store of the merchant's, as before.
    assert scan(client, "ret_handed_in", facility_id="st_zuid").status_code == 200


def test_only_a_store_key_is_tied_and_only_to_a_store_of_the_merchants(client, sqlite_url):  # noqa: F811
    with_noord(client)
    with pytest.raises(OnboardingError, match="only a store key"):
        key_at(sqlite_url, "st_noord", scope="warehouse")
    for not_a_store in ("st_nowhere", "st_theirs", "wh_demo_nl"):  # unknown, another merchant's, a warehouse
        with pytest.raises(OnboardingError, match="no store"):
            key_at(sqlite_url, not_a_store)
