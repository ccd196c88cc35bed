"""Attack (holds since 8f47250): parallel uploads in one session storing more than 5 photos of a line, and refused
uploads leaving their bytes in the photo store.

Before, `api/photo_uploads.take_photo` counted, cleaned, put the bytes in the store and only then counted again and
inserted: 8 uploads at once kept 8 rows, and an upload refused at the last count had already written its file. Now a
photo takes one of its line's slots (a partial unique index) before its bytes are stored.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from api import photo_uploads
from db.session import session_scope
from db.tables import ReturnPhoto
from domain.photos import MAX_PHOTOS_PER_ITEM
from tests.api.test_photos_portal import SLUG, Shop, shop  # noqa: F401
from tests.photo_samples import png_bytes

PARALLEL = 8


@pytest.fixture
def overlapping(monkeypatch):
    """Every upload waits after cleaning its photo until all have cleaned theirs: the overlap of a busy moment,
    made certain instead of left to the scheduler (the real clean, store and database all run)."""
    real, together = photo_uploads.clean, threading.Barrier(PARALLEL, timeout=20)

    def clean_then_wait(data: bytes):
        cleaned = real(data)
        together.wait()
        return cleaned

    monkeypatch.setattr(photo_uploads, "clean", clean_then_wait)


def _upload_in_parallel(shop: Shop) -> None:  # noqa: F811
    csrf = shop.sign_in()
    cookies = dict(shop.client.cookies)
    photo = png_bytes()

    def one(_: int) -> int:
        browser = TestClient(shop.client.app, cookies=cookies)
        return browser.post(
            f"/portal/{SLUG}/photos",
            data={"line_id": "L1", "csrf_token": csrf},
            files={"photo": ("p.png", photo, "image/png")},
            headers={"HX-Request": "true"},
        ).status_code

    with ThreadPoolExecutor(PARALLEL) as pool:
        assert set(pool.map(one, range(PARALLEL))) == {200}


def _rows(shop: Shop) -> list[ReturnPhoto]:  # noqa: F811
    with session_scope(shop.engine) as s:
        return list(s.exec(select(ReturnPhoto).where(ReturnPhoto.order_id == shop.order_id)).all())


def test_parallel_uploads_keep_at_most_five_photos_of_a_line(shop: Shop, overlapping):  # noqa: F811
    _upload_in_parallel(shop)
    assert len([r for r in _rows(shop) if r.line_id == "L1"]) <= MAX_PHOTOS_PER_ITEM


@pytest.fixture
def one_at_a_time(monkeypatch):
    """The last count and insert one upload after another (as if the race above were fixed), once every upload has
    reached it: the ones past the fifth are refused there, after their bytes were stored."""
    real, together, lock = photo_uploads._record_if_room, threading.Barrier(PARALLEL, timeout=20), threading.Lock()

    def record(session, photo):
        together.wait()
        with lock:  # count, insert and commit, one upload at a time
            recorded = real(session, photo)
            session.commit()
            return recorded

    monkeypatch.setattr(photo_uploads, "_record_if_room", record)


def test_a_refused_upload_leaves_no_file_in_the_photo_store(shop: Shop, one_at_a_time):  # noqa: F811
    _upload_in_parallel(shop)
    assert len(_rows(shop)) == MAX_PHOTOS_PER_ITEM
    files = [p for p in (shop.store.root / SLUG).iterdir() if not p.name.startswith(".")]
    assert {p.name for p in files} == {r.id for r in _rows(shop)}
