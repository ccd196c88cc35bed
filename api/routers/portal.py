"""The shopper portal's pages: a shop's returns page (find the order, see it), and one return's page behind
its signed link (label, QR code, status; cancel, book or cancel a pickup).

`/portal/<slug>` is a shop's returns page; `/portal/<token>` (a token has dots, a slug never does) is a
return's page: the link (`api.portal_links`) is its only credential, and every read there is scoped by the
(merchant, return) it names. The merchant fetches the link with its API key (`GET /v1/returns/{id}/portal-link`).

Pages are HTML in the shopper's language (api.shopper.web): errors are localized pages (404, 403, 429, 500),
never JSON or a trace. They are left out of the OpenAPI document.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from starlette.datastructures import FormData

from activities.translations import gettext_for
from api import portal_page
from api.deps import DbDep, Reader, SettingsDep
from api.errors import ApiError
from api.portal_links import portal_url, read_portal_token
from api.returns_gateway import ReturnsGatewayDep
from api.schemas.common import ReturnPathId
from api.schemas.returns import PortalLinkOut
from api.shopper import brand, order_page, return_actions, return_files
from api.shopper.errors import PortalError
from api.shopper.lookup import find_order
from api.shopper.session import require_csrf, shopper_of, start_session
from api.shopper.web import HEADERS, guarded, merchant_by_slug, not_found, page_error, render, shopper_lang
from db.portal_lookup import order_and_returns
from db.returns import get_return

router = APIRouter(prefix="/v1/returns", tags=["merchant: portal"])
pages = APIRouter(include_in_schema=False)
STYLESHEET = Path(__file__).resolve().parent.parent / "static" / "portal.css"
ASSET_HEADERS = {"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"}


@router.get(
    "/{return_id}/portal-link",
    response_model=PortalLinkOut,
    responses={404: {"description": "no such return for this merchant"}},
)
async def get_portal_link(
    return_id: ReturnPathId, principal: Reader, db: DbDep, settings: SettingsDep
) -> PortalLinkOut:
    """The shopper's link to this return's portal page (label, drop-off QR code, status); it does not expire."""
    row = await db.run(get_return, principal.merchant_id, return_id)
    if row is None:
        raise ApiError(404, "return_not_found", f"return {return_id!r} not found")
    return PortalLinkOut(url=portal_url(settings, row.id, row.merchant_id))


def is_link(key: str) -> bool:
    """A return's signed link (v1.<payload>.<signature>) rather than a shop's slug."""
    return "." in key


@pages.get("/portal-assets/portal.css")
async def portal_stylesheet() -> Response:
    return FileResponse(STYLESHEET, media_type="text/css", headers=ASSET_HEADERS)


@pages.get("/portal/{key}", response_class=HTMLResponse)
async def portal_home(key: str, request: Request, db: DbDep, settings: SettingsDep) -> Response:
    if is_link(key):
        return await guarded(request, lambda: return_page(request, db, settings, key))
    merchant = await merchant_by_slug(db, key)
    lang = shopper_lang(request, merchant)
    if merchant is None:
        return not_found(request, lang)
    return render(request, "find.html.j2", lang, merchant=merchant, error=False)


@pages.get("/portal/{slug}/brand.css")
async def portal_brand(slug: str, db: DbDep) -> Response:
    merchant = await merchant_by_slug(db, slug)
    if merchant is None:
        return Response("", status_code=404, media_type="text/css", headers=ASSET_HEADERS)
    return Response(brand.stylesheet(merchant), media_type="text/css", headers=ASSET_HEADERS)


@pages.post("/portal/{slug}/find")
async def portal_find(slug: str, request: Request, db: DbDep) -> Response:
    merchant = await merchant_by_slug(db, slug)
    lang = shopper_lang(request, merchant)
    if merchant is None:
        return not_found(request, lang)
    form = await require_csrf(request, lang, merchant)
    number, contact = form.get("order_number"), form.get("contact")
    found = await find_order(
        request, db, merchant, number if isinstance(number, str) else "", contact if isinstance(contact, str) else ""
    )
    if found.outcome in ("limited", "locked"):
        kind = "rate_limited" if found.outcome == "limited" else "locked"
        refused = page_error(request, lang, 429, kind, merchant)
        refused.headers["Retry-After"] = "60" if kind == "rate_limited" else "3600"
        return refused
    if found.outcome != "found" or found.order_id is None:
        # One answer for a wrong email, a wrong postcode and an unknown order: nothing of the input echoed.
        return render(request, "find.html.j2", lang, merchant=merchant, status=422, error=True, here=f"/portal/{slug}")
    response = RedirectResponse(f"/portal/{slug}/order", status_code=303, headers=HEADERS)
    start_session(response, merchant.id, found.order_id, lang, request=request, slug=slug)
    return response


@pages.get("/portal/{slug}/order", response_class=HTMLResponse)
async def portal_order(slug: str, request: Request, db: DbDep, settings: SettingsDep) -> Response:
    merchant = await merchant_by_slug(db, slug)
    if merchant is None:
        return not_found(request, shopper_lang(request))
    shopper = shopper_of(request, merchant)
    if shopper is None:
        return RedirectResponse(f"/portal/{slug}", status_code=303, headers=HEADERS)
    lang = shopper_lang(request, merchant, recorded=shopper.lang)
    order, returns = await db.run(order_and_returns, merchant.id, shopper.order_id)
    if order is None:
        return not_found(request, lang, merchant)
    context = order_page.view(settings, merchant, order, returns, lang, gettext_for(lang))
    return render(request, "order.html.j2", lang, merchant=merchant, **context)


async def _return_facts(request: Request, db: DbDep, settings: SettingsDep, token: str) -> portal_page.Facts:
    ids = read_portal_token(token, settings.portal_secret)
    facts = await db.run(portal_page.load, *ids) if ids else None
    if facts is None:
        raise PortalError(shopper_lang(request), 404, "link")
    return facts


async def return_page(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    token: str,
    *,
    refusal: str | None = None,
    status: int = 200,
    facts: portal_page.Facts | None = None,
) -> Response:
    """The return's page; after a change, `?done=` says it went through, `refusal` why it did not."""
    facts = facts or await _return_facts(request, db, settings, token)
    lang = shopper_lang(request, facts.merchant, recorded=facts.language)
    _ = gettext_for(lang)
    base = f"/portal/{token}"
    done = request.query_params.get("done")
    return render(
        request,
        "return.html.j2",
        lang,
        merchant=facts.merchant,
        status=status,
        here=base,
        base=base,
        notice=_(return_actions.DONE_WORDS[done]) if done in return_actions.DONE_WORDS else None,
        refusal=refusal,
        alert=_(return_actions.REFUSAL_WORDS[refusal]) if refusal else None,
        changes=return_actions.changes(facts, datetime.now(UTC), lang),
        **portal_page.view(facts, base, lang),
    )


async def _change(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    token: str,
    change: Callable[[portal_page.Facts, FormData], Awaitable[str | None]],
    done: str,
) -> Response:
    """Check the form's CSRF token, make the change; then the page again (303 when done, 409/422 with why not)."""
    facts = await _return_facts(request, db, settings, token)
    lang = shopper_lang(request, facts.merchant, recorded=facts.language)
    form = await require_csrf(request, lang, facts.merchant)
    refusal = await change(facts, form)
    if refusal is None:
        return RedirectResponse(f"/portal/{token}?done={done}", status_code=303, headers=HEADERS)
    status = 422 if refusal in ("no_window", "not_confirmed") else 503 if refusal == "busy" else 409
    facts = await _return_facts(request, db, settings, token)  # as it is now, after the refusal
    return await return_page(request, db, settings, token, refusal=refusal, status=status, facts=facts)


@pages.post("/portal/{token}/cancel")
async def portal_cancel(
    token: str, request: Request, db: DbDep, settings: SettingsDep, workflows: ReturnsGatewayDep
) -> Response:
    async def change(facts: portal_page.Facts, form: FormData) -> str | None:
        if form.get("confirm") != "yes":
            return "not_confirmed"
        return await return_actions.cancel(workflows, facts.row)

    return await guarded(request, lambda: _change(request, db, settings, token, change, "cancelled"))


@pages.post("/portal/{token}/pickup")
async def portal_book_pickup(
    token: str, request: Request, db: DbDep, settings: SettingsDep, workflows: ReturnsGatewayDep
) -> Response:
    async def change(facts: portal_page.Facts, form: FormData) -> str | None:
        lang = shopper_lang(request, facts.merchant, recorded=facts.language)
        offered = {w.key: w for w in return_actions.pickup_windows(datetime.now(UTC), facts.timezone, lang)}
        window = offered.get(str(form.get("window") or ""))
        if window is None:
            return "no_window"
        instructions = return_actions.instructions_of(form.get("instructions"))
        return await return_actions.book_pickup(workflows, facts.row, window, instructions)

    return await guarded(request, lambda: _change(request, db, settings, token, change, "pickup_booked"))


@pages.post("/portal/{token}/pickup/cancel")
async def portal_cancel_pickup(
    token: str, request: Request, db: DbDep, settings: SettingsDep, workflows: ReturnsGatewayDep
) -> Response:
    async def change(facts: portal_page.Facts, form: FormData) -> str | None:
        return await return_actions.cancel_pickup(workflows, facts.row)

    return await guarded(request, lambda: _change(request, db, settings, token, change, "pickup_cancelled"))


def _parcel(parcel: str) -> int:
    return int(parcel) if re.fullmatch(r"[1-9][0-9]{0,2}", parcel) else 0


@pages.get("/portal/{token}/label.png")
async def portal_label_png(token: str, request: Request, db: DbDep, settings: SettingsDep, parcel: str = "1"):
    return await guarded(request, lambda: return_files.label(request, db, settings, token, _parcel(parcel), "png"))


@pages.get("/portal/{token}/label.pdf")
async def portal_label_pdf(token: str, request: Request, db: DbDep, settings: SettingsDep, parcel: str = "1"):
    return await guarded(request, lambda: return_files.label(request, db, settings, token, _parcel(parcel), "pdf"))


@pages.get("/portal/{token}/rma-qr.svg")
async def portal_rma_qr_svg(token: str, request: Request, db: DbDep, settings: SettingsDep):
    return await guarded(request, lambda: return_files.rma_qr(request, db, settings, token, "svg"))


@pages.get("/portal/{token}/rma-qr.png")
async def portal_rma_qr_png(token: str, request: Request, db: DbDep, settings: SettingsDep):
    return await guarded(request, lambda: return_files.rma_qr(request, db, settings, token, "png"))


@pages.get("/portal/{token}/dropoff-qr.svg")
async def portal_dropoff_qr_svg(token: str, request: Request, db: DbDep, settings: SettingsDep, parcel: str = "1"):
    return await guarded(request, lambda: return_files.qr(request, db, settings, token, _parcel(parcel), "svg"))


@pages.get("/portal/{token}/dropoff-qr.png")
async def portal_dropoff_qr_png(token: str, request: Request, db: DbDep, settings: SettingsDep, parcel: str = "1"):
    return await guarded(request, lambda: return_files.qr(request, db, settings, token, _parcel(parcel), "png"))
