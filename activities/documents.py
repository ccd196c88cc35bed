"""The documents a shopper prints or shows: the packing slip (PDF) and the drop-off QR code.

Rendering only: rows in, bytes out; no database, no network. Both renderers are
deterministic (same return, same bytes), so a document can be compared or cached.
Used by the API (GET /v1/returns/{id}/packing-slip.pdf, /dropoff-qr.png|.svg) and by the
label email (activities.email), so the shopper gets the same QR code in both.

The packing slip goes inside the parcel: the warehouse scans its Code128 barcode
(`domain.rma.rma_code`) to find the return when the outside label is torn or
missing. The QR code carries the label's tracking code, the reference a carrier
counter scans for a box-free drop-off.
"""

from __future__ import annotations

import io
from typing import Any, Literal
from xml.sax.saxutils import escape

import segno
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from db.tables import ReturnRecord
from domain.rma import rma_code
from domain.status import ReturnStatus

__all__ = ["QrKind", "dropoff_qr", "live_label", "packing_slip_pdf"]

QrKind = Literal["png", "svg"]

MARGIN = 0.75 * inch
BAR_WIDTH = 1.0  # points per narrow bar (~0.35 mm): scanners want at least 0.25 mm
BAR_HEIGHT = 0.75 * inch

# A cancelled or expired return's label was voided with the carrier: never hand it out again.
_VOIDED = (ReturnStatus.CANCELLED.value, ReturnStatus.EXPIRED.value)


def live_label(row: ReturnRecord) -> dict[str, Any] | None:
    """The return's label as the read model keeps it (shipment_id, tracking_code, label_url, ...), unless voided."""
    return row.label if row.label and row.status not in _VOIDED else None


def _barcode(value: str, width: float) -> Code128:
    """Code128 at the usual bar width, narrowed only as far as needed to fit `width` (long ids)."""
    barcode = Code128(value, barWidth=BAR_WIDTH, barHeight=BAR_HEIGHT, humanReadable=False)
    if barcode.width > width:
        barcode = Code128(value, barWidth=BAR_WIDTH * width / barcode.width, barHeight=BAR_HEIGHT, humanReadable=False)
    return barcode


def _words(reason: str) -> str:
    return reason.replace("_", " ")


def packing_slip_pdf(return_row: ReturnRecord, order_lines: list[dict[str, Any]]) -> bytes:
    """A letter-size PDF: the return, its order, its items, the tracking code and the RMA barcode.

    `order_lines`: the order's lines as stored (id, sku, title, ...), for the items' titles;
    an item whose line is not there is listed without one. Many items flow onto more pages.
    """
    styles = getSampleStyleSheet()
    body, small = styles["BodyText"], styles["Normal"]
    titles = {line.get("id"): line.get("title") or "" for line in order_lines}
    code = rma_code(return_row.id)
    label = live_label(return_row)
    width = LETTER[0] - 2 * MARGIN

    facts = [f"<b>Return</b> {escape(return_row.id)}", f"<b>Order</b> {escape(return_row.order_id)}"]
    if label and label.get("tracking_code"):
        facts.append(f"<b>Tracking</b> {escape(label['tracking_code'])}")
    rows: list[list[Any]] = [["SKU", "Item", "Qty", "Reason"]]
    for item in return_row.items or []:
        rows.append(
            [
                Paragraph(escape(str(item.get("sku", ""))), small),
                Paragraph(escape(titles.get(item.get("line_id"), "")), small),
                str(item.get("quantity", "")),
                Paragraph(escape(_words(str(item.get("reason", "")))), small),
            ]
        )
    items = Table(rows, colWidths=[1.6 * inch, width - 4.0 * inch, 0.6 * inch, 1.8 * inch], repeatRows=1)
    items.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.75, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (2, 0), (2, -1), "RIGHT"),
            ]
        )
    )
    story = [
        Paragraph("Return packing slip", styles["Title"]),
        Paragraph("Put this slip inside the parcel, so the warehouse can match it to your return.", body),
        Spacer(1, 0.2 * inch),
        _barcode(code, width),
        Paragraph(f"<font size=14>{escape(code)}</font>", body),
        Spacer(1, 0.15 * inch),
        *(Paragraph(fact, body) for fact in facts),
        Spacer(1, 0.25 * inch),
        items,
    ]
    out = io.BytesIO()
    # invariant: no creation date or random document id, so the same return renders the same bytes
    doc = SimpleDocTemplate(
        out,
        pagesize=LETTER,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=f"Packing slip {return_row.id}",
        author="Returnflow",
        invariant=True,
    )
    doc.build(story)
    return out.getvalue()


def dropoff_qr(text: str, kind: QrKind) -> bytes:
    """A QR code of `text` (the label's tracking code), as PNG or SVG."""
    if kind not in ("png", "svg"):
        raise ValueError(f"kind must be png or svg, not {kind!r}")
    if not text:
        raise ValueError("a drop-off QR code needs a tracking code")
    out = io.BytesIO()
    # Level M survives a creased or smudged phone screen print; a quiet zone of 4 modules is the standard.
    segno.make_qr(text, error="m").save(out, kind=kind, scale=8, border=4)
    return out.getvalue()
