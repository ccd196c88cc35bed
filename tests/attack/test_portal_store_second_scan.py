"""Attack: a return a store already has, scanned at another store of the merchant, is answered 200 "received here"
with the scanning store's id.

`api/routers/stores.receive` answers a second scan from the database with `store_id=facility_id` (the URL's), and the
workflow path does the same with the first receipt's view; the store that actually has the parcel is in neither
answer (the projection does not keep it). Store 2's counter is told it holds a parcel store 1 has: two stores
book the same return in, the second one's staff look for a parcel that is not there, and a clerk replaying codes
at the wrong store is never told. A scan at another store than the one that has it should be a 409 naming the store
that has it (or answer that store's id), never "received at" the scanning store.
"""

from __future__ import annotations

from tests.api.test_store_receipts import auth, client, scan, store  # noqa: F401


def test_a_return_store_zuid_has_is_not_received_again_at_store_noord(client):  # noqa: F811
    facilities = client.get("/v1/facilities", headers=auth("merchant")).json()
    facilities["facilities"].append(store("st_noord"))
    assert client.put("/v1/facilities", json=facilities, headers=auth("merchant")).status_code == 200
    here = scan(client, "ret_handed_in", facility_id="st_zuid")
    assert here.status_code == 200 and here.json()["store_id"] == "st_zuid"
    elsewhere = scan(client, "ret_handed_in", facility_id="st_noord")
    assert elsewhere.status_code == 409 or elsewhere.json().get("store_id") == "st_zuid", elsewhere.text
