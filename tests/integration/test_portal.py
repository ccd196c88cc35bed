"""The shopper portal over HTTP, for a real return on the embedded stack: the link, the page, its files."""

from __future__ import annotations

import io
import re
import uuid

import httpx
import pytest
import zxingcpp
from PIL import Image

from tests.factories import CUSTOMER, create_payment, order_body
from tests.integration.conftest import Running, poll
from tests.integration.test_end_to_end import create_return, new_order, return_body

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
    # the demo shop is Dutch, so is the return (its recorded language)
    assert '<html lang="nl">' in text and "Label klaar" in text and "Pak je artikelen in en verstuur het pakket" in text
    assert tracking in text and ret["label"]["carrier"] in text
    assert "TEE-BLK-M" in text and "SHOE-42" in text and "Te klein" in text and "Defect" in text
    assert "Retour aangevraagd" in text  # the timeline
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


# ---- the shop's returns page: find the order, follow and change a return (#13) ----


def browser(run: Running) -> httpx.Client:
    """A shopper's browser: keeps its cookies, follows nothing by itself."""
    return httpx.Client(base_url=run.settings.api_base_url, timeout=60, follow_redirects=False)


def csrf(page: httpx.Response) -> str:
    assert page.status_code == 200, page.text
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def dutch_shop(run: Running, shop: dict) -> str:
    settings = {"display_name": "Fietsenwinkel", "locale": "nl", "timezone": "Europe/Amsterdam"}
    assert run.api.put("/v1/merchant", json=settings, headers=shop["merchant"]).status_code == 200
    return shop["id"]  # its slug


def shop_order(run: Running, shop: dict) -> str:
    pi = create_payment(run.settings.stripe_base_url, amount=2 * 2500 + 8999, merchant_id=shop["id"])
    order_id = f"o-{uuid.uuid4().hex[:8]}"
    assert run.api.put(f"/v1/orders/{order_id}", json=order_body(pi), headers=shop["merchant"]).status_code == 201
    return order_id


def shop_return(run: Running, shop: dict, order_id: str) -> dict:
    r = run.api.post("/v1/returns", json=return_body(order_id), headers=shop["merchant"])
    assert r.status_code == 201, r.text
    return r.json()


def find(shopper: httpx.Client, slug: str, order_id: str, contact: str) -> httpx.Response:
    token = csrf(shopper.get(f"/portal/{slug}"))
    return shopper.post(
        f"/portal/{slug}/find", data={"csrf_token": token, "order_number": order_id, "contact": contact}
    )


def test_a_dutch_shopper_finds_the_order_and_sees_only_its_returns(running: Running, shop: dict):
    run = running
    slug = dutch_shop(run, shop)
    mine, other = shop_order(run, shop), shop_order(run, shop)
    ret, elsewhere = shop_return(run, shop, mine), shop_return(run, shop, other)
    with browser(run) as shopper:
        home = shopper.get(f"/portal/{slug}")
        assert '<html lang="nl">' in home.text and "Zoek je bestelling" in home.text and "Fietsenwinkel" in home.text
        wrong = [find(shopper, slug, mine, "iemand@example.com"), find(shopper, slug, "o-nope", CUSTOMER["email"])]
        assert [w.status_code for w in wrong] == [422, 422] and wrong[0].content == wrong[1].content
        found = find(shopper, slug, mine, CUSTOMER["email"].upper())
        assert found.status_code == 303 and found.headers["location"] == f"/portal/{slug}/order"
        page = shopper.get(f"/portal/{slug}/order")
        assert page.status_code == 200 and "Je bestelling" in page.text and "Label klaar" in page.text
        links = re.findall(r'href="(http[^"]+/portal/v1\.[^"]+)"', page.text)
        assert links == [run.api.get(f"/v1/returns/{ret['id']}/portal-link", headers=shop["merchant"]).json()["url"]]
        assert elsewhere["id"] not in page.text
        follow = shopper.get(links[0])
        assert (
            follow.status_code == 200 and "Label klaar" in follow.text and ret["label"]["tracking_code"] in follow.text
        )
        # the session is this shop's only
        assert shopper.get("/portal/demo/order").status_code == 303


def test_the_shopper_cancels_the_return_from_its_page(running: Running, shop: dict):
    run = running
    dutch_shop(run, shop)
    ret = shop_return(run, shop, shop_order(run, shop))
    url = run.api.get(f"/v1/returns/{ret['id']}/portal-link", headers=shop["merchant"]).json()["url"]
    with browser(run) as shopper:
        token = csrf(shopper.get(url))
        assert shopper.post(f"{url}/cancel", data={"confirm": "yes"}).status_code == 403  # no CSRF token: refused
        assert run.api.get(f"/v1/returns/{ret['id']}", headers=shop["merchant"]).json()["status"] == "label_created"
        r = shopper.post(f"{url}/cancel", data={"csrf_token": token, "confirm": "yes"})
        assert r.status_code == 303 and r.headers["location"].endswith("?done=cancelled"), r.text
        poll(
            lambda: run.api.get(f"/v1/returns/{ret['id']}", headers=shop["merchant"]).json()["status"],
            lambda s: s == "cancelled",
            60,
            "cancelled",
        )
        page = shopper.get(r.headers["location"])
        assert "Je retour is geannuleerd." in page.text and "Deze retour annuleren" not in page.text
        # once more (a second tab): a sentence, not a 500
        again = shopper.post(f"{url}/cancel", data={"csrf_token": token, "confirm": "yes"})
        assert again.status_code == 409 and "kan niet meer worden geannuleerd" in again.text


def test_the_shopper_books_and_cancels_a_pickup_from_the_return_page(running: Running, shop: dict):
    run = running
    dutch_shop(run, shop)
    ret = shop_return(run, shop, shop_order(run, shop))
    url = run.api.get(f"/v1/returns/{ret['id']}/portal-link", headers=shop["merchant"]).json()["url"]
    with browser(run) as shopper:
        page = shopper.get(url)
        windows = re.findall(r'name="window" value="([^"]+)"', page.text)
        assert len(windows) == 10
        booked = shopper.post(
            f"{url}/pickup", data={"csrf_token": csrf(page), "window": windows[1], "instructions": "Achterdeur"}
        )
        assert booked.status_code == 303 and booked.headers["location"].endswith("?done=pickup_booked"), booked.text
        pickup = run.api.get(f"/v1/returns/{ret['id']}", headers=shop["merchant"]).json()["label"]["pickup"]
        day = windows[1].rsplit("-", 1)[0]
        assert pickup["status"] == "scheduled" and pickup["window"]["instructions"] == "Achterdeur"
        assert pickup["window"]["min_datetime"].startswith(f"{day}T1")  # 13:00 Amsterdam is 12:00 UTC (winter)
        page = shopper.get(booked.headers["location"])
        assert "Je ophaalafspraak is gemaakt." in page.text and "Achterdeur" in page.text
        assert f'action="{url.split(run.settings.public_url)[-1]}/pickup/cancel"' in page.text
        cancelled = shopper.post(f"{url}/pickup/cancel", data={"csrf_token": csrf(page)})
        assert cancelled.status_code == 303, cancelled.text
        pickup = run.api.get(f"/v1/returns/{ret['id']}", headers=shop["merchant"]).json()["label"]["pickup"]
        assert pickup["status"] == "cancelled"
        again = shopper.post(f"{url}/pickup/cancel", data={"csrf_token": csrf(page)})
        assert again.status_code == 409 and "kan niet meer worden geannuleerd" in again.text
