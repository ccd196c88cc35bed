"""A return's files for the shopper: its label (PNG, PDF, fetched again from the carrier) and drop-off QR code.

Behind the return's signed link, like its page; a failure is a localized page (404 no label, 502 carrier).
"""

from __future__ import annotations

import logging
import re
from typing import Any, Literal

from fastapi import Request, Response

from activities.documents import dropoff_qr
from api import portal_page
from api.errors import ApiError
from api.label_files import label_file
from api.merchant_accounts import easypost_account_of
from api.portal_links import read_portal_token
from api.shopper.errors import PortalError
from api.shopper.web import HEADERS, shopper_lang
from db.returns import get_return
from db.tables import ReturnRecord
from domain.rma import rma_code
from settings import Settings

log = logging.getLogger("returnflow.api.portal")
MEDIA_TYPES = {"png": "image/png", "pdf": "application/pdf", "svg": "image/svg+xml"}


async def _return_label(
    request: Request, db: Any, settings: Settings, token: str, number: int
) -> tuple[ReturnRecord, dict]:
    """The return and its usable label for parcel `number` (1 unless the return has several)."""
    lang = shopper_lang(request)
    ids = read_portal_token(token, settings.portal_secret)
    row = await db.run(get_return, *ids) if ids else None
    if row is None:
        raise PortalError(lang, 404, "link")
    found = portal_page.labels(row)
    if not 1 <= number <= len(found):
        raise PortalError(lang, 404, "no_label")
    return row, found[number - 1]


def _file(content: bytes, kind: str, row: ReturnRecord, what: str, number: int) -> Response:
    suffix = "" if number == 1 else f"-{number}"
    filename = f"{re.sub(r'[^A-Za-z0-9_.-]', '_', row.id)}-{what}{suffix}.{kind}"
    return Response(
        content,
        media_type=MEDIA_TYPES[kind],
        headers={**HEADERS, "Content-Disposition": f'inline; filename="{filename}"'},
    )


async def label(
    request: Request, db: Any, settings: Settings, token: str, number: int, fmt: Literal["png", "pdf"]
) -> Response:
    row, found = await _return_label(request, db, settings, token, number)
    try:
        content = await label_file(await easypost_account_of(db, settings, row.merchant_id), found, fmt)
    except ApiError as err:
        log.warning("portal label download for return %s failed: %s", row.id, err.message)
        raise PortalError(shopper_lang(request), 502, "carrier") from None
    return _file(content, fmt, row, "label", number)


async def qr(
    request: Request, db: Any, settings: Settings, token: str, number: int, kind: Literal["png", "svg"]
) -> Response:
    row, found = await _return_label(request, db, settings, token, number)
    if not found.get("tracking_code"):
        raise PortalError(shopper_lang(request), 404, "no_qr")
    return _file(dropoff_qr(found["tracking_code"], kind), kind, row, "dropoff-qr", number)


async def rma_qr(request: Request, db: Any, settings: Settings, token: str, kind: Literal["png", "svg"]) -> Response:
    """The return's RMA code as a QR code, for the store's staff to scan (send method "store")."""
    lang = shopper_lang(request)
    ids = read_portal_token(token, settings.portal_secret)
    row = await db.run(get_return, *ids) if ids else None
    if row is None:
        raise PortalError(lang, 404, "link")
    try:
        code = rma_code(row.id)
    except ValueError:
        raise PortalError(lang, 404, "no_qr") from None
    return _file(dropoff_qr(code, kind), kind, row, "rma-qr", 1)
