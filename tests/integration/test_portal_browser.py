"""The shopper portal in a real browser: Debian's chromium, driven by Playwright (no browser download).

`make test` installs chromium first (tests/services.sh).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.integration.conftest import Running
from tests.integration.portal_browser import browser, context  # noqa: F401  (the module's one Chromium)
from tests.integration.test_end_to_end import create_return, new_order

pytestmark = pytest.mark.integration


def test_the_portal_page_renders_the_status_the_tracking_code_and_the_qr_code(
    running: Running,
    browser: Browser,  # noqa: F811
    tmp_path: Path,
):
    run = running
    ret = create_return(run, new_order(run))
    tracking = ret["label"]["tracking_code"]
    url = run.api.get(f"/v1/returns/{ret['id']}/portal-link", headers=run.merchant()).json()["url"]

    ctx = context(browser, "desktop", "en")
    try:
        page = ctx.new_page()
        response = page.goto(f"{url}?lang=en", wait_until="load")  # the demo shop speaks Dutch by default
        assert response is not None and response.status == 200
        body = page.inner_text("body")
        assert "Label ready" in body and tracking in body and "SHOE-42" in body
        assert page.title().startswith("Your return: Label ready")

        qr = page.locator("img.qr")
        assert qr.count() == 1 and qr.is_visible()
        assert qr.evaluate("img => img.complete && img.naturalWidth > 0 && img.naturalHeight > 0")
        assert page.locator('a[href$="/label.png"]').is_visible()
        page.screenshot(path=str(tmp_path / "portal.png"), full_page=True)
        assert (tmp_path / "portal.png").stat().st_size > 10_000

        bad = page.goto(url[:-1] + ("A" if url[-1] != "A" else "B"))
        assert bad is not None and bad.status == 404
        assert "This link is not valid" in page.inner_text("body")
    finally:
        ctx.close()
