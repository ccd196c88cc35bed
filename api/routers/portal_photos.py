"""The portal's photo upload: `POST /portal/{slug}/photos` (multipart: csrf_token, line_id, photo) for the session's
order, `GET /portal/{slug}/photos/{photo_id}` to show the shopper what was kept (upright, no metadata), and
`POST /portal/{slug}/photos/{photo_id}/delete` to take a wrong one back.

With htmx (`HX-Request`) the answer is the line's photo list (api/templates/portal/_photos.html.j2), a refusal
shown in it; without JavaScript, back to the items page (303), or a page saying why the photo was refused.
The file may come as `photo` or `photo_<line_id>` (one file input per line in the items form).
"""

from __future__ import annotations

import logging
import re
from html import escape
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.types import ASGIApp, Receive, Scope, Send

from activities.translations import gettext_for
from api.body_limit import BodyTooLarge
from api.deps import DbDep, SettingsDep
from api.photo_store import PhotoStore, PhotoStoreUnavailable, get_photo_store
from api.photo_uploads import UPLOAD_BODY_BYTES, order_line_ids, take_photo
from api.routers.photos import PHOTO_HEADERS
from api.routers.portal_start import items_again
from api.shopper.errors import PortalError
from api.shopper.photos import REFUSAL_STATUS, UNKNOWN_LINE, photos_by_line, refusal_sentence, uploader_of
from api.shopper.session import ShopperSession, require_csrf, shopper_of
from api.shopper.web import HEADERS, environments, merchant_by_slug, not_found, render, shopper_lang
from db.orders import get_order
from db.photos import remove_unclaimed, uploaded_photo
from db.portal_lookup import could_be_id
from domain.photos import MAX_PHOTO_BYTES, MAX_PHOTOS_PER_ITEM, PhotoRefusal, PhotoRefused

log = logging.getLogger("returnflow.api.portal")
router = APIRouter(prefix="/portal", include_in_schema=False)
Store = Annotated[PhotoStore, Depends(get_photo_store)]


def _file(form: FormData, line_id: str) -> UploadFile | None:
    for name in (f"photo_{line_id}", "photo"):
        found = form.get(name)
        if isinstance(found, UploadFile) and (found.filename or found.size):
            return found
    return None


async def _shopper(request: Request, db: DbDep, slug: str) -> tuple[Any, str, ShopperSession]:
    merchant = await merchant_by_slug(db, slug)
    lang = shopper_lang(request, merchant)
    if merchant is None:
        raise PortalError(lang, 404, "not_found")
    shopper = shopper_of(request, merchant)
    if shopper is None:  # no session (expired, another shop's): the form's page is gone too
        raise PortalError(lang, 403, "csrf", merchant)
    return merchant, lang, shopper


async def fragment(
    request: Request, db: DbDep, slug: str, lang: str, shopper: ShopperSession, line_id: str, error=None
):
    """The line's photos (and the refusal, if any) as the items page shows them, for htmx to swap in."""
    photos = (await photos_by_line(db, shopper)).get(line_id, [])
    html = (
        environments()[lang]
        .get_template("_photos.html.j2")
        .render(
            slug=slug,
            line_id=line_id,
            photos=photos,
            error=error,
            max_photos=MAX_PHOTOS_PER_ITEM,
            max_megabytes=MAX_PHOTO_BYTES // (1024 * 1024),
        )
    )
    return HTMLResponse(html, headers=HEADERS)


@router.post("/{slug}/photos")
async def upload_photo(slug: str, request: Request, db: DbDep, store: Store, settings: SettingsDep) -> Response:
    merchant, lang, shopper = await _shopper(request, db, slug)
    try:  # read here first: require_csrf takes any failure to read the form for a bad token
        await request.form()
    except BodyTooLarge:  # sent without a length, counted as it came and stopped at the limit
        return too_large(request)
    except Exception:
        pass  # no form at all: require_csrf refuses it
    form = await require_csrf(request, lang, merchant)
    htmx = request.headers.get("hx-request") == "true"
    line_id = form.get("line_id")
    why = None
    try:
        order = await db.run(get_order, merchant.id, shopper.order_id)
        if order is None or not isinstance(line_id, str) or line_id not in order_line_ids(order.lines):
            why = UNKNOWN_LINE
        else:
            await take_photo(
                db, store, merchant.id, shopper.order_id, line_id, uploader_of(shopper), _file(form, line_id)
            )
    except PhotoRefused as refused:
        why = refused.why
    except PhotoStoreUnavailable:
        raise PortalError(lang, 503, "error", merchant) from None
    finally:
        await form.close()
    error = None if why is None else refusal_sentence(why, gettext_for(lang))
    if htmx and why != UNKNOWN_LINE:
        return await fragment(request, db, slug, lang, shopper, line_id, error)
    if why is None:
        return await _items_page(slug, request, db, settings, form)
    _ = gettext_for(lang)
    return render(
        request,
        "photo_refused.html.j2",
        lang,
        merchant=merchant,
        status=REFUSAL_STATUS[why],
        here=f"/portal/{slug}/start",
        slug=slug,
        title=_("The photo could not be added"),
        text=error,
    )


@router.get("/{slug}/photos/{photo_id}")
async def shopper_photo(slug: str, photo_id: str, request: Request, db: DbDep, store: Store) -> Response:
    """One of the session's own photos, as stored; nobody else's (another session's or a return's: 404)."""
    merchant, lang, shopper = await _shopper(request, db, slug)
    row = None
    if _an_id(photo_id):
        row = await db.run(uploaded_photo, merchant.id, shopper.order_id, uploader_of(shopper), photo_id)
    try:
        data = None if row is None else await run_in_threadpool(store.get, row.storage_key)
    except PhotoStoreUnavailable:
        raise PortalError(lang, 503, "error", merchant) from None
    if row is None or data is None:
        return not_found(request, lang, merchant)
    return Response(data, media_type=row.content_type, headers={**PHOTO_HEADERS, "Cache-Control": "private, no-store"})


@router.post("/{slug}/photos/{photo_id}/delete")
async def remove_photo(
    slug: str, photo_id: str, request: Request, db: DbDep, store: Store, settings: SettingsDep
) -> Response:
    """The shopper takes a photo back (a wrong one) while no return holds it; its slot is free again."""
    merchant, lang, shopper = await _shopper(request, db, slug)
    form = await require_csrf(request, lang, merchant)
    await form.close()
    row = None
    if _an_id(photo_id):
        row = await db.run(remove_unclaimed, merchant.id, shopper.order_id, uploader_of(shopper), photo_id)
    if row is None:
        return not_found(request, lang, merchant)
    try:
        await run_in_threadpool(store.delete, row.storage_key)
    except PhotoStoreUnavailable:  # the row is gone, so its bytes are never shown again; they stay until cleaned
        log.warning("photo %s removed but its bytes stay in the photo store", row.id)
    if request.headers.get("hx-request") == "true":
        return await fragment(request, db, slug, lang, shopper, row.line_id)
    return await _items_page(slug, request, db, settings, form)


async def _items_page(slug: str, request: Request, db, settings, form) -> Response:
    """Without JavaScript a photo button posts the whole items form here: the items step comes back with the
    shopper's choices (the form's draft); a form without one (sent by hand) goes back to the start."""
    if "draft" in form:
        return await items_again(slug, request, db, settings)
    return RedirectResponse(f"/portal/{slug}/start", status_code=303)


def _an_id(photo_id: str) -> bool:
    return could_be_id(photo_id, 64)


def too_large(request: Request) -> Response:
    """A body past the photo route's limit: the shopper's sentence, not JSON. With htmx it is added to the line's
    photo block (its photos stay shown); else the refusal page."""
    lang = shopper_lang(request)
    text = refusal_sentence(PhotoRefusal.TOO_LARGE, gettext_for(lang))
    if request.headers.get("hx-request") == "true":
        return HTMLResponse(
            f'<p class="error" role="alert">{escape(text)}</p>', headers={**HEADERS, "HX-Reswap": "beforeend"}
        )
    slug = request.url.path.split("/")[2]
    title = gettext_for(lang)("The photo could not be added")
    here = f"/portal/{slug}/start"
    return render(request, "photo_refused.html.j2", lang, status=413, here=here, slug=slug, title=title, text=text)


def too_large_answer(limit: int) -> ASGIApp:
    """What api/body_limit.py answers for a declared length past the limit, before the route runs."""

    async def answer(scope: Scope, receive: Receive, send: Send) -> None:
        await too_large(Request(scope))(scope, receive, send)

    return answer


# api/app.py gives this to api/body_limit.py.
BODY_LIMIT = (re.compile(r"/portal/[^/]+/photos"), UPLOAD_BODY_BYTES, too_large_answer)
