"""Rendering the documents alone (no stack): what the HTTP tests cannot reach cheaply."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pypdf
import pypdfium2
import pytest
import segno
import zxingcpp
from PIL import Image

from api.documents import dropoff_qr, packing_slip_pdf
from db.tables import ReturnRecord
from domain.rma import rma_code

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
LABEL = {"shipment_id": "shp_1", "tracking_code": "9400100000000000000042", "label_url": "http://x/l.png"}
LINES = [{"id": "L1", "sku": "TEE-M", "title": "T-shirt <b>bold</b> & Café 東京"}, {"id": "L2", "sku": "SHOE-42"}]


def row(**kw) -> ReturnRecord:
    fields = dict(
        id="ret_0123456789abcdef01234567",
        merchant_id="m",
        order_id="o-1",
        status="label_created",
        resolution="refund",
        label=LABEL,
        request_fingerprint="f",
        created_at=NOW,
        updated_at=NOW,
        items=[
            {"line_id": "L1", "sku": "TEE-M", "quantity": 2, "reason": "too_small"},
            {"line_id": "L2", "sku": "SHOE-42", "quantity": 1, "reason": "not_as_described"},
            {"line_id": "L9", "sku": "GONE", "quantity": 1, "reason": "changed_mind"},
        ],
    )
    return ReturnRecord(**{**fields, **kw})


def text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def first_page_barcodes(pdf: bytes) -> list[str]:
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=3).to_pil()
    return [b.text for b in zxingcpp.read_barcodes(image)]


def test_the_same_return_renders_the_same_bytes():
    assert packing_slip_pdf(row(), LINES) == packing_slip_pdf(row(), LINES)


def test_titles_are_text_not_markup_and_unknown_lines_are_listed_without_one():
    (page,) = text(packing_slip_pdf(row(), LINES))
    assert "T-shirt <b>bold</b> & Caf" in page  # printed as typed, not as bold
    assert "GONE" in page and "changed mind" in page and "not as described" in page


def test_a_voided_label_is_not_printed():
    assert "Tracking" in text(packing_slip_pdf(row(), LINES))[0]
    for status in ("cancelled", "expired"):
        assert "Tracking" not in text(packing_slip_pdf(row(status=status), LINES))[0]


def test_many_items_flow_onto_more_pages_with_the_header_repeated():
    many = [{"line_id": "L1", "sku": f"SKU-{i:03}", "quantity": 1, "reason": "too_small"} for i in range(150)]
    pages = text(packing_slip_pdf(row(items=many), LINES))
    assert len(pages) > 2
    assert all("SKU" in page and "Reason" in page for page in pages)
    assert "SKU-000" in pages[0] and "SKU-149" in pages[-1]


@pytest.mark.parametrize("return_id", ["ret_0123456789abcdef01234567", "r" * 64])
def test_the_barcode_reads_back_even_for_the_longest_id(return_id):
    assert first_page_barcodes(packing_slip_pdf(row(id=return_id), LINES)) == [rma_code(return_id)]


def test_qr_codes_are_plain_segno_output_of_the_text():
    png = dropoff_qr("EZ1000000001", "png")
    assert [b.text for b in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))] == ["EZ1000000001"]
    expected = io.BytesIO()
    segno.make_qr("EZ1000000001", error="m").save(expected, kind="svg", scale=8, border=4)
    assert dropoff_qr("EZ1000000001", "svg") == expected.getvalue()
    with pytest.raises(ValueError):
        dropoff_qr("EZ1000000001", "gif")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        dropoff_qr("", "png")
