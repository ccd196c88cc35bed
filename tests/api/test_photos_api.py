"""Shoppers' photos over the JSON API (the API alone, real SQLite, photos under a temporary data dir): uploaded for
an order line, cleaned of their metadata, typed by content, bounded in size and number, attached when the return is
created (only the merchant's own, that line's, unclaimed), listed and downloaded by ops."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import select

from api.photo_store import LocalPhotoStore
from db.photos import claim_photos
from db.seed import seed_merchant
from db.session import make_engine, session_scope
from db.tables import ReturnPhoto, ReturnRecord, ReturnUnit
from domain.photos import MAX_PHOTO_BYTES
from settings import DEV_EASYPOST_KEY
from tests.api.alone import api_alone
from tests.factories import insert_order
from tests.photo_samples import GPS_IFD, heic_bytes, jpeg_with_gps, opened, png_bytes

KEYS = {("a", s): f"rf_test_photos_a_{s}_000000000000000" for s in ("merchant", "warehouse", "ops")} | {
    ("b", s): f"rf_test_photos_b_{s}_000000000000000" for s in ("merchant", "warehouse", "ops")
}


def auth(shop: str, scope: str = "merchant") -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[(shop, scope)]}"}


@dataclass
class World:
    client: TestClient
    engine: object
    store: LocalPhotoStore
    orders: dict[str, str]  # shop -> its order id

    def upload(self, data: bytes, *, shop: str = "a", line: str = "L1", name: str = "photo.jpg", ctype="image/jpeg"):
        return self.client.post(
            f"/v1/orders/{self.orders[shop]}/photos",
            data={"line_id": line},
            files={"photo": (name, data, ctype)},
            headers=auth(shop),
        )

    def stored(self, photo_id: str) -> ReturnPhoto:
        with session_scope(self.engine) as s:
            return s.get(ReturnPhoto, photo_id)

    def bytes_of(self, photo_id: str) -> bytes:
        return self.store.get(self.stored(photo_id).storage_key)


@pytest.fixture
def world(sqlite_url: str, sandboxes: dict[str, str], tmp_path: Path) -> Iterator[World]:
    engine = make_engine(sqlite_url)
    orders = {}
    for shop in ("a", "b"):
        seed_merchant(
            engine,
            merchant_id=f"m_photos_{shop}",
            name=f"Shop {shop}",
            merchant_key=KEYS[(shop, "merchant")],
            warehouse_key=KEYS[(shop, "warehouse")],
            ops_key=KEYS[(shop, "ops")],
        )
        orders[shop] = insert_order(engine, f"m_photos_{shop}", None).id
    app = api_alone(
        sqlite_url,
        data_dir=tmp_path / "data",
        easypost_base_url=f"{sandboxes['easypost']}/v2",
        easypost_api_key=DEV_EASYPOST_KEY,
    )
    with TestClient(app) as client:
        yield World(client, engine, LocalPhotoStore(tmp_path / "data" / "photos"), orders)
    engine.dispose()


def test_a_jpeg_keeps_its_picture_upright_and_loses_its_location_and_every_other_metadata(world: World):
    sent = jpeg_with_gps(60, 30)
    assert b"SnoopPhone" in sent and opened(sent).getexif().get_ifd(GPS_IFD)  # the sample really carries them
    r = world.upload(sent)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["id"].startswith("ph_") and body["line_id"] == "L1" and body["content_type"] == "image/jpeg"
    assert body["url"] is None  # no return has it yet
    kept = world.bytes_of(body["id"])
    assert body["size"] == len(kept) == world.stored(body["id"]).size
    image = opened(kept)
    assert image.format == "JPEG" and image.size == (30, 60)  # turned as the phone was held
    assert dict(image.getexif()) == {} and not image.getexif().get_ifd(GPS_IFD)
    assert not {"exif", "xmp", "comment"} & image.info.keys()
    for secret in (b"SnoopPhone", b"home-address", b"secret-xmp", b"Exif"):
        assert secret not in kept


def test_the_content_decides_the_type_not_the_name_or_the_content_type(world: World):
    r = world.upload(png_bytes(), name="photo.jpg", ctype="image/jpeg")
    assert r.status_code == 201 and r.json()["content_type"] == "image/png", r.text
    assert opened(world.bytes_of(r.json()["id"])).format == "PNG"

    r = world.upload(b"just some text, honestly a photo\n" * 10, name="x.jpg", ctype="image/jpeg")
    assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_photo", r.text
    r = world.upload(b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 20, name="y.jpg")
    assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_photo", r.text


def test_a_heic_from_an_iphone_is_kept_as_a_jpeg(world: World):
    r = world.upload(heic_bytes(64, 48), name="IMG_0001.HEIC", ctype="image/heic")
    assert r.status_code == 201 and r.json()["content_type"] == "image/jpeg", r.text
    image = opened(world.bytes_of(r.json()["id"]))
    assert image.format == "JPEG" and image.size == (64, 48)


def test_over_10_mb_is_refused_and_nothing_is_kept(world: World):
    too_big = jpeg_with_gps() + b"\x00" * (MAX_PHOTO_BYTES + 1 - len(jpeg_with_gps()))
    assert len(too_big) == MAX_PHOTO_BYTES + 1
    r = world.upload(too_big)
    assert r.status_code == 413 and r.json()["error"]["code"] == "photo_too_large", r.text
    r = world.upload(b"\x00" * (MAX_PHOTO_BYTES + 1024 * 1024))  # past the route's body limit: the middleware's 413
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large", r.text

    def chunks():  # no Content-Length: counted as it streams and stopped at the limit
        yield b'--b\r\nContent-Disposition: form-data; name="photo"; filename="v.mov"\r\n\r\n'
        for _ in range(11):
            yield b"\x00" * (1024 * 1024)

    r = world.client.post(
        f"/v1/orders/{world.orders['a']}/photos",
        content=chunks(),
        headers={**auth("a"), "Content-Type": "multipart/form-data; boundary=b"},
    )
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large", r.text
    with session_scope(world.engine) as s:
        assert s.exec(select(ReturnPhoto)).all() == []
    assert not list(world.store.root.rglob("ph_*"))


def test_a_decompression_bomb_is_refused(world: World):
    buf = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(buf, "PNG")  # 144 megapixels in a few kB
    r = world.upload(buf.getvalue(), name="bomb.png", ctype="image/png")
    assert r.status_code == 413 and r.json()["error"]["code"] == "photo_too_large", r.text


def test_the_sixth_photo_of_a_line_is_refused(world: World):
    for _ in range(5):
        assert world.upload(png_bytes()).status_code == 201
    r = world.upload(png_bytes())
    assert r.status_code == 422 and r.json()["error"]["code"] == "too_many_photos", r.text
    assert world.upload(png_bytes(), line="L2").status_code == 201  # another line has its own five


def test_an_unknown_line_a_missing_file_and_another_merchants_order_are_refused(world: World):
    r = world.upload(png_bytes(), line="L9")
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_line"
    r = world.client.post(f"/v1/orders/{world.orders['a']}/photos", data={"line_id": "L1"}, headers=auth("a"))
    assert r.status_code == 422 and r.json()["error"]["code"] == "photo_missing"
    r = world.client.post(f"/v1/orders/{world.orders['a']}/photos", json={"line_id": "L1"}, headers=auth("a"))
    assert r.status_code == 422
    r = world.client.post(
        f"/v1/orders/{world.orders['b']}/photos",
        data={"line_id": "L1"},
        files={"photo": ("p.png", png_bytes(), "image/png")},
        headers=auth("a"),
    )
    assert r.status_code == 404 and r.json()["error"]["code"] == "order_not_found"
    r = world.client.post(
        f"/v1/orders/{world.orders['a']}/photos",
        data={"line_id": "L1"},
        files={"photo": ("p.png", png_bytes(), "image/png")},
        headers=auth("a", "ops"),
    )
    assert r.status_code == 403  # only the merchant's own key uploads


def create(world: World, items: list[dict], key: str) -> object:
    body = {"order_id": world.orders["a"], "items": items, "resolution": "refund"}
    return world.client.post("/v1/returns", json=body, headers={**auth("a"), "Idempotency-Key": key})


def test_a_create_naming_another_merchants_photo_is_refused_and_holds_nothing(world: World):
    mine = world.upload(png_bytes()).json()["id"]
    theirs = world.upload(png_bytes(), shop="b").json()["id"]
    other_line = world.upload(png_bytes(), line="L2").json()["id"]
    for wrong in (theirs, other_line, "ph_000000000000000000000000"):
        r = create(world, [{"line_id": "L1", "quantity": 1, "reason": "too_small", "photo_ids": [mine, wrong]}], wrong)
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_photos", r.text
        assert r.json()["error"]["photo_ids"] == [wrong]
        assert world.stored(mine).return_id is None and world.stored(theirs).return_id is None
        with session_scope(world.engine) as s:
            assert s.exec(select(ReturnUnit)).all() == []  # the units it reserved are free again
    r = create(world, [{"line_id": "L1", "quantity": 1, "reason": "too_small", "photo_ids": [mine] * 6}], "six")
    assert r.status_code == 422  # at most 5 per item, by the schema


def test_a_create_that_never_started_gives_its_photos_back(world: World):
    mine = world.upload(png_bytes()).json()["id"]
    r = create(world, [{"line_id": "L1", "quantity": 1, "reason": "too_small", "photo_ids": [mine]}], "no-temporal")
    assert r.status_code == 503 and r.json()["error"]["code"] == "temporal_unavailable", r.text
    assert world.stored(mine).return_id is None  # a new create may claim it


def _a_return_with_photos(world: World) -> tuple[str, list[str]]:
    """A projected return of shop a holding two photos (its workflow is not what this test is about)."""
    photos = [world.upload(jpeg_with_gps()).json()["id"], world.upload(png_bytes(), line="L2").json()["id"]]
    now = datetime.now(UTC)
    with session_scope(world.engine) as s:
        s.add(
            ReturnRecord(
                id="ret_photos_1",
                merchant_id="m_photos_a",
                order_id=world.orders["a"],
                status="label_created",
                resolution="refund",
                items=[{"line_id": "L1", "sku": "S", "quantity": 1, "reason": "damaged_in_transit"}],
                request_fingerprint="f",
                created_at=now,
                updated_at=now,
            )
        )
        s.flush()
        claim_photos(s, "m_photos_a", world.orders["a"], "ret_photos_1", {"L1": photos[:1], "L2": photos[1:]})
    return "ret_photos_1", photos


def test_ops_list_and_download_a_returns_photos_and_another_merchant_sees_none(world: World):
    return_id, photos = _a_return_with_photos(world)
    for scope in ("merchant", "ops"):
        r = world.client.get(f"/v1/returns/{return_id}/photos", headers=auth("a", scope))
        assert r.status_code == 200, r.text
        listed = r.json()
        assert listed["next_cursor"] is None
        assert [(p["id"], p["line_id"], p["content_type"]) for p in listed["data"]] == [
            (photos[0], "L1", "image/jpeg"),
            (photos[1], "L2", "image/png"),
        ]
        for p in listed["data"]:
            got = world.client.get(p["url"], headers=auth("a", scope))
            assert got.status_code == 200 and got.headers["content-type"] == p["content_type"]
            assert got.content == world.bytes_of(p["id"]) and len(got.content) == p["size"]
            assert got.headers["x-content-type-options"] == "nosniff"
            assert got.headers["content-security-policy"] == "default-src 'none'"
    ret = world.client.get(f"/v1/returns/{return_id}", headers=auth("a", "ops"))
    assert [(i["line_id"], i["photo_ids"]) for i in ret.json()["items"]] == [("L1", photos[:1])]  # on the item too
    assert world.client.get(f"/v1/returns/{return_id}/photos", headers=auth("a", "warehouse")).status_code == 403
    for path in (f"/v1/returns/{return_id}/photos", f"/v1/returns/{return_id}/photos/{photos[0]}"):
        r = world.client.get(path, headers=auth("b"))
        assert r.status_code == 404 and r.json()["error"]["code"] == "return_not_found"
    r = world.client.get(f"/v1/returns/{return_id}/photos/ph_000000000000000000000000", headers=auth("a"))
    assert r.status_code == 404 and r.json()["error"]["code"] == "photo_not_found"
