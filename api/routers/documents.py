"""Merchant endpoints for a return's printable documents: the label, the packing slip, the drop-off QR.

The label is EasyPost's file, fetched and handed on by `api.label_files` (shared with
the shopper portal): PNG as bought, PDF and ZPL converted by EasyPost on request.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from starlette.concurrency import run_in_threadpool

from activities.audience import packing_slip_inputs
from activities.documents import dropoff_qr, live_label, packing_slip_pdf
from api.deps import DbDep, Reader, SettingsDep
from api.errors import ApiError
from api.label_files import LabelFormat, label_file
from api.merchant_accounts import easypost_account_of
from api.schemas.common import ReturnPathId
from db.returns import get_return
from db.tables import ReturnRecord

router = APIRouter(prefix="/v1/returns", tags=["merchant: documents"])

MEDIA_TYPES = {"png": "image/png", "pdf": "application/pdf", "zpl": "application/zpl", "svg": "image/svg+xml"}

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such return for this merchant, or it has no label (error.code says which)"},
    502: {"description": "EasyPost failed to convert or serve the label"},
}


def _content(*kinds: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {MEDIA_TYPES[k]: {} for k in kinds}}, **_ERRORS}


def _filename(row: ReturnRecord, what: str, ext: str) -> str:
    return f"{re.sub(r'[^A-Za-z0-9_.-]', '_', row.id)}-{what}.{ext}"


def _file(content: bytes, kind: str, filename: str) -> Response:
    disposition = "attachment" if kind == "zpl" else "inline"  # ZPL goes to a printer, not a viewer
    return Response(
        content, media_type=MEDIA_TYPES[kind], headers={"Content-Disposition": f'{disposition}; filename="{filename}"'}
    )


async def _owned(db: DbDep, merchant_id: str, return_id: str) -> ReturnRecord:
    row = await db.run(get_return, merchant_id, return_id)
    if row is None:
        raise ApiError(404, "return_not_found", f"return {return_id!r} not found")
    return row


_WHY_NO_LABEL = {
    "requested": "its label is still being bought; retry shortly",
    "pending_review": "it is waiting for review; a label is bought once it is approved",
    "rejected": "it was rejected",
    "cancelled": "it was cancelled (and any label voided)",
    "expired": "it expired (and its label was voided)",
}


def _label(row: ReturnRecord) -> dict[str, Any]:
    label = live_label(row)
    if label is None:
        why = _WHY_NO_LABEL.get(row.status, "no return shipment is needed: the shopper keeps the items")
        code = "label_voided" if row.label else "no_label"
        raise ApiError(404, code, f"return {row.id!r} has no usable label: {why}", return_status=row.status)
    return label


@router.get("/{return_id}/label", response_class=Response, responses=_content("png", "pdf", "zpl"))
async def get_label(
    return_id: ReturnPathId,
    principal: Reader,
    db: DbDep,
    settings: SettingsDep,
    format: Annotated[LabelFormat, Query(description="png (as bought), or pdf / zpl (converted by EasyPost)")] = "png",
) -> Response:
    """The return label file, for the shopper to print (PDF, PNG) or for a thermal printer (ZPL)."""
    row = await _owned(db, principal.merchant_id, return_id)
    account = await easypost_account_of(db, settings, row.merchant_id)  # converts with the account that bought it
    return _file(await label_file(account, _label(row), format), format, _filename(row, "label", format))


@router.get("/{return_id}/packing-slip.pdf", response_class=Response, responses=_content("pdf"))
async def get_packing_slip(return_id: ReturnPathId, principal: Reader, db: DbDep) -> Response:
    """The slip that goes inside the parcel: items, tracking code, and the RMA barcode the warehouse scans."""
    slip = await db.run(packing_slip_inputs, principal.merchant_id, return_id)
    if slip.row is None:
        raise ApiError(404, "return_not_found", f"return {return_id!r} not found")
    # In the shopper's language, on the merchant's paper; a few ms of CPU per page: off the event loop.
    pdf = await run_in_threadpool(packing_slip_pdf, slip.row, slip.lines, slip.audience, slip.currency)
    return _file(pdf, "pdf", _filename(slip.row, "packing-slip", "pdf"))


async def _qr(db: DbDep, merchant_id: str, return_id: str, kind: Literal["png", "svg"]) -> Response:
    row = await _owned(db, merchant_id, return_id)
    tracking_code = _label(row).get("tracking_code")
    if not tracking_code:
        raise ApiError(
            404, "no_label", f"return {row.id!r} has a label without a tracking code", return_status=row.status
        )
    return _file(dropoff_qr(tracking_code, kind), kind, _filename(row, "dropoff-qr", kind))


@router.get("/{return_id}/dropoff-qr.png", response_class=Response, responses=_content("png"))
async def get_dropoff_qr_png(return_id: ReturnPathId, principal: Reader, db: DbDep) -> Response:
    """A QR code of the label's tracking code: the box-free drop-off reference (portal and email)."""
    return await _qr(db, principal.merchant_id, return_id, "png")


@router.get("/{return_id}/dropoff-qr.svg", response_class=Response, responses=_content("svg"))
async def get_dropoff_qr_svg(return_id: ReturnPathId, principal: Reader, db: DbDep) -> Response:
    """The drop-off QR code as SVG (scales for print and email)."""
    return await _qr(db, principal.merchant_id, return_id, "svg")
