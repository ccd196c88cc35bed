"""The shopper's photos in the portal: what a session uploaded for its order's lines, and the words of a refusal.

A portal session uploads for its own order only, up to 5 photos per line no return holds yet, kept for the order (a
new session of the same order, the same shopper after finding it again, sees them and adds to the same 5) until
the return is created with them.
The items page lists them with `photos_by_line` and the `_photos.html.j2` partial (hidden inputs
`photo_ids_<line_id>`, which the confirm step turns into each item's `photo_ids`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from api.deps import Db
from api.shopper.session import ShopperSession
from db.photos import unclaimed_photos
from domain.photos import MAX_PHOTO_BYTES, MAX_PHOTOS_PER_ITEM, PhotoRefusal


def N_(text: str) -> str:
    """Marks a string for the catalogue; it is translated where it is shown."""
    return text


UNKNOWN_LINE = "unknown_line"
# why -> the sentence the shopper reads (photos domain: locale/<lang>/LC_MESSAGES/photos.po)
REFUSAL_WORDS: dict[str, str] = {
    PhotoRefusal.NOT_A_PHOTO: N_("This file is not a photo we can use. Please choose a JPEG, PNG or HEIC photo."),
    PhotoRefusal.TOO_LARGE: N_("This photo is too large. A photo can be at most %(megabytes)s MB."),
    PhotoRefusal.TOO_MANY: N_("You have already added %(count)s photos of this item. That is the most we can take."),
    PhotoRefusal.EMPTY: N_("Please choose a photo first."),
    UNKNOWN_LINE: N_("This item is not part of your order."),
}
# The HTTP status of a refusal on the page without JavaScript (with htmx the fragment answers 200, so it is shown).
REFUSAL_STATUS = {
    PhotoRefusal.NOT_A_PHOTO: 415,
    PhotoRefusal.TOO_LARGE: 413,
    PhotoRefusal.TOO_MANY: 422,
    PhotoRefusal.EMPTY: 422,
    UNKNOWN_LINE: 422,
}


PORTAL_UPLOADER = "portal"


def uploader_of(shopper: ShopperSession) -> str:
    """Whose 5 per line a session's uploads count against: the order's, through the portal (every session of it
    alike, so a new find of the order is not 5 more)."""
    return PORTAL_UPLOADER


def refusal_sentence(why: str, _: Callable[[str], str]) -> str:
    text = _(REFUSAL_WORDS.get(why, REFUSAL_WORDS[PhotoRefusal.NOT_A_PHOTO]))
    return text % {"megabytes": MAX_PHOTO_BYTES // (1024 * 1024), "count": MAX_PHOTOS_PER_ITEM}


@dataclass(frozen=True)
class ShopperPhoto:
    id: str
    line_id: str
    number: int  # 1.. within its line, for "Photo 2" labels


async def photos_by_line(db: Db, shopper: ShopperSession) -> dict[str, list[ShopperPhoto]]:
    """The session's photos of its order that no return holds yet, per line in upload order."""
    rows = await db.run(unclaimed_photos, shopper.merchant_id, shopper.order_id, uploader_of(shopper))
    found: dict[str, list[ShopperPhoto]] = {}
    for row in rows:
        line = found.setdefault(row.line_id, [])
        line.append(ShopperPhoto(row.id, row.line_id, len(line) + 1))
    return found


async def photo_ids_by_line(db: Db, shopper: ShopperSession) -> dict[str, list[str]]:
    """For the confirm step: line id -> the ids of the session's photos of that line."""
    return {line: [p.id for p in photos] for line, photos in (await photos_by_line(db, shopper)).items()}
