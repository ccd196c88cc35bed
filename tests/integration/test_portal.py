"""The shopper portal over HTTP, for a real return on the embedded stack: the link, the page, its files."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image

from tests.integration.conftest import Running, poll
from tests.integration.test_end_to_end import create_return, new_order

pytestmark = pytest.mark.integration

PNG, PDF = b"\x89PNG\r\n\x1a\n", b"%PDF-"


def portal_link(run: Running, return_id: str, headers: dict[str, str] | None = None):
    return run.api.get(f"/v1/returns/{return_id}/portal-link", headers=headers or run.merchant())


def test_the_shopper_opens_the_link_and_gets_the_label_and_the_qr_code(running: Running):
    run = running
    ret = create_return(run, new_order(run))
    tracking = ret["label"]["tracking_code"]

    r = portal_link(run, ret["id"])
    assert r.status_code == 200, r.text
    url = r.json()["url"]
    assert url.startswith(f"http://127.0.0.1:{run.settings.api_port}/portal/v1.")
    assert portal_link(run, ret["id"]).json()["url"] == url  # the same link every time
    # The shopper's label email carries the same link.
    mails = poll(
        lambda: [
            m
            for m in run.mail.get(
                "/_sandbox/messages", params={"to": "sam.shopper@example.com", "content": "false"}
            ).json()
            if tracking in m["text"]
        ],
        bool,
        60,
        "the label email",
    )
    assert url in mails[0]["text"]

    page = run.api.get(url)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = page.text
    assert "Label ready" in text and "Pack your items and send the parcel" in text
    assert tracking in text and ret["label"]["carrier"] in text
    assert "TEE-BLK-M" in text and "SHOE-42" in text and "Too small" in text and "Faulty" in text
    assert "Return requested" in text  # the timeline
    for private in ("sam.shopper@example.com", "Montgomery", "94104", "Shopper"):
        assert private not in text

    qr = run.api.get(f"{url}/dropoff-qr.png")
    assert qr.status_code == 200 and qr.content.startswith(PNG)
    assert [b.text for b in zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.content)))] == [tracking]
    svg = run.api.get(f"{url}/dropoff-qr.svg")
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    label = run.api.get(f"{url}/label.png")
    assert label.status_code == 200 and label.content.startswith(PNG)
    # the same file the merchant's documents endpoint serves (one download code for both)
    assert label.content == run.api.get(f"/v1/returns/{ret['id']}/label", headers=run.merchant()).content
    pdf = run.api.get(f"{url}/label.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(PDF)


def test_a_tampered_link_is_a_404_page_and_another_merchant_gets_no_link(running: Running, shop: dict):
    run = running
    ret = create_return(run, new_order(run))
    url = portal_link(run, ret["id"]).json()["url"]
    tampered = url[:-2] + ("AA" if not url.endswith("AA") else "BB")
    for bad in (tampered, f"{tampered}/label.png", f"{tampered}/dropoff-qr.png", url.rsplit(".", 1)[0]):
        r = run.api.get(bad)
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/html"), bad
        assert "This link is not valid" in r.text and "Traceback" not in r.text

    r = portal_link(run, ret["id"], headers=shop["merchant"])  # the demo merchant's return, asked by another
    assert r.status_code == 404 and r.json()["error"]["code"] == "return_not_found"
    assert portal_link(run, "ret_does_not_exist").status_code == 404
