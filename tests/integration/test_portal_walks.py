"""A shopper walks the whole portal in Chromium, for each way to send the parcel (label, QR drop-off, pickup,
store) and each outcome (refund, store credit, exchange, keeping the item), in Dutch and English (a pairwise
cover; one English walk starts in a Dutch browser and switches language with the switcher; one runs without
JavaScript, plain forms only), and the merchant API reads back the return they made. Each step is photographed at desktop and mobile
width under .data/screenshots/<walk>/ for people to look at.

Fields are found by their label, in the shopper's language as the catalogues word it: a field a screen reader
cannot name is a field this test cannot fill.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, Page

from activities.portal_links import read_portal_token
from activities.translations import gettext_for
from api.shopper.web import NATIVE_NAMES
from tests.integration.conftest import Running, poll
from tests.integration.portal_browser import (
    EMAIL,
    NL_LINES,
    POSTCODE,
    STORE,
    WIDTHS,
    Shop,
    api_return,
    browser,  # noqa: F401  (the module's one Chromium)
    choices,
    context,
    new_order,
    new_shop,
    screenshot,
    store_key,
)

pytestmark = pytest.mark.integration

TITLES = {line["id"]: line["title"] for line in NL_LINES}
REPLACEMENT = {"L1": "TEE-BLK-L", "L2": "SHOE-43"}
RETURN_PAGE = re.compile(r"/portal/v1\.[^/?]+$")


@dataclass(frozen=True)
class Choice:
    name: str
    lang: str
    resolution: str  # refund | store_credit | exchange
    send: str | None  # label | qr | pickup | store; None: the policy lets the shopper keep the items
    line: str = "L1"
    switch: bool = False  # a Dutch browser; the shopper picks `lang` in the language switcher instead of ?lang=
    javascript: bool = True  # False: plain forms only (no htmx)


Seen = Callable[[str], None]  # called at each step with its name (screenshots, axe)


def find_order(
    page: Page, base: str, shop: Shop, order_id: str, lang: str, contact: str, seen: Seen, switch: bool = False
) -> None:
    _ = gettext_for(lang)
    if switch:  # the page opens in the browser's Dutch; the switcher names each language in itself
        page.goto(f"{base}/portal/{shop.slug}")
        assert page.locator("html").get_attribute("lang") == "nl"
        switcher = page.get_by_role("navigation", name=gettext_for("nl")("Language"))
        switcher.get_by_role("link", name=NATIVE_NAMES[lang]).click()
        page.wait_for_load_state("load")
    else:
        page.goto(f"{base}/portal/{shop.slug}?lang={lang}")
    assert page.locator("html").get_attribute("lang") == lang
    seen("1-find")
    page.get_by_label(_("Order number")).fill(order_id)
    page.get_by_label(_("Email address or postcode")).fill(contact)
    page.get_by_role("button", name=_("Find my order")).click()
    page.wait_for_url(re.compile(rf"/portal/{shop.slug}/order"))
    seen("2-order")


def start_return(page: Page, choice: Choice, seen: Seen) -> None:
    """From the order's page to the created return's page."""
    _ = gettext_for(choice.lang)
    page.get_by_role("link", name=_("Start a return")).click()
    page.wait_for_url(re.compile(r"/start"))
    seen("3-items")
    item = page.get_by_role("group", name=TITLES[choice.line])
    item.get_by_label(_("How many to return")).select_option("1")
    item.get_by_label(_("Reason")).select_option("too_small")
    next_step(page, choice.lang)

    page.locator(f'input[name="resolution"][value="{choice.resolution}"]').check()
    if choice.resolution == "exchange":
        page.get_by_label(TITLES[choice.line]).select_option(REPLACEMENT[choice.line])
    seen("4-resolution")
    next_step(page, choice.lang)

    if choice.send is not None:
        page.locator(f'input[name="send_method"][value="{choice.send}"]').check()
        if choice.send == "pickup":
            page.get_by_label(_("Pickup time (for a pickup)")).select_option(index=1)
        if choice.send == "store":
            page.locator(f'input[name="store"][value="{STORE["id"]}"]').check()
        seen("5-send")
        next_step(page, choice.lang)

    confirm = page.get_by_role("button", name=_("Confirm the return"))
    assert confirm.is_visible(), f"no confirm step in {choice.name}: {page.inner_text('main')[:800]}"
    seen("6-confirm")
    confirm.click()
    page.wait_for_url(RETURN_PAGE)
    seen("7-return")


def next_step(page: Page, lang: str) -> None:
    before = page.url + page.inner_text("h2")
    page.get_by_role("button", name=gettext_for(lang)("Continue")).click()
    page.wait_for_load_state("load")
    alert = page.get_by_role("alert")
    assert alert.count() == 0, f"the step refused the form: {alert.all_inner_texts()}"
    assert page.url + page.inner_text("h2") != before, "Continue stayed on the same step"


def return_id_of(run: Running, page: Page) -> str:
    """The return whose page the browser is on (its link's signed token names it)."""
    token = page.url.rsplit("/", 1)[-1].split("?")[0]
    ids = read_portal_token(token, run.settings.portal_secret)
    assert ids is not None, f"{page.url} is not a return's page"
    return ids[1]


def photographer(page: Page, walk: str) -> Seen:
    """Each step at desktop width, then at mobile width, then back (the walk goes on at desktop)."""

    def seen(step: str) -> None:
        screenshot(page, walk, step, "desktop")
        page.set_viewport_size(WIDTHS["mobile"])
        screenshot(page, walk, step, "mobile")
        page.set_viewport_size(WIDTHS["desktop"])

    return seen


@pytest.fixture(scope="module")
def shop(running: Running) -> Shop:
    return new_shop(running)


WALKS = [
    Choice("label-refund-nl", "nl", "refund", "label"),
    Choice("qr-store-credit-en", "en", "store_credit", "qr", switch=True),
    Choice("pickup-exchange-nl", "nl", "exchange", "pickup"),
    Choice("no-javascript-label-exchange-en", "en", "exchange", "label", line="L2", javascript=False),
    Choice("store-refund-en", "en", "refund", "store", line="L2"),
    Choice("keep-item-refund-en", "en", "refund", None, line="L3"),
    Choice("keep-item-store-credit-nl", "nl", "store_credit", None, line="L3"),
]


@pytest.mark.parametrize("choice", WALKS, ids=[w.name for w in WALKS])
def test_a_shopper_walks_the_portal_and_the_merchant_reads_the_return(
    running: Running,
    browser: Browser,  # noqa: F811
    shop: Shop,
    choice: Choice,
):
    run = running
    order_id = new_order(run, shop)
    ctx = context(browser, "desktop", "nl" if choice.switch else choice.lang, javascript=choice.javascript)
    try:
        page = ctx.new_page()
        seen = photographer(page, choice.name)
        contact = POSTCODE if choice.lang == "nl" else EMAIL.upper()  # either, as the shopper types it
        find_order(page, run.settings.api_base_url, shop, order_id, choice.lang, contact, seen, choice.switch)
        start_return(page, choice, seen)
        return_id = return_id_of(run, page)
        assert page.locator("html").get_attribute("lang") == choice.lang
        shown = page.inner_text("main")
        assert return_id in shown and order_id in shown
        scanned = ""
        if choice.send is not None:  # the drop-off or return-code QR code is an image that loads
            qr = page.locator("img.qr").first
            assert qr.evaluate("img => img.complete && img.naturalWidth > 0"), "the QR code did not load"
        if choice.send == "store":
            assert STORE["name"] in shown
        if choice.send in ("qr", "store"):  # the chosen way's code, as a scanner reads it off the shopper's screen
            scanned = read_qr(page.locator("img.qr.big").screenshot())
    finally:
        ctx.close()

    ret = api_return(run, shop, return_id)
    assert ret["order_id"] == order_id and ret["resolution"] == choice.resolution
    assert [(i["line_id"], i["quantity"], i["reason"]) for i in ret["items"]] == [(choice.line, 1, "too_small")]
    chosen = choices(run, shop, return_id)
    assert chosen.language == choice.lang
    if choice.send is None:
        kept(run, shop, ret, choice)
    else:
        assert chosen.send_method == choice.send
        if choice.send == "store":
            handed_in_at_the_store(run, shop, return_id, scanned)
        else:
            SENT[choice.send](run, shop, return_id)
        if choice.send == "qr":  # box-free: the drop-off point prints the label the code names
            assert scanned == api_return(run, shop, return_id)["label"]["tracking_code"]
    if choice.resolution == "exchange":
        replacements = ret["exchange"]["replacements"]
        assert [(x["sku"], x["quantity"]) for x in replacements] == [(REPLACEMENT[choice.line], 1)], ret["exchange"]


def labelled(run: Running, shop: Shop, return_id: str) -> None:
    ret = poll(lambda: api_return(run, shop, return_id), lambda r: r["label"] is not None, 60, "the label")
    assert ret["status"] == "label_created" and ret["label"]["tracking_code"] and ret["label"]["pickup"] is None


def picked_up(run: Running, shop: Shop, return_id: str) -> None:
    ret = poll(
        lambda: api_return(run, shop, return_id),
        lambda r: r["label"] is not None and r["label"].get("pickup") is not None,
        60,
        "the pickup booked",
    )
    assert ret["label"]["pickup"]["confirmation"], ret["label"]


def read_qr(png: bytes) -> str:
    codes = [b.text for b in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]
    assert len(codes) == 1, f"expected one QR code on screen, read {codes}"
    return codes[0]


def handed_in_at_the_store(run: Running, shop: Shop, return_id: str, scanned: str) -> None:
    """No label is bought; the store's staff scan the code on the shopper's screen with a store key, and the
    return is received there."""
    ret = poll(lambda: api_return(run, shop, return_id), lambda r: r["status"] != "requested", 60, "hand-in wait")
    assert ret["status"] == "awaiting_hand_in" and ret["label"] is None, ret
    assert choices(run, shop, return_id).store_id == STORE["id"]
    r = run.api.post(f"/v1/stores/{STORE['id']}/receipts", json={"code": scanned}, headers=store_key(run, shop))
    assert r.status_code == 200, r.text
    poll(lambda: api_return(run, shop, return_id)["status"], lambda s: s == "received", 60, "received at the store")


SENT = {"label": labelled, "qr": labelled, "pickup": picked_up}


def kept(run: Running, shop: Shop, ret: dict, choice: Choice) -> None:
    assert ret["label"] is None and ret["status"] in ("settling", "completed"), ret
    done = poll(lambda: api_return(run, shop, ret["id"]), lambda r: r["refund"] is not None, 60, "the payout")
    assert done["refund"]["method"] == choice.resolution and done["refund"]["currency"] == "EUR", done["refund"]


def test_a_dutch_shopper_cancels_on_the_return_page(running: Running, browser: Browser, shop: Shop):  # noqa: F811
    run = running
    order_id = new_order(run, shop)
    choice = Choice("cancel-nl", "nl", "refund", "label")
    _ = gettext_for("nl")
    ctx = context(browser, "desktop", "nl")
    try:
        page = ctx.new_page()
        seen = photographer(page, choice.name)
        find_order(page, run.settings.api_base_url, shop, order_id, "nl", POSTCODE, lambda step: None)
        start_return(page, choice, lambda step: None)
        return_id = return_id_of(run, page)
        page.get_by_label(_("Yes, I want to cancel this return")).check()
        page.get_by_role("button", name=_("Cancel this return")).click()
        page.wait_for_load_state("load")
        poll(lambda: api_return(run, shop, return_id)["status"], lambda s: s == "cancelled", 60, "the cancel")
        page.reload()
        assert _("This return was cancelled.") in page.inner_text("main")
        assert page.get_by_role("button", name=_("Cancel this return")).count() == 0
        seen("cancelled")
    finally:
        ctx.close()


def test_a_dutch_shopper_books_then_cancels_a_pickup_on_the_return_page(
    running: Running,
    browser: Browser,  # noqa: F811
    shop: Shop,
):
    run = running
    _ = gettext_for("nl")
    body = {
        "order_id": new_order(run, shop),
        "items": [{"line_id": "L2", "quantity": 1, "reason": "too_small"}],
        "resolution": "refund",
        "send_method": "label",
    }
    r = run.api.post("/v1/returns", json=body, headers=shop.headers())
    assert r.status_code == 201, r.text
    return_id = r.json()["id"]
    url = run.api.get(f"/v1/returns/{return_id}/portal-link", headers=shop.headers()).json()["url"]
    ctx = context(browser, "desktop", "nl")
    try:
        page = ctx.new_page()
        seen = photographer(page, "pickup-on-the-return-page-nl")
        page.goto(url)  # the return's recorded language: Dutch
        seen("1-label-ready")
        page.locator("#pickup-times").get_by_role("radio").first.check()
        page.get_by_label(_("Note for the driver")).fill("Achterdeur, bel twee keer")
        page.get_by_role("button", name=_("Book the pickup")).click()
        page.wait_for_load_state("load")
        booked = poll(
            lambda: api_return(run, shop, return_id)["label"]["pickup"],
            lambda p: p is not None and p["status"] == "scheduled",
            60,
            "the pickup booked",
        )
        assert booked["window"]["instructions"] == "Achterdeur, bel twee keer", booked
        page.goto(url)
        seen("2-pickup-booked")
        page.get_by_role("button", name=_("Cancel the pickup")).click()
        page.wait_for_load_state("load")
        poll(
            lambda: api_return(run, shop, return_id)["label"]["pickup"]["status"],
            lambda s: s == "cancelled",
            60,
            "the pickup cancelled",
        )
        page.goto(url)
        seen("3-pickup-cancelled")
        assert _("The pickup was cancelled.") in page.inner_text("main")
    finally:
        ctx.close()


def test_with_javascript_the_quote_follows_the_form_without_a_reload(
    running: Running,
    browser: Browser,  # noqa: F811
    shop: Shop,
):
    """htmx (served from node_modules) posts the form as it changes and swaps in the policy's quote."""
    run = running
    _ = gettext_for("nl")
    ctx = context(browser, "desktop", "nl")
    try:
        page = ctx.new_page()
        find_order(page, run.settings.api_base_url, shop, new_order(run, shop), "nl", POSTCODE, lambda step: None)
        page.get_by_role("link", name=_("Start a return")).click()
        page.wait_for_url(re.compile(r"/start"))
        quote = page.locator("#quote")
        assert quote.get_by_role("heading", name=_("Your quote")).count() == 0
        navigations: list[str] = []
        page.on("framenavigated", lambda frame: navigations.append(frame.url))
        item = page.get_by_role("group", name=TITLES["L2"])
        item.get_by_label(_("How many to return")).select_option("1")
        item.get_by_label(_("Reason")).select_option("too_small")
        quote.get_by_role("heading", name=_("Your quote")).wait_for()
        assert "89,99" in quote.inner_text(), quote.inner_text()  # the runner's line, as nl writes money
        assert navigations == [], f"the page reloaded: {navigations}"
    finally:
        ctx.close()
