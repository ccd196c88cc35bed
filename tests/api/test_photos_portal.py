"""The portal's photo upload, as a shopper's browser sends it (the real app without Temporal, real SQLite):
with htmx the line's photo list comes back, without JavaScript the items page; refusals are sentences in the
shopper's language; only the signed-in session, with its CSRF token, for its own order's lines."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from fastapi import Response
from fastapi.testclient import TestClient
from sqlmodel import select
from starlette.requests import Request

from api.photo_store import LocalPhotoStore
from api.shopper.session import start_session
from db.seed import seed_merchant
from db.session import make_engine, session_scope
from db.tables import ReturnPhoto
from domain.photos import MAX_PHOTO_BYTES
from tests.api.alone import api_alone
from tests.factories import insert_order
from tests.photo_samples import GPS_IFD, jpeg_with_gps, opened, png_bytes

SLUG = "fotoshop"
HTMX = {"HX-Request": "true"}


@dataclass
class Shop:
    client: TestClient
    engine: object
    store: LocalPhotoStore
    order_id: str
    other_order_id: str

    def sign_in(self, order_id: str | None = None, lang: str = "nl", merchant_id: str = SLUG) -> str:
        """A session as the find step gives it; answers its CSRF token."""
        scope = {
            "type": "http",
            "app": self.client.app,
            "headers": [],
            "scheme": "http",
            "path": "/",
            "query_string": b"",
        }
        response = Response()
        found = start_session(response, merchant_id, order_id or self.order_id, lang, request=Request(scope), slug=SLUG)
        cookie = SimpleCookie(response.headers["set-cookie"])
        self.client.cookies.set("rf_shopper", cookie["rf_shopper"].value, path=f"/portal/{SLUG}")
        return found.csrf

    def upload(self, csrf: str | None, data: bytes, *, line: str = "L1", name="photo.jpg", htmx=False, field="photo"):
        form = {"line_id": line} | ({"csrf_token": csrf} if csrf else {})
        return self.client.post(
            f"/portal/{SLUG}/photos",
            data=form,
            files={field: (name, data, "image/jpeg")},
            headers={**(HTMX if htmx else {}), "Accept-Language": "nl"},
            follow_redirects=False,
        )

    def photos(self) -> list[ReturnPhoto]:
        with session_scope(self.engine) as s:
            return list(s.exec(select(ReturnPhoto).order_by(ReturnPhoto.created_at)).all())


@pytest.fixture
def shop(sqlite_url: str, tmp_path: Path) -> Iterator[Shop]:
    engine = make_engine(sqlite_url)
    seed_merchant(
        engine,
        merchant_id=SLUG,
        name="Fotoshop",
        merchant_key=f"rf_test_m_{uuid.uuid4().hex}",
        warehouse_key=f"rf_test_w_{uuid.uuid4().hex}",
    )
    order, other = insert_order(engine, SLUG, None), insert_order(engine, SLUG, None)
    app = api_alone(sqlite_url, portal_secret="photos-portal-test-secret", data_dir=tmp_path / "data")
    with TestClient(app) as client:
        yield Shop(client, engine, LocalPhotoStore(tmp_path / "data" / "photos"), order.id, other.id)
    engine.dispose()


def hidden_photo_ids(html: str, line: str = "L1") -> list[str]:
    return re.findall(rf'<input type="hidden" name="photo_ids_{line}" value="(ph_[0-9a-f]+)"', html)


def test_with_htmx_the_lines_photos_come_back_and_the_kept_photo_has_no_location(shop: Shop):
    csrf = shop.sign_in()
    r = shop.upload(csrf, jpeg_with_gps(), htmx=True)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), r.text
    [photo_id] = hidden_photo_ids(r.text)
    assert "1 van 5 foto’s toegevoegd" in r.text and 'role="alert"' not in r.text
    assert f'src="/portal/{SLUG}/photos/{photo_id}"' in r.text and 'alt="Foto 1 van dit artikel"' in r.text
    [row] = shop.photos()
    assert (row.id, row.order_id, row.line_id, row.return_id) == (photo_id, shop.order_id, "L1", None)
    kept = shop.store.get(row.storage_key)
    assert not opened(kept).getexif().get_ifd(GPS_IFD) and b"SnoopPhone" not in kept

    shown = shop.client.get(f"/portal/{SLUG}/photos/{photo_id}")  # the shopper sees what was kept
    assert shown.status_code == 200 and shown.content == kept and shown.headers["content-type"] == "image/jpeg"
    assert shown.headers["x-content-type-options"] == "nosniff"

    r = shop.upload(csrf, png_bytes(), htmx=True, field="photo_L1")  # the items form's per-line file input
    assert hidden_photo_ids(r.text) == [photo_id, shop.photos()[1].id]


def test_without_javascript_the_items_page_comes_back(shop: Shop):
    csrf = shop.sign_in()
    r = shop.upload(csrf, png_bytes(), name="photo.jpg")
    assert r.status_code == 303 and r.headers["location"] == f"/portal/{SLUG}/start"
    assert [p.content_type for p in shop.photos()] == ["image/png"]  # its content, not its name


@pytest.mark.parametrize(
    "lang, sentence",
    [
        ("nl", "Dit bestand is geen foto die we kunnen gebruiken."),
        ("en", "This file is not a photo we can use."),
        ("de", "Diese Datei ist kein Foto, das wir verwenden können."),
        ("fr", "Ce fichier n’est pas une photo que nous pouvons utiliser."),
    ],
)
def test_a_text_file_named_jpg_is_refused_in_the_shoppers_language(shop: Shop, lang: str, sentence: str):
    csrf = shop.sign_in(lang=lang)
    shop.client.cookies.set("rf_lang", lang, path="/portal")
    r = shop.upload(csrf, b"not a photo at all, just text\n" * 20, name="x.jpg")
    assert r.status_code == 415 and sentence in r.text and f'href="/portal/{SLUG}/start"' in r.text, r.text
    r = shop.upload(csrf, b"not a photo at all, just text\n" * 20, name="x.jpg", htmx=True)
    assert r.status_code == 200 and sentence in r.text and 'role="alert"' in r.text
    assert shop.photos() == [] and hidden_photo_ids(r.text) == []


def test_over_10_mb_and_the_sixth_photo_are_refused_with_a_sentence(shop: Shop):
    csrf = shop.sign_in()
    too_big = png_bytes() + b"\x00" * (MAX_PHOTO_BYTES + 1 - len(png_bytes()))
    r = shop.upload(csrf, too_big)
    assert r.status_code == 413 and "Deze foto is te groot. Een foto mag maximaal 10 MB zijn." in r.text
    for _ in range(5):
        assert shop.upload(csrf, png_bytes(), htmx=True).status_code == 200
    r = shop.upload(csrf, png_bytes(), htmx=True)
    assert "Je hebt al 5 foto’s van dit artikel toegevoegd." in r.text and len(hidden_photo_ids(r.text)) == 5
    assert 'type="file"' not in r.text  # no sixth input offered
    assert shop.upload(csrf, png_bytes()).status_code == 422
    assert len(shop.photos()) == 5


def test_only_the_signed_in_session_with_its_token_for_its_own_orders_lines(shop: Shop):
    r = shop.upload(None, png_bytes())  # no session at all
    assert r.status_code == 403 and "text/html" in r.headers["content-type"]
    csrf = shop.sign_in()
    r = shop.upload(None, png_bytes())  # no CSRF token
    assert r.status_code == 403 and "Dit formulier is verlopen" in r.text
    r = shop.upload("forged-token", png_bytes())
    assert r.status_code == 403
    r = shop.upload(csrf, png_bytes(), line="L9")  # not a line of the session's order
    assert r.status_code == 422 and "Dit artikel hoort niet bij je bestelling." in r.text
    r = shop.client.post("/portal/no-such-shop/photos", data={"csrf_token": csrf, "line_id": "L1"})
    assert r.status_code == 404
    assert shop.photos() == []

    mine = hidden_photo_ids(shop.upload(csrf, png_bytes(), htmx=True).text)[0]
    assert shop.client.get(f"/portal/{SLUG}/photos/{mine}").status_code == 200
    shop.sign_in(shop.other_order_id)  # another shopper (another order) in this browser
    assert shop.client.get(f"/portal/{SLUG}/photos/{mine}").status_code == 404
    assert shop.client.get(f"/portal/{SLUG}/photos/ph_000000000000000000000000").status_code == 404
    csrf = shop.sign_in()  # the same order found again (a new session): the same shopper, the same photos and 5
    assert shop.client.get(f"/portal/{SLUG}/photos/{mine}").status_code == 200
    assert hidden_photo_ids(shop.upload(csrf, png_bytes(), htmx=True).text)[0] == mine


def test_a_file_far_over_the_limit_is_refused_before_it_is_read_in_the_shoppers_words(shop: Shop):
    csrf = shop.sign_in()
    huge = b"\x00" * (3 * MAX_PHOTO_BYTES)  # a video picked by mistake: past the route's body limit
    r = shop.upload(csrf, huge)
    assert r.status_code == 413 and "text/html" in r.headers["content-type"]
    assert "Deze foto is te groot. Een foto mag maximaal 10 MB zijn." in r.text
    assert f'href="/portal/{SLUG}/start"' in r.text
    r = shop.upload(csrf, huge, htmx=True)  # added to the line's block, its photos left in place
    assert r.status_code == 200 and r.headers["hx-reswap"] == "beforeend"
    assert r.text == '<p class="error" role="alert">Deze foto is te groot. Een foto mag maximaal 10 MB zijn.</p>'
    assert shop.photos() == []
    r = shop.client.post(  # the merchant API's own limit answers JSON, as every JSON route does
        f"/v1/orders/{shop.order_id}/photos", data={"line_id": "L1"}, files={"photo": ("v.mov", huge)}
    )
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"


def test_a_body_sent_without_a_length_is_stopped_at_the_limit_with_the_same_sentence(shop: Shop):
    csrf = shop.sign_in()
    boundary = "photoboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="line_id"\r\n\r\nL1\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="v.mov"\r\n'
        "Content-Type: video/quicktime\r\n\r\n"
    ).encode()

    def chunks():  # no Content-Length: sent chunked, counted as it streams, never read past the limit
        yield head
        for _ in range(3 * MAX_PHOTO_BYTES // (1024 * 1024)):
            yield b"\x00" * (1024 * 1024)
        yield f"\r\n--{boundary}--\r\n".encode()

    r = shop.client.post(
        f"/portal/{SLUG}/photos",
        content=chunks(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "Accept-Language": "nl"},
        follow_redirects=False,
    )
    assert r.status_code == 413 and "Deze foto is te groot. Een foto mag maximaal 10 MB zijn." in r.text, r.text
    assert shop.photos() == []


def test_a_wrong_photo_is_taken_back_and_its_place_is_free_again(shop: Shop):
    csrf = shop.sign_in()
    for _ in range(5):
        page = shop.upload(csrf, png_bytes(), htmx=True).text
    first, second, *_rest = hidden_photo_ids(page)
    assert "Foto 1 verwijderen" in page and 'type="file"' not in page  # five: no room for a sixth
    key = next(p.storage_key for p in shop.photos() if p.id == first)
    assert shop.store.get(key) is not None

    def remove(photo_id: str, token: str | None = csrf, htmx: bool = True):
        return shop.client.post(
            f"/portal/{SLUG}/photos/{photo_id}/delete",
            data={"csrf_token": token} if token else {},
            headers={**(HTMX if htmx else {}), "Accept-Language": "nl"},
            follow_redirects=False,
        )

    assert remove(first, token=None).status_code == 403  # the form's token, as every portal form
    r = remove(first)
    assert r.status_code == 200 and hidden_photo_ids(r.text) == hidden_photo_ids(page)[1:]
    assert 'type="file"' in r.text and "4 van 5 foto’s toegevoegd" in r.text
    assert shop.store.get(key) is None and first not in {p.id for p in shop.photos()}
    assert remove(first).status_code == 404  # gone
    assert shop.upload(csrf, png_bytes(), htmx=True).status_code == 200  # its place is free again

    r = remove(second, htmx=False)
    assert r.status_code == 303 and r.headers["location"] == f"/portal/{SLUG}/start"
    third = hidden_photo_ids(page)[2]
    shop.sign_in(shop.other_order_id)  # another order's shopper cannot take it back
    assert remove(third, token=shop.sign_in(shop.other_order_id)).status_code == 404
    assert third in {p.id for p in shop.photos()}


def test_without_javascript_the_items_step_comes_back_with_the_shoppers_choices_kept(shop: Shop):
    """The upload button posts the whole items form: the page that comes back keeps what was picked."""
    from db.tables import PolicyVersion
    from domain.policy_example import example_policy

    policy = example_policy()  # its swimwear rule, for the T-shirts: photos when defective
    policy["rules"] = [
        {**r, "match": {"categories": ["apparel"]}} for r in policy["rules"] if r["id"] == "swimwear-hygiene"
    ]
    with session_scope(shop.engine) as s:
        s.add(PolicyVersion(merchant_id=SLUG, version=1, document=policy))
    shop.sign_in()
    page = shop.client.get(f"/portal/{SLUG}/start", headers={"Accept-Language": "nl"})
    assert page.status_code == 200, page.text
    hidden = dict(re.findall(r'<input type="hidden" name="(csrf_token|draft)" value="([^"]+)"', page.text))
    form = {**hidden, "qty_0": "1", "reason_0": "defective", "comment_0": "naad los", "line_id": "L1"}
    r = shop.client.post(
        f"/portal/{SLUG}/photos",
        data=form,
        files={"photo_L1": ("naad.png", png_bytes(), "image/png")},
        headers={"Accept-Language": "nl"},
        follow_redirects=False,
    )
    assert r.status_code == 200, r.text
    [photo] = shop.photos()
    assert hidden_photo_ids(r.text) == [photo.id]
    assert re.search(r'<option value="1" selected', r.text) and re.search(r'<option value="defective" selected', r.text)
    assert "naad los" in r.text and "Stap 1 van" in r.text
