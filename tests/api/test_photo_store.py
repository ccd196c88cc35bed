"""The photo store, local folder and S3-compatible bucket alike: the same answers, and the API works on either.

S3 is moto's ThreadedMotoServer: a real S3-compatible HTTP server in this process (no S3 is reachable here),
spoken to by boto3 over HTTP as a MinIO or R2 would be."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from fastapi.testclient import TestClient
from moto.server import ThreadedMotoServer
from sqlmodel import select

from api.photo_store import LocalPhotoStore, S3PhotoStore, photo_store_for
from db.photos import claim_photos
from db.seed import seed_merchant
from db.session import make_engine, session_scope
from db.tables import ReturnPhoto, ReturnRecord
from settings import Settings
from tests.api.alone import api_alone
from tests.conftest import free_port
from tests.factories import insert_order
from tests.photo_samples import jpeg_with_gps, opened

BUCKET = "returnflow-photos"
ACCESS, SECRET = "test-access-key", "test-secret-key"
KEY = "rf_test_photo_store_m_000000000000000"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id=ACCESS, aws_secret_access_key=SECRET, region_name="us-east-1"
    ).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


def settings_for(kind: str, tmp_path: Path, endpoint: str, **more) -> Settings:
    s3 = (
        dict(photo_s3_endpoint=endpoint, photo_s3_bucket=BUCKET, photo_s3_access_key=ACCESS, photo_s3_secret_key=SECRET)
        if kind == "s3"
        else {}
    )
    return Settings(data_dir=tmp_path / "data", **s3, **more)


@pytest.mark.parametrize("kind", ["local", "s3"])
def test_both_stores_keep_and_give_back_the_same_bytes(kind: str, tmp_path: Path, s3_endpoint: str):
    store = photo_store_for(settings_for(kind, tmp_path, s3_endpoint))
    assert isinstance(store, LocalPhotoStore if kind == "local" else S3PhotoStore)
    data = jpeg_with_gps()
    assert store.get("m_1/ph_missing") is None
    store.put("m_1/ph_abc", data, "image/jpeg")
    assert store.get("m_1/ph_abc") == data
    store.put("m_1/ph_abc", b"again", "image/jpeg")
    assert store.get("m_1/ph_abc") == b"again"
    assert store.get("m_2/ph_abc") is None  # another merchant's folder
    store.put("m_1/ph_gone", data, "image/jpeg")
    store.delete("m_1/ph_gone")
    store.delete("m_1/ph_never")  # deleting what is not there is no error
    assert store.get("m_1/ph_gone") is None and store.get("m_1/ph_abc") == b"again"
    for bad in ("../etc/passwd", "m_1/../../x", "m_1/.hidden", "/abs/path", "m_1/a/b", "m_1", ""):
        with pytest.raises(ValueError):
            store.put(bad, data, "image/jpeg")
        with pytest.raises(ValueError):
            store.get(bad)
        with pytest.raises(ValueError):
            store.delete(bad)
    if kind == "local":
        assert sorted(p.name for p in (tmp_path / "data" / "photos").rglob("*")) == ["m_1", "ph_abc"]


def test_an_s3_endpoint_without_its_bucket_or_keys_is_refused(tmp_path: Path):
    with pytest.raises(ValueError, match="RETURNFLOW_PHOTO_S3_BUCKET.*RETURNFLOW_PHOTO_S3_SECRET_KEY"):
        photo_store_for(Settings(photo_s3_endpoint="http://127.0.0.1:9", photo_s3_access_key="a"))


@pytest.mark.parametrize("kind", ["local", "s3"])
def test_the_api_uploads_and_ops_download_through_either_store(
    kind: str, tmp_path: Path, sqlite_url: str, s3_endpoint: str
):
    engine = make_engine(sqlite_url)
    seed_merchant(engine, merchant_id="m_store", name="Shop", merchant_key=KEY, warehouse_key=KEY + "w")
    order = insert_order(engine, "m_store", None)
    settings = settings_for(kind, tmp_path, s3_endpoint).model_dump()
    app = api_alone(sqlite_url, **{k: settings[k] for k in settings if k.startswith("photo_") or k == "data_dir"})
    headers = {"Authorization": f"Bearer {KEY}"}
    with TestClient(app) as client:
        r = client.post(
            f"/v1/orders/{order.id}/photos",
            data={"line_id": "L1"},
            files={"photo": ("p.jpg", jpeg_with_gps(), "image/jpeg")},
            headers=headers,
        )
        assert r.status_code == 201, r.text
        photo_id = r.json()["id"]
        with session_scope(engine) as s:
            key = s.get(ReturnPhoto, photo_id).storage_key
            now = datetime.now(UTC)
            s.add(
                ReturnRecord(
                    id="ret_store_1",
                    merchant_id="m_store",
                    order_id=order.id,
                    status="label_created",
                    resolution="refund",
                    items=[],
                    request_fingerprint="f",
                    created_at=now,
                    updated_at=now,
                )
            )
            s.flush()
            claim_photos(s, "m_store", order.id, "ret_store_1", {"L1": [photo_id]})
        got = client.get(f"/v1/returns/ret_store_1/photos/{photo_id}", headers=headers)
        assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
        assert opened(got.content).size == (30, 60) and b"SnoopPhone" not in got.content
    local = list((tmp_path / "data" / "photos").rglob("ph_*"))
    if kind == "s3":  # in the bucket, typed; nothing on the API's disk
        kept = boto3.client(
            "s3",
            endpoint_url=s3_endpoint,
            aws_access_key_id=ACCESS,
            aws_secret_access_key=SECRET,
            region_name="us-east-1",
        ).get_object(Bucket=BUCKET, Key=key)
        assert kept["ContentType"] == "image/jpeg" and kept["Body"].read() == got.content
        assert local == []
    else:
        assert [p.read_bytes() for p in local] == [got.content]
    engine.dispose()


def test_an_unreachable_bucket_is_a_503_to_retry_not_a_500(tmp_path: Path, sqlite_url: str):
    engine = make_engine(sqlite_url)
    seed_merchant(engine, merchant_id="m_store", name="Shop", merchant_key=KEY, warehouse_key=KEY + "w")
    order = insert_order(engine, "m_store", None)
    nowhere = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings = dict(photo_s3_endpoint=nowhere, photo_s3_bucket=BUCKET, photo_s3_access_key=ACCESS)
    app = api_alone(sqlite_url, data_dir=tmp_path / "data", photo_s3_secret_key=SECRET, **settings)
    with TestClient(app) as client:
        r = client.post(
            f"/v1/orders/{order.id}/photos",
            data={"line_id": "L1"},
            files={"photo": ("p.jpg", jpeg_with_gps(), "image/jpeg")},
            headers={"Authorization": f"Bearer {KEY}"},
        )
        assert r.status_code == 503 and r.json()["error"]["code"] == "photo_store_unavailable", r.text
    with session_scope(engine) as s:
        assert s.exec(select(ReturnPhoto)).all() == []  # nothing recorded that is not stored
    engine.dispose()
