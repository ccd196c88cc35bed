"""Shoppers' photos on the whole stack: uploaded for order lines, named by the create (through Temporal), then read
by ops; a retried create keeps them once; they are the merchant's only."""

from __future__ import annotations

import uuid

import pytest

from tests.factories import create_payment, order_body
from tests.integration.conftest import Running
from tests.photo_samples import GPS_IFD, heic_bytes, jpeg_with_gps, opened

pytestmark = pytest.mark.integration


def upload(run: Running, headers: dict, order_id: str, line: str, name: str, data: bytes) -> str:
    r = run.api.post(
        f"/v1/orders/{order_id}/photos", data={"line_id": line}, files={"photo": (name, data)}, headers=headers
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_a_return_created_with_photos_shows_them_to_ops_without_their_metadata(running: Running, shop: dict):
    m = shop["merchant"]
    pi = create_payment(running.settings.stripe_base_url, amount=2 * 2500 + 8999, merchant_id=shop["id"])
    order_id = f"o-{uuid.uuid4().hex[:8]}"
    assert running.api.put(f"/v1/orders/{order_id}", json=order_body(pi), headers=m).status_code == 201
    shirt = upload(running, m, order_id, "L1", "shirt.jpg", jpeg_with_gps())
    shoe = upload(running, m, order_id, "L2", "IMG_0042.HEIC", heic_bytes())
    body = {
        "order_id": order_id,
        "resolution": "refund",
        "items": [
            {"line_id": "L1", "quantity": 1, "reason": "damaged_in_transit", "photo_ids": [shirt]},
            {"line_id": "L2", "quantity": 1, "reason": "defective", "photo_ids": [shoe]},
        ],
    }
    headers = {**m, "Idempotency-Key": f"photos-{order_id}"}
    first = running.api.post("/v1/returns", json=body, headers=headers)
    assert first.status_code in (201, 202), first.text
    again = running.api.post("/v1/returns", json=body, headers=headers)  # the shopper's double submit
    assert again.status_code in (200, 201, 202) and again.json()["id"] == first.json()["id"], again.text
    return_id = first.json()["id"]
    assert [(i["line_id"], i["photo_ids"]) for i in again.json()["items"]] == [("L1", [shirt]), ("L2", [shoe])]

    for scope in ("merchant", "ops"):
        r = running.api.get(f"/v1/returns/{return_id}/photos", headers=shop[scope])
        assert r.status_code == 200, r.text
        photos = r.json()["data"]
        assert [(p["id"], p["line_id"], p["content_type"]) for p in photos] == [
            (shirt, "L1", "image/jpeg"),
            (shoe, "L2", "image/jpeg"),  # HEIC kept as JPEG
        ]
        got = running.api.get(photos[0]["url"], headers=shop[scope])
        assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
        assert not opened(got.content).getexif().get_ifd(GPS_IFD) and b"SnoopPhone" not in got.content
        assert opened(got.content).size == (30, 60)

    # The same photo again for another return of the order: it is this return's.
    other = {**body, "items": [{"line_id": "L1", "quantity": 1, "reason": "damaged_in_transit", "photo_ids": [shirt]}]}
    r = running.api.post("/v1/returns", json=other, headers=m)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_photos", r.text
    # The demo merchant names this shop's photo: the 422 of an id of nothing, and it sees nothing of it.
    r = running.api.get(f"/v1/returns/{return_id}/photos/{shirt}", headers=running.merchant())
    assert r.status_code == 404
