"""The documents a shopper prints or shows: the packing slip (PDF) and the drop-off QR code.

Rendering only: rows in, bytes out; no database, no network. Both renderers are
deterministic (same return, same bytes), so a document can be compared or cached.
The slip speaks the shopper's language and sits on the merchant's paper (A4 in Europe, else
Letter): the caller passes both as an `activities.audience.Audience`; without one, English on Letter.
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
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from activities.audience import ENGLISH, Audience
from activities.translations import gettext_for
from db.tables import ReturnRecord
from domain.money import Money
from domain.rma import rma_code
from domain.shopper_locale import moment, money
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


def N_(message: str) -> str:
    """Marks a string for the catalogue; it is translated where it is shown."""
    return message


REASONS = {
    "too_small": N_("too small"),
    "too_large": N_("too large"),
    "defective": N_("defective"),
    "not_as_described": N_("not as described"),
    "wrong_item": N_("wrong item"),
    "damaged_in_transit": N_("damaged in transit"),
    "changed_mind": N_("changed mind"),
    "arrived_late": N_("arrived late"),
}


def _printable(text: str) -> str:
    """The PDF's standard fonts have no narrow no-break space (CLDR puts it in French thousands, English times)."""
    return text.replace("\u202f", "\u00a0")


def _value(line: dict[str, Any] | None, quantity: Any, currency: str | None, language: str) -> str:
    """The returned quantity at the order's unit price, as the language writes money; blank when unknown."""
    price = (line or {}).get("unit_price")
    if not currency or not isinstance(price, int) or not isinstance(quantity, int) or price < 0 or quantity < 0:
        return ""
    return _printable(money(Money(amount=price * quantity, currency=currency), language))


def packing_slip_pdf(
    return_row: ReturnRecord,
    order_lines: list[dict[str, Any]],
    audience: Audience = ENGLISH,
    currency: str | None = None,
) -> bytes:
    """A PDF in the shopper's language, on the merchant's paper (A4 in Europe, else Letter): the return, its
    order, its items (with their value when the order's `currency` is given), the tracking code, the RMA barcode.

    `order_lines`: the order's lines as stored (id, sku, title, unit_price, ...), for the items' titles;
    an item whose line is not there is listed without one. Many items flow onto more pages.
    """
    _ = gettext_for(audience.language)
    styles = getSampleStyleSheet()
    body, small = styles["BodyText"], styles["Normal"]
    lines = {line.get("id"): line for line in order_lines}
    code = rma_code(return_row.id)
    label = live_label(return_row)
    pagesize = A4 if audience.paper == "A4" else LETTER
    width = pagesize[0] - 2 * MARGIN

    def fact(name: str, value: str) -> str:
        return f"<b>{escape(name)}</b> {escape(value)}"

    facts = [fact(_("Return number"), return_row.id), fact(_("Order number"), return_row.order_id)]
    if return_row.created_at is not None and return_row.created_at.tzinfo is not None:
        when = _printable(moment(return_row.created_at, audience.language, audience.timezone, "short"))
        facts.append(fact(_("Requested on"), when))
    if label and label.get("tracking_code"):
        facts.append(fact(_("Tracking code"), label["tracking_code"]))
    rows: list[list[Any]] = [[_("Article number"), _("Product"), _("Quantity"), _("Reason for return"), _("Value")]]
    for item in return_row.items or []:
        line = lines.get(item.get("line_id"))
        reason = str(item.get("reason", ""))
        rows.append(
            [
                Paragraph(escape(str(item.get("sku", ""))), small),
                Paragraph(escape((line or {}).get("title") or ""), small),
                str(item.get("quantity", "")),
                Paragraph(escape(_(REASONS[reason]) if reason in REASONS else reason.replace("_", " ")), small),
                _value(line, item.get("quantity"), currency, audience.language),
            ]
        )
    columns = [1.4 * inch, width - 4.4 * inch, 0.5 * inch, 1.5 * inch, 1.0 * inch]
    items = Table(rows, colWidths=columns, repeatRows=1)
    items.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.75, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (2, 0), (2, -1), "RIGHT"),
                ("ALIGN", (4, 0), (4, -1), "RIGHT"),
            ]
        )
    )
    story = [
        Paragraph(escape(_("Return packing slip")), styles["Title"]),
        Paragraph(escape(_("Put this slip inside the parcel, so the warehouse can match it to your return.")), body),
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
        pagesize=pagesize,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=_("Packing slip %(return_id)s") % {"return_id": return_row.id},
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
