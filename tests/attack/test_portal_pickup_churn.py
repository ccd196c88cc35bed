"""Attack: anyone holding a return's link (it never expires; it is in the label email) books and cancels carrier
pickups in a loop, each one a real booking at the carrier on the merchant's account, without any limit.

`POST /portal/{token}/pickup` and `/pickup/cancel` carry only the page's CSRF token (the attacker's own browser has
one); nothing counts bookings per return. Each round is a pickup bought (`pickup-<return>-<n>`) and cancelled:
carrier fees where pickups are charged, a driver dispatched when the cancel is late, and the merchant's carrier API
quota spent. A return needs a pickup or two (a rebooked day), not dozens: cap the bookings per return (e.g. 3) and
answer the refusal sentence past it.
"""

from __future__ import annotations

import re

import pytest

from tests.integration.conftest import Running, running, shop  # noqa: F401
from tests.integration.test_portal import browser, csrf, dutch_shop, shop_order, shop_return

pytestmark = pytest.mark.integration
ROUNDS = 6
MOST_BOOKINGS = 3


def test_a_return_link_cannot_book_pickups_without_end(running: Running, shop: dict):  # noqa: F811
    run = running
    dutch_shop(run, shop)
    ret = shop_return(run, shop, shop_order(run, shop))
    url = run.api.get(f"/v1/returns/{ret['id']}/portal-link", headers=shop["merchant"]).json()["url"]
    with browser(run) as attacker:
        for _ in range(ROUNDS):
            page = attacker.get(url)
            windows = re.findall(r'name="window" value="([^"]+)"', page.text)
            if not windows:
                break
            attacker.post(f"{url}/pickup", data={"csrf_token": csrf(page), "window": windows[0]})
            attacker.post(f"{url}/pickup/cancel", data={"csrf_token": csrf(attacker.get(url))})
    bought = [
        p
        for p in run.easypost.get("/_sandbox/pickups").json()
        if str(p.get("reference", "")).startswith(f"pickup-{ret['id']}-")
    ]
    assert len(bought) <= MOST_BOOKINGS, len(bought)
