"""The shopper portal: one return's page, its label and its drop-off QR code, behind a signed link.

The link (`api.portal_links`) is the only credential: it names one (merchant, return), and
every read here is scoped by both. The merchant fetches the link with its API key
(`GET /v1/returns/{id}/portal-link`) to send or show it to the shopper.

Pages are HTML, not the JSON API: a bad or tampered link, an unknown return, a failed
label download and any surprise answer a short HTML page (404, 502, 500), never JSON
or a stack trace. They are left out of the OpenAPI document.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Literal

import jinja2
from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse

from activities.documents import dropoff_qr
from api import portal_page
from api.deps import DbDep, Reader, SettingsDep
from api.errors import ApiError
from api.label_files import label_file
from api.merchant_accounts import easypost_account_of
from api.portal_links import portal_url, read_portal_token
from api.schemas.common import ReturnPathId
from api.schemas.returns import PortalLinkOut
from db.returns import get_return
from db.tables import ReturnRecord
from settings import Settings

log = logging.getLogger("returnflow.api.portal")

router = APIRouter(prefix="/v1/returns", tags=["merchant: portal"])
pages = APIRouter(prefix="/portal", include_in_schema=False)

_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent.parent / "templates" / "portal"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
MEDIA_TYPES = {"png": "image/png", "pdf": "application/pdf", "svg": "image/svg+xml"}
# The page needs nothing but itself and its own images; the link must not leak through a Referer.
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
}


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


def _message(status: int, title: str, text: str) -> HTMLResponse:
    html = _templates.get_template("message.html.j2").render(title=title, text=text)
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def _not_valid() -> HTMLResponse:
    return _message(
        404, "This link is not valid", "Check that you copied the whole link, or ask the shop for a new one."
    )


async def _guarded(work: Callable[[], Awaitable[Response]]) -> Response:
    """Whatever goes wrong, the shopper gets a page, not JSON or a trace (and the log gets the trace)."""
    try:
        return await work()
    except Exception:
        log.exception("portal page failed")  # the path holds the link: never logged
        return _message(500, "Something went wrong", "Please try again in a minute.")


def _ids(settings: Settings, token: str) -> tuple[str, str] | None:
    return read_portal_token(token, settings.portal_secret)


@pages.get("/{token}", response_class=HTMLResponse)
async def portal_page_for(token: str, db: DbDep, settings: SettingsDep) -> Response:
    async def work() -> Response:
        ids = _ids(settings, token)
        facts = await db.run(portal_page.load, *ids) if ids else None
        if facts is None:
            return _not_valid()
        html = _templates.get_template("return.html.j2").render(portal_page.view(facts, f"/portal/{token}"))
        return HTMLResponse(html, headers=HEADERS)

    return await _guarded(work)


async def _return_label(
    db: DbDep, settings: SettingsDep, token: str, parcel: str
) -> tuple[ReturnRecord, dict, int] | Response:
    """The return and its usable label for parcel `parcel` (1 unless the return has several)."""
    ids = _ids(settings, token)
    row = await db.run(get_return, *ids) if ids else None
    if row is None:
        return _not_valid()
    found = portal_page.labels(row)
    number = int(parcel) if re.fullmatch(r"[1-9][0-9]{0,2}", parcel) else 0
    if not 1 <= number <= len(found):
        return _message(404, "There is no label here", "This return has no usable label. The return page says why.")
    return row, found[number - 1], number


def _file(content: bytes, kind: str, row: ReturnRecord, what: str, number: int) -> Response:
    suffix = "" if number == 1 else f"-{number}"
    filename = f"{re.sub(r'[^A-Za-z0-9_.-]', '_', row.id)}-{what}{suffix}.{kind}"
    return Response(
        content,
        media_type=MEDIA_TYPES[kind],
        headers={**HEADERS, "Content-Disposition": f'inline; filename="{filename}"'},
    )


async def _label(db: DbDep, settings: SettingsDep, token: str, parcel: str, fmt: Literal["png", "pdf"]) -> Response:
    async def work() -> Response:
        found = await _return_label(db, settings, token, parcel)
        if isinstance(found, Response):
            return found
        row, label, number = found
        try:
            content = await label_file(await easypost_account_of(db, settings, row.merchant_id), label, fmt)
        except ApiError as err:
            log.warning("portal label download for return %s failed: %s", row.id, err.message)
            return _message(
                502, "The label could not be fetched", "The carrier did not answer. Please try again in a minute."
            )
        return _file(content, fmt, row, "label", number)

    return await _guarded(work)


async def _qr(db: DbDep, settings: SettingsDep, token: str, parcel: str, kind: Literal["png", "svg"]) -> Response:
    async def work() -> Response:
        found = await _return_label(db, settings, token, parcel)
        if isinstance(found, Response):
            return found
        row, label, number = found
        if not label.get("tracking_code"):
            return _message(404, "There is no QR code here", "This label has no tracking code to show as a QR code.")
        return _file(dropoff_qr(label["tracking_code"], kind), kind, row, "dropoff-qr", number)

    return await _guarded(work)


@pages.get("/{token}/label.png")
async def portal_label_png(token: str, db: DbDep, settings: SettingsDep, parcel: str = "1") -> Response:
    return await _label(db, settings, token, parcel, "png")


@pages.get("/{token}/label.pdf")
async def portal_label_pdf(token: str, db: DbDep, settings: SettingsDep, parcel: str = "1") -> Response:
    return await _label(db, settings, token, parcel, "pdf")


@pages.get("/{token}/dropoff-qr.svg")
async def portal_dropoff_qr_svg(token: str, db: DbDep, settings: SettingsDep, parcel: str = "1") -> Response:
    return await _qr(db, settings, token, parcel, "svg")


@pages.get("/{token}/dropoff-qr.png")
async def portal_dropoff_qr_png(token: str, db: DbDep, settings: SettingsDep, parcel: str = "1") -> Response:
    return await _qr(db, settings, token, parcel, "png")


@pages.get("/{token}/{anything:path}")
async def portal_nothing_here(token: str, anything: str) -> Response:
    return _message(404, "There is nothing here", "Open the link to your return as you received it.")
