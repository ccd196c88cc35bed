"""The issue's "done when": the stack `make run` starts (cli/stack.py, with the demo shop it seeds) lets a Dutch
shopper open /portal/demo, find a seeded order, start a return, follow it and cancel it, entirely in Dutch; the
merchant reads the return back over the API. A browser whose only language is English still gets Dutch pages:
the demo shop speaks Dutch (its locale), until the shopper picks another language."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page

from activities.translations import gettext_for
from db.demo_shop import DEMO_SHOPPER
from tests.integration.conftest import Running, poll
from tests.integration.portal_browser import browser, context, screenshot  # noqa: F401 (the fixture)

_ = gettext_for("en")  # the source text: each English sentence below must NOT be on a Dutch page
ENGLISH = ["Find your order", "Start a return", "Continue", "Choose a reason", "What you get", "Your return",
           "Cancel this return", "Print the label", "Step 1 of"]  # fmt: skip


def dutch_only(page: Page) -> str:
    assert page.locator("html").get_attribute("lang") == "nl"
    text = page.inner_text("body")
    assert not [s for s in ENGLISH if s in text], f"English left on {page.url}"
    return text


def test_a_dutch_shopper_starts_follows_and_cancels_a_return_at_the_demo_shop(
    running: Running,
    browser: Browser,  # noqa: F811
):
    run = running
    ctx = context(browser, width="mobile", lang="nl")
    try:
        page = ctx.new_page()
        page.goto(f"{run.settings.api_base_url}/portal/demo")
        assert "Zoek je bestelling" in dutch_only(page)
        page.get_by_label("Bestelnummer").fill("DEMO-1001")
        page.get_by_label("E-mailadres of postcode", exact=False).fill(DEMO_SHOPPER["address"]["zip"])
        page.get_by_role("button", name="Zoek mijn bestelling").click()
        page.wait_for_url(re.compile(r"/portal/demo/order$"))
        assert "Hardloopschoen Runner" in dutch_only(page)

        page.get_by_role("link", name="Retour aanmelden").click()
        page.wait_for_url(re.compile(r"/portal/demo/start$"))
        runner = page.get_by_role("group", name=re.compile("Hardloopschoen Runner"))
        runner.get_by_label("Aantal om te retourneren").select_option("1")
        runner.get_by_label("Reden").select_option("too_small")
        gift_card = page.get_by_role("group", name=re.compile("Cadeaukaart"))
        assert "uitgesloten van retourneren" in gift_card.inner_text()  # the policy's refusal, in Dutch
        text = dutch_only(page)
        assert "€\xa089,95" in text  # CLDR: a no-break space between the sign and the amount
        screenshot(page, "demo-shop-nl", "1-items", "mobile")
        page.get_by_role("button", name="Verder").click()

        assert "tegoed in plaats van" in dutch_only(page)  # store credit's bonus, as an amount
        page.locator("input[name=resolution][value=refund]").check()
        page.get_by_role("button", name="Verder").click()
        dutch_only(page)
        page.locator("input[name=send_method][value=label]").check()
        page.get_by_role("button", name="Verder").click()
        dutch_only(page)
        page.get_by_role("button", name="Retour bevestigen").click()

        page.wait_for_url(re.compile(r"/portal/v1\."))
        assert "Label klaar" in dutch_only(page)
        screenshot(page, "demo-shop-nl", "2-return", "mobile")
        return_id = re.search(r"ret_[0-9a-f]+", page.inner_text("body")).group(0)
        created = run.api.get(f"/v1/returns/{return_id}", headers=run.merchant()).json()
        assert (created["order_id"], created["resolution"], created["status"]) == (
            "DEMO-1001",
            "refund",
            "label_created",
        )
        assert [(i["line_id"], i["quantity"], i["reason"]) for i in created["items"]] == [("L1", 1, "too_small")]
        assert created["shopper"] == {"language": "nl", "send_method": "label", "store_id": None}

        page.get_by_label("Ja, ik wil deze retour annuleren").check()
        page.get_by_role("button", name="Deze retour annuleren").click()
        assert "Je retour is geannuleerd." in dutch_only(page)
        poll(
            lambda: run.api.get(f"/v1/returns/{return_id}", headers=run.merchant()).json()["status"],
            lambda status: status == "cancelled",
            20,
            "the cancelled return over the API",
        )
    finally:
        ctx.close()
