"""A Dutch shopper adds photos of a defective swimsuit in Chromium (the starter policy wants photos for a defective
hygiene item): with JavaScript htmx swaps the item's photo block in place, a text file named like a photo is refused
in Dutch, the page stays accessible (axe); without JavaScript the upload comes back to the items page. The return
the shopper confirms holds the photo, and ops download it without its location."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Browser, Page

from activities.translations import gettext_for
from tests.factories import create_payment, order_body
from tests.integration.conftest import Running
from tests.integration.portal_browser import (
    NL_CUSTOMER,
    POSTCODE,
    Shop,
    assert_accessible,
    browser,  # noqa: F401  (the module's one Chromium)
    context,
    new_shop,
)
from tests.photo_samples import GPS_IFD, jpeg_with_gps, opened

pytestmark = pytest.mark.integration
_ = gettext_for("nl")
SWIMSUIT = {
    "id": "S1",
    "sku": "SWIM-38",
    "title": "Badpak 38",
    "quantity": 1,
    "unit_price": 3995,
    "category": "swimwear",
}
RETURN_PAGE = re.compile(r"/portal/v1\.[^/?]+$")


def swimsuit_order(run: Running, shop: Shop) -> str:
    pi = create_payment(run.settings.stripe_base_url, amount=3995, currency="eur", merchant_id=shop.id)
    order_id = f"NL{uuid.uuid4().hex[:8].upper()}"
    body = order_body(pi, currency="EUR", lines=[SWIMSUIT], customer=NL_CUSTOMER)
    assert run.api.put(f"/v1/orders/{order_id}", json=body, headers=shop.headers()).status_code == 201
    return order_id


def to_the_items(page: Page, run: Running, shop: Shop, order_id: str) -> None:
    page.goto(f"{run.settings.api_base_url}/portal/{shop.slug}?lang=nl")
    page.get_by_label(_("Order number")).fill(order_id)
    page.get_by_label(_("Email address or postcode")).fill(POSTCODE)
    page.get_by_role("button", name=_("Find my order")).click()
    page.wait_for_url(re.compile(rf"/portal/{shop.slug}/order"))
    page.get_by_role("link", name=_("Start a return")).click()
    page.wait_for_url(re.compile(r"/start"))


def choose_photo(page: Page, name: str, data: bytes) -> None:
    item = page.get_by_role("group", name=SWIMSUIT["title"])
    item.get_by_label(_("Add a photo of this item")).set_input_files(
        files=[{"name": name, "mimeType": "image/jpeg", "buffer": data}]
    )
    item.get_by_role("button", name=_("Upload photo")).click()


@pytest.fixture(scope="module")
def shop(running: Running) -> Shop:
    return new_shop(running)


def test_a_shopper_adds_photos_with_htmx_and_ops_see_them_on_the_return(
    running: Running,
    browser: Browser,  # noqa: F811
    shop: Shop,
):
    run = running
    order_id = swimsuit_order(run, shop)
    ctx = context(browser, "desktop", "nl")
    try:
        page = ctx.new_page()
        to_the_items(page, run, shop, order_id)
        item = page.get_by_role("group", name=SWIMSUIT["title"])
        item.get_by_label(_("How many to return")).select_option("1")
        item.get_by_label(_("Reason")).select_option("defective")
        url = page.url

        choose_photo(page, "x.jpg", b"this is a text file, not a photo\n" * 30)
        refusal = item.get_by_role("alert")
        refusal.wait_for()
        assert "Dit bestand is geen foto die we kunnen gebruiken." in refusal.inner_text()
        assert page.url == url  # swapped in place: the choices made above are still there
        assert item.get_by_label(_("Reason")).input_value() == "defective"
        assert item.get_by_label(_("How many to return")).input_value() == "1"

        choose_photo(page, "IMG_0007.JPG", jpeg_with_gps())
        thumbnail = item.locator(".photos img")
        thumbnail.wait_for()
        # decode() settles once the image has loaded (and fails if it cannot be shown): no waiting by the clock.
        assert thumbnail.evaluate("img => img.decode().then(() => img.naturalWidth)") == 30, "the photo did not load"
        assert thumbnail.get_attribute("alt") == "Foto 1 van dit artikel" and item.get_by_role("alert").count() == 0
        assert "1 van 5 foto’s toegevoegd" in item.inner_text()
        assert_accessible(page, "items with a photo (nl)")

        for choose in (None, 'input[name="resolution"][value="refund"]', 'input[name="send_method"][value="label"]'):
            if choose:
                page.locator(choose).check()
            page.get_by_role("button", name=_("Continue")).click()
            page.wait_for_load_state("load")
            assert page.get_by_role("alert").count() == 0, page.get_by_role("alert").all_inner_texts()
        page.get_by_role("button", name=_("Confirm the return")).click()
        page.wait_for_url(RETURN_PAGE)
    finally:
        ctx.close()

    [ret] = run.api.get(f"/v1/orders/{order_id}", headers=shop.headers()).json()["returns"]
    ops = run.api.get(f"/v1/returns/{ret['id']}/photos", headers=shop.headers()).json()["data"]
    assert [(p["line_id"], p["content_type"]) for p in ops] == [("S1", "image/jpeg")]
    kept = run.api.get(ops[0]["url"], headers=shop.headers()).content
    assert not opened(kept).getexif().get_ifd(GPS_IFD) and b"SnoopPhone" not in kept


def test_without_javascript_the_upload_comes_back_to_the_items_page(
    running: Running,
    browser: Browser,  # noqa: F811
    shop: Shop,
):
    run = running
    order_id = swimsuit_order(run, shop)
    ctx = browser.new_context(locale="nl", extra_http_headers={"Accept-Language": "nl"}, java_script_enabled=False)
    try:
        page = ctx.new_page()
        to_the_items(page, run, shop, order_id)
        item = page.get_by_role("group", name=SWIMSUIT["title"])
        item.get_by_label(_("How many to return")).select_option("1")  # chosen before the upload: kept after
        item.get_by_label(_("Reason")).select_option("defective")
        choose_photo(page, "IMG_0008.JPG", jpeg_with_gps())
        page.wait_for_url(re.compile(rf"/portal/{shop.slug}/photos$"))  # the items step, answered to the form
        item = page.get_by_role("group", name=SWIMSUIT["title"])
        assert item.locator(".photos img").count() == 1 and "1 van 5 foto’s toegevoegd" in item.inner_text()
        assert item.get_by_label(_("Reason")).input_value() == "defective"
        assert item.get_by_label(_("How many to return")).input_value() == "1"
    finally:
        ctx.close()
