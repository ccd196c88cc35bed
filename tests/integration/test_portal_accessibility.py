"""axe-core (from npm) finds no serious or critical violation on any portal page, in Dutch and English, at desktop
(1280) and mobile (390) width: finding the order, the order, every step of starting a return (with the exchange
picker, the pickup windows and the store list in use, a final-sale line with the policy's limit, and a step's
error), the return's page in its states, and the error pages (404, 403, 429). A missing node_modules fails (run
make), it never skips."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import Browser, Page

from activities.translations import gettext_for
from tests.integration.conftest import Running, poll
from tests.integration.portal_browser import (
    EMAIL,
    POSTCODE,
    STORE,
    WIDTHS,
    Shop,
    api_return,
    assert_accessible,
    axe_source,
    browser,  # noqa: F401  (the module's one Chromium)
    context,
    new_order,
    new_shop,
    screenshot,
)
from tests.integration.test_portal_walks import Choice, find_order, start_return

pytestmark = pytest.mark.integration

LANGS = ("nl", "en")
CASES = [(lang, width) for lang in LANGS for width in WIDTHS]


def accessible_at_both_widths(page: Page, what: str) -> None:
    """axe at desktop width, then at mobile width (the page reflows; nothing is reloaded), then back."""
    assert_accessible(page, f"{what} [desktop]")
    page.set_viewport_size(WIDTHS["mobile"])
    try:
        assert_accessible(page, f"{what} [mobile]")
    finally:
        page.set_viewport_size(WIDTHS["desktop"])


def test_the_check_catches_what_axe_calls_serious(browser: Browser):  # noqa: F811
    """The harness itself: a page with an unlabelled field and an image without text must fail it."""
    assert axe_source()  # node_modules/axe-core is installed (a missing one fails, naming make)
    ctx = context(browser)
    try:
        page = ctx.new_page()
        page.set_content('<html lang="en"><body><main><h1>x</h1><input type="text"><img src="a.png"></main></body>')
        with pytest.raises(AssertionError) as caught:
            assert_accessible(page, "a broken page")
        assert "label" in str(caught.value) and "image-alt" in str(caught.value)
    finally:
        ctx.close()


@pytest.fixture(scope="module")
def shop(running: Running) -> Shop:
    return new_shop(running)


def create_return(run: Running, shop: Shop, line: str = "L1", **choices) -> dict:
    body = {
        "order_id": new_order(run, shop),
        "items": [{"line_id": line, "quantity": 1, "reason": "too_small"}],
        "resolution": "refund",
        **choices,
    }
    r = run.api.post("/v1/returns", json=body, headers=shop.headers())
    assert r.status_code == 201, r.text
    return r.json()


def link(run: Running, shop: Shop, return_id: str) -> str:
    r = run.api.get(f"/v1/returns/{return_id}/portal-link", headers=shop.headers())
    assert r.status_code == 200, r.text
    return r.json()["url"]


@pytest.fixture(scope="module")
def return_pages(running: Running, shop: Shop) -> dict[str, tuple[str, int]]:
    """The return's page in each state worth checking, each reached through the merchant API; and 404s."""
    run = running
    label = create_return(run, shop, send_method="label")
    store = create_return(run, shop, line="L2", send_method="store", store_id=STORE["id"])
    opens = (datetime.now(UTC) + timedelta(days=2)).replace(hour=8, minute=0, second=0, microsecond=0)
    pickup = create_return(
        run,
        shop,
        send_method="pickup",
        pickup={"min_datetime": opens.isoformat(), "max_datetime": (opens + timedelta(hours=4)).isoformat()},
    )
    kept = create_return(run, shop, line="L3")
    cancelled = create_return(run, shop)
    r = run.api.post(f"/v1/returns/{cancelled['id']}/cancel", json={}, headers=shop.headers())
    assert r.status_code == 200, r.text
    poll(lambda: api_return(run, shop, cancelled["id"])["status"], lambda s: s == "cancelled", 60, "the cancel")
    poll(lambda: api_return(run, shop, pickup["id"])["label"], lambda x: x and x.get("pickup"), 60, "the pickup")
    base = run.settings.api_base_url
    return {
        "return-label-ready": (link(run, shop, label["id"]), 200),
        "return-pickup-booked": (link(run, shop, pickup["id"]), 200),
        "return-store-hand-in": (link(run, shop, store["id"]), 200),
        "return-kept-items": (link(run, shop, kept["id"]), 200),
        "return-cancelled": (link(run, shop, cancelled["id"]), 200),
        "error-404-link": (link(run, shop, label["id"])[:-2] + "xx", 404),
        "error-404-shop": (f"{base}/portal/no-such-shop-here", 404),
    }


@pytest.mark.parametrize(("lang", "width"), CASES)
def test_the_return_pages_and_404s_have_no_serious_axe_violation(
    browser: Browser,  # noqa: F811
    return_pages: dict[str, tuple[str, int]],
    lang: str,
    width: str,
):
    ctx = context(browser, width, lang)
    try:
        page = ctx.new_page()
        for name, (url, status) in return_pages.items():
            response = page.goto(f"{url}?lang={lang}")
            assert response is not None and response.status == status, (name, response and response.status)
            assert page.locator("html").get_attribute("lang") == lang, name
            assert_accessible(page, f"{name} [{lang}, {width}]")
            screenshot(page, f"accessibility-{lang}", name, width)
    finally:
        ctx.close()


# Between them, the two walks put every option on screen: the exchange picker and the pickup windows in Dutch,
# store credit and the store list in English; each step is checked as the shopper has filled it in.
FLOWS = {
    "nl": Choice("a11y-exchange-pickup-nl", "nl", "exchange", "pickup"),
    "en": Choice("a11y-store-credit-store-en", "en", "store_credit", "store", line="L2"),
}


@pytest.mark.parametrize("lang", LANGS)
def test_every_step_of_finding_and_starting_a_return_has_no_serious_axe_violation(
    running: Running,
    browser: Browser,  # noqa: F811
    shop: Shop,
    lang: str,
):
    run = running
    choice = FLOWS[lang]
    _ = gettext_for(lang)
    ctx = context(browser, "desktop", lang)
    try:
        page = ctx.new_page()
        checked: list[str] = []

        def seen(step: str) -> None:
            if step == "3-items":  # the final-sale line offers only the reasons the policy still takes back
                offered = page.get_by_role("group", name="Cadeaubon").get_by_label(_("Reason"))
                values = offered.evaluate("select => [...select.options].map(o => o.value).filter(Boolean)")
                assert "too_small" not in values and "defective" in values, values
            accessible_at_both_widths(page, f"{step} [{lang}]")
            checked.append(step)

        order_id = new_order(run, shop)
        find_order(page, run.settings.api_base_url, shop, order_id, lang, EMAIL if lang == "en" else POSTCODE, seen)
        # a step refused (nothing chosen): the error is announced and the page stays accessible
        page.get_by_role("link", name=_("Start a return")).click()
        page.get_by_role("button", name=_("Continue")).click()
        page.wait_for_load_state("load")
        assert page.get_by_role("alert").count() == 1, "continuing with nothing chosen shows no error"
        seen("3-items-error")
        page.goto(f"{run.settings.api_base_url}/portal/{shop.slug}/order")
        start_return(page, choice, seen)
        assert checked == [
            "1-find",
            "2-order",
            "3-items-error",
            "3-items",
            "4-resolution",
            "5-send",
            "6-confirm",
            "7-return",
        ], checked
    finally:
        ctx.close()


def csrf_form(client: httpx.Client, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200, page.text
    marker = 'name="csrf_token" value="'
    return page.text.split(marker, 1)[1].split('"', 1)[0]


@pytest.fixture(scope="module")
def locked_order(running: Running, shop: Shop) -> str:
    """An order whose lookup is locked: ten wrong tries in an hour (portal_order_tries)."""
    run = running
    order_id = new_order(run, shop)
    find = f"{run.settings.api_base_url}/portal/{shop.slug}"
    with httpx.Client(timeout=30) as client:
        token = csrf_form(client, find)
        statuses = [
            client.post(
                f"{find}/find", data={"csrf_token": token, "order_number": order_id, "contact": "9999 ZZ"}
            ).status_code
            for _ in range(10)
        ]
    assert all(400 <= status < 500 for status in statuses), statuses  # wrong every time; the next try is locked
    return order_id


@pytest.mark.parametrize("lang", LANGS)
def test_the_error_pages_have_no_serious_axe_violation(
    running: Running,
    browser: Browser,  # noqa: F811
    shop: Shop,
    locked_order: str,
    lang: str,
):
    run = running
    _ = gettext_for(lang)
    find = f"{run.settings.api_base_url}/portal/{shop.slug}?lang={lang}"
    ctx = context(browser, "desktop", lang)
    try:
        page = ctx.new_page()
        # wrong details: the find page again, its fields marked invalid and the error announced
        page.goto(find)
        page.get_by_label(_("Order number")).fill("NO-SUCH-ORDER")
        page.get_by_label(_("Email address or postcode")).fill("1234 AB")
        page.get_by_role("button", name=_("Find my order")).click()
        page.wait_for_load_state("load")
        assert page.get_by_role("alert").count() == 1
        accessible_at_both_widths(page, f"find-not-found [{lang}]")
        screenshot(page, f"accessibility-{lang}", "find-not-found", "desktop")

        # 403: a form whose CSRF token is not ours
        page.goto(find)
        page.locator('input[name="csrf_token"]').evaluate("input => { input.value = 'forged'; }")
        page.get_by_label(_("Order number")).fill("NO-SUCH-ORDER")
        page.get_by_label(_("Email address or postcode")).fill("1234 AB")
        with page.expect_response(lambda r: r.url.endswith("/find")) as answer:
            page.get_by_role("button", name=_("Find my order")).click()
        assert answer.value.status == 403
        page.wait_for_load_state("load")
        accessible_at_both_widths(page, f"error-403 [{lang}]")
        screenshot(page, f"accessibility-{lang}", "error-403", "desktop")

        # 429: the locked order, even with the right postcode
        page.goto(find)
        page.get_by_label(_("Order number")).fill(locked_order)
        page.get_by_label(_("Email address or postcode")).fill(POSTCODE)
        with page.expect_response(lambda r: r.url.endswith("/find")) as answer:
            page.get_by_role("button", name=_("Find my order")).click()
        assert answer.value.status == 429
        page.wait_for_load_state("load")
        assert _("Too many tries") in page.inner_text("main")
        accessible_at_both_widths(page, f"error-429 [{lang}]")
        screenshot(page, f"accessibility-{lang}", "error-429", "desktop")
    finally:
        ctx.close()


@pytest.mark.parametrize("lang", LANGS)
def test_an_order_past_its_window_and_an_order_with_a_return_have_no_serious_axe_violation(
    running: Running,
    browser: Browser,  # noqa: F811
    shop: Shop,
    lang: str,
):
    """Every line greyed with the policy's reason (the window ended), and the order page listing its returns."""
    run = running
    _ = gettext_for(lang)
    old = new_order(run, shop, placed_days_ago=90)
    ctx = context(browser, "desktop", lang)
    try:
        page = ctx.new_page()
        find_order(page, run.settings.api_base_url, shop, old, lang, POSTCODE, lambda step: None)
        page.get_by_role("link", name=_("Start a return")).click()
        page.wait_for_load_state("load")
        line = page.get_by_role("group", name="T-shirt zwart M")
        assert line.is_visible() and line.get_by_role("combobox").count() == 0, "a line past its window is offered"
        accessible_at_both_widths(page, f"items-window-ended [{lang}]")
        screenshot(page, f"accessibility-{lang}", "items-window-ended", "desktop")
    finally:
        ctx.close()

    with_return = create_return(run, shop)["order_id"]
    ctx = context(browser, "desktop", lang)
    try:
        page = ctx.new_page()
        find_order(page, run.settings.api_base_url, shop, with_return, lang, POSTCODE, lambda step: None)
        assert page.get_by_role("list").get_by_role("link").count() >= 1, "the order page lists no return"
        accessible_at_both_widths(page, f"order-with-a-return [{lang}]")
        screenshot(page, f"accessibility-{lang}", "order-with-a-return", "desktop")
    finally:
        ctx.close()
