"""Attack (holds): the same units returned twice from the portal, against the whole stack.

Two tabs of one shopper (two drafts, two Idempotency-Keys) pick the same two T-shirts and confirm at the same moment;
then each confirm form is sent again (the back button, a replayed POST). The units reservation of
`api/return_creation.create` must leave one return holding the units, and every later submit must land on that
return or be refused, never make a second.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.integration.conftest import Running, running  # noqa: F401
from tests.integration.test_portal_start import Shop, Walk, find, hidden, new_order, shop  # noqa: F401

pytestmark = pytest.mark.integration


def _to_confirm(client: httpx.Client, shop: Shop) -> Walk:  # noqa: F811
    walk = Walk(client, shop, "en")
    walk.post("items", action="next", qty_0="2", reason_0="changed_mind")
    walk.post("resolution", action="next", resolution="refund")
    walk.post("send", action="next", send_method="label")
    assert "Step 4 of 4" in walk.page
    return walk


def _returns_of(run: Running, shop: Shop, order_id: str) -> list[dict]:  # noqa: F811
    r = run.api.get("/v1/returns", params={"order_id": order_id}, headers=shop.headers())
    assert r.status_code == 200, r.text
    return r.json()["data"]


def test_two_tabs_confirming_the_same_units_at_once_make_one_return(running: Running, shop: Shop):  # noqa: F811
    order_id = new_order(running, shop)
    with httpx.Client(base_url=running.settings.api_base_url, timeout=60) as browser:
        find(browser, shop, order_id, "en")
        tabs = [_to_confirm(browser, shop), _to_confirm(browser, shop)]
        forms = [hidden(t.page) for t in tabs]
        assert forms[0]["draft"] != forms[1]["draft"]
        cookies = dict(browser.cookies)

    def confirm(form: dict[str, str]) -> httpx.Response:
        with httpx.Client(base_url=running.settings.api_base_url, timeout=60, cookies=cookies) as tab:
            return tab.post(f"/portal/{shop.slug}/start/confirm", data={**form, "action": "next"})

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(confirm, forms))
    assert sorted(a.status_code for a in answers) in ([303, 422], [303, 400]), [a.status_code for a in answers]
    made = _returns_of(running, shop, order_id)
    assert len(made) == 1, made
    # every confirm form sent again: the same return, or refused; never a second one
    for form in forms * 2:
        again = confirm(form)
        assert again.status_code in (303, 400, 422), again.status_code
        if again.status_code == 303:
            assert again.headers["location"] == next(a for a in answers if a.status_code == 303).headers["location"]
    assert len(_returns_of(running, shop, order_id)) == 1
