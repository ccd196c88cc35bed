"""axe-core (from npm) finds no serious or critical violation on any portal page, in Dutch and English, at desktop
and mobile widths. A missing node_modules fails (run make), it never skips."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.integration.conftest import Running, poll
from tests.integration.portal_browser import (
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

pytestmark = pytest.mark.integration

CASES = [(lang, width) for lang in ("nl", "en") for width in ("desktop", "mobile")]


def create_return(run: Running, shop: Shop, order_id: str, send_method: str = "label") -> dict:
    body = {
        "order_id": order_id,
        "items": [{"line_id": "L1", "quantity": 1, "reason": "too_small"}],
        "resolution": "refund",
        "send_method": send_method,
    }
    r = run.api.post("/v1/returns", json=body, headers=shop.headers())
    assert r.status_code == 201, r.text
    return r.json()


def link(run: Running, shop: Shop, return_id: str) -> str:
    r = run.api.get(f"/v1/returns/{return_id}/portal-link", headers=shop.headers())
    assert r.status_code == 200, r.text
    return r.json()["url"]


@pytest.fixture(scope="module")
def pages(running: Running) -> dict[str, str]:
    """One URL per page and state worth checking; each state reached through the merchant API."""
    run = running
    shop = new_shop(run)
    label = create_return(run, shop, new_order(run, shop))
    cancelled = create_return(run, shop, new_order(run, shop))
    r = run.api.post(f"/v1/returns/{cancelled['id']}/cancel", json={}, headers=shop.headers())
    assert r.status_code == 200, r.text
    poll(lambda: api_return(run, shop, cancelled["id"])["status"], lambda s: s == "cancelled", 60, "the cancel")
    return {
        "return-label-ready": link(run, shop, label["id"]),
        "return-cancelled": link(run, shop, cancelled["id"]),
        "error-404": link(run, shop, label["id"])[:-2] + "xx",
    }


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


@pytest.mark.parametrize(("lang", "width"), CASES)
def test_every_portal_page_has_no_serious_or_critical_axe_violation(
    browser: Browser,  # noqa: F811
    pages: dict[str, str],
    lang: str,
    width: str,
):
    ctx = context(browser, width, lang)
    try:
        page = ctx.new_page()
        for name, url in pages.items():
            response = page.goto(url, wait_until="load")
            assert response is not None
            assert response.status == (404 if name.startswith("error-404") else 200), (name, response.status)
            assert_accessible(page, f"{name} [{lang}, {width}]")
            screenshot(page, f"accessibility-{lang}", name, width)
    finally:
        ctx.close()
