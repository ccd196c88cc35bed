"""Attack: forms of the portal's start flow that answer 500 instead of a page saying why.

A signed-in shopper (their own order) crafts a POST: a quantity that `str.isdigit` takes but `int` does not
("²"), a quantity of six digits past the draft's bound (999999), or the first page's draft (no items yet)
posted to a later step. Each should be the "Please start again" page (400) or the step with its errors (422),
never the 500 page (the issue: no input makes a portal page answer 500).
"""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest
from fastapi.testclient import TestClient

from tests.api.test_portal_start import SLUG, form_of, new_order, portal, sign_in  # noqa: F401


def _shopper(portal):  # noqa: F811
    client, auth = portal
    order = new_order(client, auth)
    sign_in(client, order)
    # the same app and cookies, but a server error is answered as production answers it (the 500 page)
    quiet = TestClient(client.app, raise_server_exceptions=False, cookies=client.cookies)
    page = quiet.get(f"/portal/{SLUG}/start?lang=en")
    assert page.status_code == 200, page.text
    return quiet, form_of(page.text)


@pytest.mark.parametrize("quantity", ["²", "³", "999999"])
def test_a_crafted_quantity_is_refused_not_a_500(portal, quantity):  # noqa: F811
    client, fields = _shopper(portal)
    r = client.post(
        f"/portal/{SLUG}/start/items",
        data={**fields, "action": "next", "qty_0": quantity, "reason_0": "changed_mind"},
    )
    assert r.status_code in (400, 422), (r.status_code, r.text[:300])


@pytest.mark.parametrize("step", ["resolution", "send", "confirm"])
@pytest.mark.parametrize("action", ["", "next", "back"])
def test_the_first_pages_draft_posted_to_a_later_step_is_not_a_500(portal, step, action):  # noqa: F811
    client, fields = _shopper(portal)
    r = client.post(f"/portal/{SLUG}/start/{step}", data={**fields, "action": action})
    assert r.status_code != 500, r.text[:300]


@pytest.mark.parametrize("step", ["resolution", "send", "confirm"])
def test_the_quote_fragment_of_an_empty_draft_is_not_a_500(portal, step):  # noqa: F811
    client, fields = _shopper(portal)
    r = client.post(f"/portal/{SLUG}/start/{step}/quote", data=fields)
    assert r.status_code != 500, r.text[:300]


@pytest.mark.parametrize("comment", ["Te klein.\r\nGraag maat L.", "Te klein.\nGraag maat L.", "tab\there", "a\u202eb"])
def test_a_comment_of_two_lines_goes_to_the_next_step(portal, comment):  # noqa: F811
    """The comment box is a <textarea>: browsers send its line breaks as CRLF. `DraftItem.comment` takes them, the
    request the policy sees (`ReturnItemIn.comment`, plain text without control characters) does not: 500."""
    client, fields = _shopper(portal)
    r = client.post(
        f"/portal/{SLUG}/start/items",
        data={**fields, "action": "next", "qty_0": "1", "reason_0": "too_small", "comment_0": comment},
    )
    assert r.status_code in (200, 422), (r.status_code, r.text[:300])
    if "\n" in comment:  # an ordinary two-line comment is simply taken
        assert r.status_code == 200 and "Step 2 of 4" in r.text


@pytest.mark.parametrize("declared", [True, False])
def test_a_form_past_the_body_limit_is_the_portals_page_not_json(portal, declared):  # noqa: F811
    """A comment pasted a million times over (1 MB is the body limit): the shopper's 413 page in their language,
    with the portal's headers, whether the length is declared or the body streams in without one."""
    client, fields = _shopper(portal)
    body = "&".join(f"{k}={v}" for k, v in fields.items()) + "&comment_0=" + "x" * (1024 * 1024 + 10)
    content = body.encode() if declared else iter([body[i : i + 65536].encode() for i in range(0, len(body), 65536)])
    r = client.post(
        f"/portal/{SLUG}/start/items?lang=nl",
        content=content,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 413, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert "Dit formulier is te groot" in r.text


ODD = [
    *("", "0", "1", "2", "-1", "²", "1e3", "99999", "100000", " 1 ", "1.0", "\x00", "a\u202eb", "x" * 3000, "%00"),
    *("tab\there", "L\r\nM", "\uffff", "é" * 200, "changed_mind", "too_small", "defective", "refund", "exchange"),
    *("store_credit", "label", "qr", "pickup", "store", "next", "back", "2026-12-07T08:00:00Z", "2026-13-40T99:00"),
]
FIELDS = ["qty_0", "qty_1", "qty_5", "reason_0", "reason_1", "comment_0", "comment_1", "resolution", "exchange_0"]
FIELDS += ["exchange_1", "send_method", "pickup", "store", "action"]


def test_random_forms_of_every_step_are_never_a_500(portal):  # noqa: F811
    """Hundreds of forms mixing the pages' own values with odd ones, posted to every step (and the quote panel) from
    drafts the flow handed out so far: some page (200, 400, 404, 422), never the 500 page, and every step reached."""
    client, first = _shopper(portal)
    drafts, rnd, seen, fails = [first], random.Random(13), Counter(), []
    for _ in range(500):
        data = dict(rnd.choice(drafts))
        for _ in range(rnd.randint(1, 6)):
            data[rnd.choice(FIELDS)] = rnd.choice(ODD)
        if rnd.random() < 0.3:  # now and then a sensible items form, so that later steps get real drafts
            data |= {"qty_0": rnd.choice("12"), "reason_0": rnd.choice(["changed_mind", "defective"]), "action": "next"}
        step = rnd.choice(["items", "items", "resolution", "send", "confirm", "items/quote", "send/quote", "bogus"])
        r = client.post(f"/portal/{SLUG}/start/{step}", data=data, follow_redirects=False)
        if r.status_code >= 500:
            fails.append((step, data, r.text[:200]))
        elif (found := re.search(r"Step (\d) of 4", r.text)) is not None:
            seen[found.group(1)] += 1
            if r.status_code == 200 and len(drafts) < 50:
                drafts.append(form_of(r.text))
    assert not fails, fails[:3]
    assert set(seen) == {"1", "2", "3", "4"}, seen
