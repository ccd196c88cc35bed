"""Taking one photo in for one line of an order: room left, read within the limit, cleaned, stored, recorded.

The portal (api/shopper/photos.py) and the merchant's `POST /v1/orders/{id}/photos` both come here; each says
who uploads (a portal session, or the merchant's API) and words the refusals for its own audience.
"""

from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.deps import Db
from api.photo_files import clean, read_upload
from api.photo_store import PhotoStore, PhotoStoreUnavailable
from db.photos import forget_photo, new_photo_id, record_in_free_slot, storage_key, unclaimed_count
from db.tables import ReturnPhoto
from domain.photos import MAX_PHOTO_BYTES, MAX_PHOTOS_PER_ITEM, PhotoRefusal, PhotoRefused, room_for


def order_line_ids(order_lines: list | None) -> set[str]:
    return {str(line.get("id")) for line in order_lines or [] if isinstance(line, dict)}


def _record_if_room(session, photo: ReturnPhoto) -> ReturnPhoto:
    # In one of the line's slots, or refused: the check before the upload was only the early answer.
    recorded = record_in_free_slot(session, photo, MAX_PHOTOS_PER_ITEM)
    if recorded is None:
        raise PhotoRefused(PhotoRefusal.TOO_MANY)
    return recorded


async def take_photo(
    db: Db,
    store: PhotoStore,
    merchant_id: str,
    order_id: str,
    line_id: str,
    uploader: str,
    upload: UploadFile | None,
) -> ReturnPhoto:
    """The recorded photo; PhotoRefused (EMPTY, TOO_MANY, TOO_LARGE, NOT_A_PHOTO) otherwise. The caller has
    checked that the order is the merchant's and the line is the order's."""
    if upload is None or not isinstance(upload, UploadFile):
        raise PhotoRefused(PhotoRefusal.EMPTY)
    already = await db.run(unclaimed_count, merchant_id, order_id, line_id, uploader)
    if not room_for(already):
        raise PhotoRefused(PhotoRefusal.TOO_MANY)
    data = await read_upload(upload)
    photo = await run_in_threadpool(clean, data)  # decoding and encoding a photo: tens of ms of CPU
    photo_id = new_photo_id()
    key = storage_key(merchant_id, photo_id)
    row = ReturnPhoto(
        id=photo_id,
        merchant_id=merchant_id,
        order_id=order_id,
        line_id=line_id,
        uploader=uploader,
        content_type=photo.content_type,
        size=photo.size,
        storage_key=key,
    )
    # Its slot first, then its bytes: a photo refused for want of room never reaches the store.
    recorded = await db.run(_record_if_room, row)
    try:
        await run_in_threadpool(store.put, key, photo.data, photo.content_type)
    except PhotoStoreUnavailable:
        await db.run(forget_photo, merchant_id, photo_id)
        raise
    return recorded


# The routes that take a photo, and what their request bodies may hold: the file and a few form fields (the portal's
# items form rides along without JavaScript). A photo over MAX_PHOTO_BYTES within it is refused by the route in the
# shopper's words; a body past this, by api/body_limit.py.
UPLOAD_BODY_BYTES = MAX_PHOTO_BYTES + 256 * 1024
BODY_LIMITS = ((re.compile(r"/v1/orders/[^/]+/photos"), UPLOAD_BODY_BYTES),)  # the portal's: api/routers/portal_photos
