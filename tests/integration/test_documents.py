"""A return's documents over HTTP, from the real stack: label files converted by the EasyPost
sandbox, the packing slip with its RMA barcode, and the drop-off QR code, each read back."""

from __future__ import annotations

import io
import re
import uuid
import xml.etree.ElementTree as ET

import pypdf
import pypdfium2
import pytest
import zxingcpp
from PIL import Image

from domain.rma import parse_rma_code, rma_code
from tests.factories import LINES, create_payment, order_body
from tests.integration.conftest import Running
from tests.integration.test_bad_input import error

pytestmark = pytest.mark.integration

PNG = b"\x89PNG\r\n\x1a\n"


def put_order(run: Running, shop: dict) -> str:
    pi = create_payment(run.settings.stripe_base_url, amount=2 * 2500 + 8999, merchant_id=shop["id"])
    order_id = f"o-{uuid.uuid4().hex[:8]}"
    r = run.api.put(f"/v1/orders/{order_id}", json=order_body(pi), headers=shop["merchant"])
    assert r.status_code == 201, r.text
    return order_id


def new_return(run: Running, shop: dict) -> dict:
    body = {
        "order_id": put_order(run, shop),
        "items": [
            {"line_id": "L1", "quantity": 2, "reason": "too_small"},
            {"line_id": "L2", "quantity": 1, "reason": "defective"},
        ],
        "resolution": "refund",
    }
    r = run.api.post("/v1/returns", json=body, headers=shop["merchant"])
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture
def labelled(running: Running, shop) -> dict:
    """A return of the shop's with a bought label."""
    ret = new_return(running, shop)
    assert ret["status"] == "label_created" and ret["label"]["tracking_code"], ret
    return ret


def barcodes(image: Image.Image) -> list[tuple[str, str]]:
    return [(b.text, b.format.name) for b in zxingcpp.read_barcodes(image)]


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


def first_page(content: bytes) -> Image.Image:
    return pypdfium2.PdfDocument(content)[0].render(scale=3).to_pil()


def svg_qr_image(svg: bytes) -> Image.Image:
    """Draw segno's SVG path back into modules (it uses only M, m and h), so a decoder can read it."""
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    path = root.find("{http://www.w3.org/2000/svg}path")
    scale = float(re.fullmatch(r"scale\(([\d.]+)\)", path.get("transform")).group(1))
    size = round(float(root.get("width")) / scale)
    tokens = re.findall(r"[A-Za-z]|-?\d+(?:\.\d+)?", path.get("d"))
    assert set(t for t in tokens if t.isalpha()) <= {"M", "m", "h"}, "an SVG shape this reader does not know"
    image = Image.new("L", (size, size), 255)
    x = y = 0.0
    i = 0
    while i < len(tokens):
        cmd = tokens[i]
        if cmd in "Mm":
            dx, dy = float(tokens[i + 1]), float(tokens[i + 2])
            x, y = (dx, dy) if cmd == "M" else (x + dx, y + dy)
            i += 3
        else:
            length = float(tokens[i + 1])
            for col in range(round(x), round(x + length)):
                image.putpixel((col, int(y)), 0)  # a line at y = row + 0.5, one module thick
            x += length
            i += 2
    return image.resize((size * 8, size * 8), Image.NEAREST)


def test_the_label_in_each_format_is_the_carriers_file(running: Running, shop, labelled):
    run, ret = running, labelled
    tracking = ret["label"]["tracking_code"]
    path = f"/v1/returns/{ret['id']}/label"

    png = run.api.get(path, headers=shop["merchant"])
    assert png.status_code == 200, png.text
    assert png.headers["content-type"] == "image/png" and png.content.startswith(PNG)
    assert png.headers["content-disposition"] == f'inline; filename="{ret["id"]}-label.png"'
    assert png.content == run.api.get(ret["label"]["label_url"]).content  # the very file the carrier serves
    assert run.api.get(path, params={"format": "png"}, headers=shop["merchant"]).content == png.content

    pdf = run.api.get(path, params={"format": "pdf"}, headers=shop["merchant"])
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert f'filename="{ret["id"]}-label.pdf"' in pdf.headers["content-disposition"]
    assert tracking in pdf_text(pdf.content)

    zpl = run.api.get(path, params={"format": "zpl"}, headers=shop["merchant"])
    assert zpl.status_code == 200, zpl.text
    assert zpl.headers["content-type"] == "application/zpl"
    assert zpl.headers["content-disposition"] == f'attachment; filename="{ret["id"]}-label.zpl"'
    assert zpl.content.startswith(b"^XA") and zpl.content.rstrip().endswith(b"^XZ")
    assert f"^FD{tracking}^FS".encode() in zpl.content  # the barcode field carries the tracking code

    # PDF and ZPL were converted by EasyPost itself, on the return's shipment
    (shipment,) = [
        s for s in run.easypost.get("/_sandbox/shipments", params={"reference": ret["id"]}).json() if s["postage_label"]
    ]
    assert shipment["postage_label"]["label_pdf_url"] and shipment["postage_label"]["label_zpl_url"]


def test_the_packing_slip_lists_the_items_and_its_barcode_scans_back_to_the_return(running: Running, shop, labelled):
    run, ret = running, labelled
    r = run.api.get(f"/v1/returns/{ret['id']}/packing-slip.pdf", headers=shop["merchant"])
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf" and r.content.startswith(b"%PDF")
    assert f'filename="{ret["id"]}-packing-slip.pdf"' in r.headers["content-disposition"]

    text = pdf_text(r.content)
    for expected in (
        ret["id"],
        ret["order_id"],
        ret["label"]["tracking_code"],
        rma_code(ret["id"]),
        "too small",
        "defective",
        *(line["sku"] for line in LINES),
        *(line["title"] for line in LINES),
    ):
        assert expected in text, (expected, text)

    (found,) = barcodes(first_page(r.content))
    assert found == (rma_code(ret["id"]), "Code128")
    assert parse_rma_code(found[0]) == ret["id"]  # what the warehouse scanner reads finds the return


def test_the_dropoff_qr_codes_decode_to_the_tracking_code(running: Running, shop, labelled):
    run, ret = running, labelled
    tracking = ret["label"]["tracking_code"]

    png = run.api.get(f"/v1/returns/{ret['id']}/dropoff-qr.png", headers=shop["merchant"])
    assert png.status_code == 200, png.text
    assert png.headers["content-type"] == "image/png" and png.content.startswith(PNG)
    assert barcodes(Image.open(io.BytesIO(png.content))) == [(tracking, "QRCode")]

    svg = run.api.get(f"/v1/returns/{ret['id']}/dropoff-qr.svg", headers=shop["merchant"])
    assert svg.status_code == 200, svg.text
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert barcodes(svg_qr_image(svg.content)) == [(tracking, "QRCode")]


def test_a_return_without_a_label_has_no_label_documents_but_a_packing_slip(running: Running, shop):
    run = running
    # Every item is worth less than the policy's threshold: the shopper keeps them, nothing is shipped.
    assert (
        run.api.put(
            "/v1/policy", json={"keep_item_below": 1_000_000, "currency": "USD"}, headers=shop["merchant"]
        ).status_code
        == 201
    )
    kept = new_return(run, shop)
    assert kept["label"] is None, kept

    for path in ("label", "label?format=pdf", "dropoff-qr.png", "dropoff-qr.svg"):
        err = error(run.api.get(f"/v1/returns/{kept['id']}/{path}", headers=shop["merchant"]), 404, "no_label")
        assert kept["id"] in err["message"] and "keeps the items" in err["message"] and err["return_status"], err

    slip = run.api.get(f"/v1/returns/{kept['id']}/packing-slip.pdf", headers=shop["merchant"])
    assert slip.status_code == 200 and kept["id"] in pdf_text(slip.content)
    assert "Tracking" not in pdf_text(slip.content)


def test_another_merchants_return_is_not_found(running: Running, shop, labelled):
    run, ret = running, labelled
    paths = ["label", "label?format=pdf", "label?format=zpl", "packing-slip.pdf", "dropoff-qr.png", "dropoff-qr.svg"]
    for path in paths:
        error(run.api.get(f"/v1/returns/{ret['id']}/{path}", headers=run.merchant()), 404, "return_not_found")
        error(
            run.api.get(f"/v1/returns/ret_{uuid.uuid4().hex[:24]}/{path}", headers=shop["merchant"]),
            404,
            "return_not_found",
        )
        error(run.api.get(f"/v1/returns/{ret['id']}/{path}"), 401, "unauthorized")
        error(run.api.get(f"/v1/returns/{ret['id']}/{path}", headers=shop["warehouse"]), 403, "forbidden")


def test_an_unknown_label_format_is_422_naming_format(running: Running, shop, labelled):
    for bad in ("gif", "PNG ", ""):
        err = error(
            running.api.get(f"/v1/returns/{labelled['id']}/label", params={"format": bad}, headers=shop["merchant"]),
            422,
            "invalid_request",
        )
        assert [d["field"] for d in err["details"]] == ["format"], err


def test_an_easypost_failure_is_a_502_and_the_next_request_works(running: Running, shop, labelled):
    run, ret = running, labelled
    path = f"/v1/returns/{ret['id']}/label"
    assert (
        run.easypost.put(
            "/_sandbox/faults", json={"GET /v2/shipments/*/label": {"error_rate": 1.0, "status": 503}}
        ).status_code
        == 200
    )
    try:
        err = error(run.api.get(path, params={"format": "pdf"}, headers=shop["merchant"]), 502, "carrier_error")
        assert "EasyPost could not convert the label to PDF" in err["message"], err
        assert run.api.get(path, headers=shop["merchant"]).status_code == 200  # PNG needs no conversion
    finally:
        assert run.easypost.delete("/_sandbox/faults").status_code == 200
    assert run.api.get(path, params={"format": "pdf"}, headers=shop["merchant"]).content.startswith(b"%PDF")
