"""Shoppers' photos of returned items, for the merchant and ops: upload one for an order line (the merchant's own
returns page, then `photo_ids` in `POST /v1/returns`), list a return's, download one.

Answered bytes are the cleaned photo (no metadata), with its own type, `nosniff` and a CSP that lets nothing in
it run: a photo is shown, never interpreted.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.body_limit import BodyTooLarge
from api.deps import DbDep, Owner, Reader
from api.errors import ApiError
from api.photo_store import PhotoStore, PhotoStoreUnavailable, get_photo_store
from api.photo_uploads import order_line_ids, take_photo
from api.schemas.common import PathId, ReturnPathId
from api.schemas.photos import PhotoList, PhotoOut
from db.orders import get_order
from db.photos import photo_of_return, photos_of_return
from db.returns import get_return
from domain.photos import MAX_PHOTO_BYTES, MAX_PHOTOS_PER_ITEM, PhotoRefusal, PhotoRefused
from domain.validation import ID_PATTERN, MAX_ID_LENGTH

router = APIRouter(tags=["merchant: photos"])
Store = Annotated[PhotoStore, Depends(get_photo_store)]

API_UPLOADER = "api"  # the merchant's key: one pool of 5 per line, apart from each portal session's
PHOTO_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'",
    "Cache-Control": "private, max-age=3600",
}
REFUSALS: dict[PhotoRefusal, tuple[int, str, str]] = {
    PhotoRefusal.NOT_A_PHOTO: (415, "unsupported_photo", "the file is not a JPEG, PNG or HEIC photo (by its content)"),
    PhotoRefusal.TOO_LARGE: (413, "photo_too_large", f"a photo is at most {MAX_PHOTO_BYTES} bytes"),
    PhotoRefusal.TOO_MANY: (422, "too_many_photos", f"this line has {MAX_PHOTOS_PER_ITEM} photos no return holds yet"),
    PhotoRefusal.EMPTY: (422, "photo_missing", "send the photo as the multipart field `photo`"),
}
UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["line_id", "photo"],
                "properties": {
                    "line_id": {
                        "type": "string",
                        "maxLength": MAX_ID_LENGTH,
                        "pattern": ID_PATTERN,
                        "description": "one of the order's lines",
                    },
                    "photo": {
                        "type": "string",
                        "format": "binary",
                        "maxLength": MAX_PHOTO_BYTES,
                        "description": "JPEG, PNG or HEIC, at most 10 MB (its content decides, not its name)",
                    },
                },
            }
        }
    },
}
_UPLOAD_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such order for this merchant (`order_not_found`)"},
    413: {"description": "the photo is over 10 MB (`photo_too_large`)"},
    415: {"description": "the file is no JPEG, PNG or HEIC photo, whatever its name says (`unsupported_photo`)"},
    422: {"description": "no such line on the order, no photo, or 5 photos already (`unknown_line`, ...)"},
    503: {"description": "the photo store did not answer (`photo_store_unavailable`): retry later"},
}


def _unavailable() -> ApiError:
    return ApiError(503, "photo_store_unavailable", "the photo store did not answer; retry later")


async def _returned(db: DbDep, merchant_id: str, return_id: str) -> None:
    if await db.run(get_return, merchant_id, return_id) is None:
        raise ApiError(404, "return_not_found", f"return {return_id!r} not found")


@router.post(
    "/v1/orders/{order_id}/photos",
    status_code=201,
    response_model=PhotoOut,
    openapi_extra={"requestBody": UPLOAD_BODY},
    responses=_UPLOAD_ERRORS,
)
async def upload_order_photo(order_id: PathId, principal: Owner, db: DbDep, store: Store, request: Request) -> PhotoOut:
    """A shopper's photo of an item they will return, for one line of the order (multipart: `line_id`, `photo`).
    Stored without its metadata (EXIF, location); HEIC is stored as JPEG. Name its id in the item's `photo_ids`
    when creating the return."""
    order = await db.run(get_order, principal.merchant_id, order_id)
    if order is None:  # before the form is read: another merchant's order is an order of nothing
        raise ApiError(404, "order_not_found", f"order {order_id!r} not found")
    try:
        form = await request.form(max_files=1, max_fields=4)
    except BodyTooLarge:  # sent without a length and stopped at the limit: the JSON 413 of every route
        raise
    except Exception:  # not multipart, or broken multipart
        raise ApiError(422, "invalid_request", "send multipart/form-data with `line_id` and `photo`") from None
    try:
        line_id = form.get("line_id")
        if not isinstance(line_id, str) or line_id not in order_line_ids(order.lines):
            raise ApiError(422, "unknown_line", "`line_id` must name one of the order's lines")
        photo = form.get("photo")
        row = await take_photo(
            db,
            store,
            principal.merchant_id,
            order_id,
            line_id,
            API_UPLOADER,
            photo if isinstance(photo, UploadFile) else None,
        )
    except PhotoRefused as refused:
        status, code, message = REFUSALS[refused.why]
        raise ApiError(status, code, message) from None
    except PhotoStoreUnavailable:
        raise _unavailable() from None
    finally:
        await form.close()
    return PhotoOut.of(row)


@router.get(
    "/v1/returns/{return_id}/photos",
    response_model=PhotoList,
    responses={404: {"description": "no such return for this merchant (`return_not_found`)"}},
)
async def list_return_photos(return_id: ReturnPathId, principal: Reader, db: DbDep) -> PhotoList:
    """The shopper's photos of the return's items, per line in upload order; `url` downloads each."""
    await _returned(db, principal.merchant_id, return_id)
    rows = await db.run(photos_of_return, principal.merchant_id, return_id)
    return PhotoList(data=[PhotoOut.of(r) for r in rows], next_cursor=None)


@router.get(
    "/v1/returns/{return_id}/photos/{photo_id}",
    response_class=Response,
    responses={
        200: {"content": {"image/jpeg": {}, "image/png": {}}},
        404: {"description": "no such return or photo for this merchant (`return_not_found`, `photo_not_found`)"},
        503: {"description": "the photo store did not answer (`photo_store_unavailable`): retry later"},
    },
)
async def get_return_photo(return_id: ReturnPathId, photo_id: PathId, principal: Reader, db: DbDep, store: Store):
    """One photo's bytes (JPEG or PNG), as stored: upright, without metadata."""
    await _returned(db, principal.merchant_id, return_id)
    row = await db.run(photo_of_return, principal.merchant_id, return_id, photo_id)
    try:
        data = None if row is None else await run_in_threadpool(store.get, row.storage_key)
    except PhotoStoreUnavailable:
        raise _unavailable() from None
    if row is None or data is None:
        raise ApiError(404, "photo_not_found", f"photo {photo_id!r} not found on return {return_id!r}")
    return Response(data, media_type=row.content_type, headers=PHOTO_HEADERS)
