"""What an inspection may send of photos (issue 12): they are kept on the return and shown to every reader of it,
so https only, at most 20, each bounded as stored. The API alone: SQLite, no Temporal (a valid body reaches the
handler and gets the 404 of a return that does not exist)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.schemas.warehouse import PHOTO_URL_MAX, PHOTOS_MAX
from db.session import make_engine
from tests.api.alone import api_alone
from tests.factories import new_merchant


@pytest.fixture
def warehouse(sqlite_url) -> Iterator[tuple[TestClient, dict]]:
    engine = make_engine(sqlite_url)
    _, _, key = new_merchant(engine)
    with TestClient(api_alone(sqlite_url)) as client:
        yield client, {"Authorization": f"Bearer {key}"}
    engine.dispose()


def inspect(client: TestClient, headers: dict, photos: list[str], notes: str = ""):
    body = {"items": [{"line_id": "L1", "grade": "B", "notes": notes, "photo_urls": photos}]}
    return client.post("/v1/returns/ret_nothere/inspection", json=body, headers=headers)


def refused_field(r) -> str:
    assert r.status_code == 422, r.text
    return r.json()["error"]["details"][0]["field"]


def test_https_photos_within_the_bounds_pass_validation(warehouse):
    client, headers = warehouse
    fine = ["https://photos.example/a.jpg"] * PHOTOS_MAX
    longest = "https://photos.example/" + "p" * (PHOTO_URL_MAX - len("https://photos.example/"))
    for photos in (fine, [longest], []):
        r = inspect(client, headers, photos, notes="seam torn")
        assert r.status_code == 404 and r.json()["error"]["code"] == "return_not_found", r.text


@pytest.mark.parametrize(
    "photos",
    [
        ["http://photos.example/a.jpg"],  # shown to readers: never mixed content
        ["ftp://photos.example/a.jpg"],
        ["javascript:alert(1)"],
        ["not a url"],
        ["https://photos.example/" + "p" * PHOTO_URL_MAX],
        ["https://photos.example/a.jpg"] * (PHOTOS_MAX + 1),
    ],
)
def test_anything_else_is_a_422_naming_photo_urls(warehouse, photos):
    client, headers = warehouse
    assert "photo_urls" in refused_field(inspect(client, headers, photos))


def test_notes_are_bounded(warehouse):
    client, headers = warehouse
    assert "notes" in refused_field(inspect(client, headers, [], notes="n" * 2001))
