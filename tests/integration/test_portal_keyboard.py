"""A Dutch shopper with only a keyboard: from the shop's returns page to a created return (a carrier pickup, a
refund) and its cancellation, with Tab, Shift+Tab, Space, Enter and the arrow keys (page.keyboard only). Every
element the shopper acts on shows a focus ring, and the skip link is on screen when it has the focus."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from playwright.sync_api import Browser, Page

from activities.translations import gettext_for
from tests.integration.conftest import Running, poll
from tests.integration.portal_browser import (
    POSTCODE,
    Shop,
    api_return,
    assert_focus_visible,
    browser,  # noqa: F401  (the module's one Chromium)
    context,
    new_order,
    new_shop,
    screenshot,
    tab_to,
)
from tests.integration.test_portal_walks import RETURN_PAGE, return_id_of

pytestmark = pytest.mark.integration

LANG = "nl"
_ = gettext_for(LANG)


def to(page: Page, what: str, matches, back: bool = False) -> dict:
    """Tab (or Shift+Tab) to the element, and check the shopper can see where the focus is."""
    el = tab_to(page, matches, what, back=back)
    assert_focus_visible(page, what)
    return el


def value(page: Page) -> str:
    return page.evaluate("() => document.activeElement.value")


def named(name: str):
    return lambda el: el["name"] == name


def button(text: str):
    return lambda el: el["tag"] == "BUTTON" and el["text"] == text


def press_and_wait(page: Page, key: str, url: re.Pattern | None = None) -> None:
    with page.expect_navigation(url=url or re.compile(".*")):
        page.keyboard.press(key)
    alert = page.get_by_role("alert")
    assert alert.count() == 0, f"the page refused the form: {alert.all_inner_texts()}"


def choose_radio(page: Page, name: str, wanted: str) -> None:
    """Into the radio group with Tab, then Space and the arrow keys until `wanted` is checked."""
    el = to(page, f"the {name} choices", named(name))
    if not el["checked"]:
        page.keyboard.press("Space")
    for _step in range(8):
        if page.evaluate("() => document.activeElement.checked") and value(page) == wanted:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"the arrow keys never reached {name}={wanted}")


def choose_first_option(page: Page, name: str) -> str:
    """A closed <select> with the focus: ArrowDown picks the next option (here, the first real one)."""
    to(page, f"the {name} list", named(name))
    page.keyboard.press("ArrowDown")
    picked = value(page)
    assert picked, f"ArrowDown chose nothing in {name}"
    return picked


@pytest.fixture(scope="module")
def shop(running: Running) -> Shop:
    return new_shop(running)


def test_a_keyboard_only_shopper_starts_and_cancels_a_return(
    running: Running,
    browser: Browser,  # noqa: F811
    shop: Shop,
):
    run = running
    order_id = new_order(run, shop)
    ctx = context(browser, "desktop", LANG)
    try:
        page = ctx.new_page()
        page.goto(f"{run.settings.api_base_url}/portal/{shop.slug}?lang={LANG}")

        # the first Tab: the skip link, on screen while focused
        skip = tab_to(page, lambda el: el["href"] == "#main", "the skip link", limit=1)
        assert skip["text"] == _("Skip to content")
        assert_focus_visible(page, "the skip link")
        box = page.evaluate("() => document.activeElement.getBoundingClientRect().toJSON()")
        assert box["left"] >= 0 and box["top"] >= 0 and box["width"] > 0, f"the skip link is off screen: {box}"

        to(page, "the order number", named("order_number"))
        page.keyboard.type(order_id)
        to(page, "the postcode", named("contact"))
        page.keyboard.type(POSTCODE)
        to(page, "find my order", button(_("Find my order")))
        press_and_wait(page, "Enter", re.compile(rf"/portal/{shop.slug}/order"))

        to(page, "start a return", lambda el: el["tag"] == "A" and el["text"] == _("Start a return"))
        press_and_wait(page, "Enter", re.compile(r"/start"))

        # step 1: one T-shirt, too small (the first line's lists)
        assert choose_first_option(page, "qty_0") == "1"
        assert choose_first_option(page, "reason_0") == "too_small"
        to(page, "continue", button(_("Continue")))
        press_and_wait(page, "Space")

        # step 2: a refund
        choose_radio(page, "resolution", "refund")
        to(page, "continue", button(_("Continue")))
        press_and_wait(page, "Enter")

        # step 3: a carrier pickup, in the first window offered; Shift+Tab back to check the choice held
        choose_radio(page, "send_method", "pickup")
        window = choose_first_option(page, "pickup")
        to(page, "how to send, again", named("send_method"), back=True)
        assert value(page) == "pickup"
        to(page, "continue", button(_("Continue")))
        press_and_wait(page, "Enter")

        # step 4: confirm
        assert _("Confirm the return") in page.inner_text("main")
        screenshot(page, "keyboard-nl", "6-confirm", "desktop")
        to(page, "confirm the return", button(_("Confirm the return")))
        press_and_wait(page, "Enter", RETURN_PAGE)
        return_id = return_id_of(run, page)
        screenshot(page, "keyboard-nl", "7-return", "desktop")

        ret = poll(
            lambda: api_return(run, shop, return_id),
            lambda r: r["label"] is not None and r["label"].get("pickup") is not None,
            60,
            "the pickup booked",
        )
        assert ret["resolution"] == "refund" and ret["order_id"] == order_id
        assert [(i["line_id"], i["quantity"], i["reason"]) for i in ret["items"]] == [("L1", 1, "too_small")]
        booked = ret["label"]["pickup"]
        assert booked["status"] == "scheduled", booked
        assert datetime.fromisoformat(booked["window"]["min_datetime"]) == datetime.fromisoformat(window), booked

        # and cancelled on its page, still by keyboard
        page.reload()
        to(page, "the cancel confirmation", named("confirm"))
        page.keyboard.press("Space")
        assert page.evaluate("() => document.activeElement.checked")
        to(page, "cancel this return", button(_("Cancel this return")))
        press_and_wait(page, "Enter")
        poll(lambda: api_return(run, shop, return_id)["status"], lambda s: s == "cancelled", 60, "the cancel")
        screenshot(page, "keyboard-nl", "8-cancelled", "desktop")
    finally:
        ctx.close()
