"""The create's photo step: the photos the request names become the return's (api/return_creation.create calls
`attach` once the units are reserved, before the workflow starts; `release` when it surely never started)."""

from __future__ import annotations

from api.deps import Db
from api.errors import ApiError
from api.schemas.returns import ReturnCreate, ReturnOut
from db.photos import PhotosNotClaimable, claim_photos, photos_of_return, release_photos


def photos_by_line(body: ReturnCreate) -> dict[str, list[str]]:
    """line id -> the photo ids its item names (items of the same line pooled)."""
    wanted: dict[str, list[str]] = {}
    for item in body.items:
        if item.photo_ids:
            wanted.setdefault(item.line_id, []).extend(item.photo_ids)
    return wanted


async def attach(db: Db, merchant_id: str, order_id: str, return_id: str, wanted: dict[str, list[str]]) -> int:
    """Every id must be this merchant's, this order's and that line's, and not another return's: else 422
    `invalid_photos` and none is claimed. Another merchant's id is refused like an id of nothing. A retried create
    (same return id) finds its photos its own. Answers how many photos the return holds."""
    if not any(wanted.values()):
        return 0
    try:
        return await db.run(claim_photos, merchant_id, order_id, return_id, wanted)
    except PhotosNotClaimable as err:
        raise ApiError(
            422,
            "invalid_photos",
            "these photos are not this order line's, or another return has them: " + ", ".join(err.photo_ids),
            photo_ids=err.photo_ids,
        ) from None


async def release(db: Db, merchant_id: str, return_id: str) -> None:
    await db.run(release_photos, merchant_id, return_id)


async def with_photo_ids(db: Db, merchant_id: str, out: ReturnOut) -> ReturnOut:
    """The return as answered, each item with the ids of its line's photos (the projection does not carry them)."""
    by_line: dict[str, list[str]] = {}
    for photo in await db.run(photos_of_return, merchant_id, out.id):
        by_line.setdefault(photo.line_id, []).append(photo.id)
    for item in out.items:
        item.photo_ids = by_line.get(item.line_id, [])
    return out
