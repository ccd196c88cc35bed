"""Attack (holds since 8f47250): one order line taking any number of photos, kept forever.

Before, the portal counted "5 per line" per session (the uploader was derived from the session's CSRF token), and a
session is one find away (order number + postcode, 30 finds a minute per client address): each new session of the
same order uploaded 5 more photos of the same line (15 after three finds), none ever claimed or deleted. Now every
portal session of an order shares the line's 5.
"""

from __future__ import annotations

from sqlmodel import select

from db.session import session_scope
from db.tables import ReturnPhoto
from domain.photos import MAX_PHOTOS_PER_ITEM
from tests.api.test_photos_portal import Shop, shop  # noqa: F401
from tests.photo_samples import png_bytes


def _unclaimed(shop: Shop, line: str) -> int:  # noqa: F811
    with session_scope(shop.engine) as s:
        rows = s.exec(
            select(ReturnPhoto).where(ReturnPhoto.order_id == shop.order_id, ReturnPhoto.line_id == line)
        ).all()
        return sum(1 for r in rows if r.return_id is None)


def test_new_sessions_of_one_order_do_not_each_get_five_more_photos_of_a_line(shop: Shop):  # noqa: F811
    for _session in range(3):
        csrf = shop.sign_in()  # what a new find of the same order gives
        for _ in range(MAX_PHOTOS_PER_ITEM):
            r = shop.upload(csrf, png_bytes(), htmx=True)
            assert r.status_code == 200
    assert _unclaimed(shop, "L1") <= MAX_PHOTOS_PER_ITEM
