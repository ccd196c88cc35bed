"""Starting a return in the portal, page by page, on the real app without Temporal (creating the return itself
is walked against the whole stack in tests/integration/test_portal_start.py).

A Dutch shop (EUR, Europe/Amsterdam) with the example policy (10 % store-credit bonus, € 5,95 return shipping
on refunds, final-sale tag), a catalog with stock, and a shopper signed in to one order.
"""

from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie

import pytest
from fastapi import Response
from fastapi.testclient import TestClient
from itsdangerous import URLSafeSerializer
from PIL import Image
from starlette.requests import Request

from activities.translations import translations
from api.shopper.session import start_session
from db.seed import seed_merchant
from db.session import make_engine
from domain.facilities_example import example_facilities
from domain.policy_example import example_policy
from tests.api.alone import api_alone

SECRET = "portal-start-test-secret"
SLUG = "tulp"
NL_CUSTOMER = {
    "email": "noor@example.nl",
    "name": "Noor de Vries",
    "address": {
        "name": "Noor de Vries",
        "street1": "Keizersgracht 1",
        "city": "Amsterdam",
        "zip": "1015CJ",
        "country": "NL",
        "phone": "0201234567",
    },
}
LINES = [
    {"id": "L1", "sku": "JAS-M", "title": "Regenjas M", "quantity": 2, "unit_price": 5185, "category": "apparel"},
    {"id": "L2", "sku": "SOK-1", "title": "Sokken", "quantity": 1, "unit_price": 1299, "tags": ["final_sale"]},
    # the example policy's swimwear rule: photos when it is faulty
    {"id": "L3", "sku": "BAD-1", "title": "Badpak", "quantity": 1, "unit_price": 3999, "category": "swimwear"},
]
STORE = {
    "id": "store_ams",
    "kind": "store",
    "name": "Tulp Kalverstraat",
    "address": {"street1": "Kalverstraat 1", "city": "Amsterdam", "zip": "1012 NX", "country": "NL"},
    "location": {"lat": 52.3731, "lon": 4.8926},
    "capabilities": [],
    "daily_capacity": 100,
    "cost_per_unit": 0,
    "currency": "EUR",
    "opening_hours": [{"days": ["mon", "tue", "wed", "thu", "fri", "sat"], "opens": "10:00", "closes": "18:00"}],
}
CATALOG = {
    "variants": [
        {
            "sku": "JAS-M",
            "product_id": "jas",
            "title": "Regenjas",
            "options": {"maat": "M"},
            "price": {"amount": 5185, "currency": "EUR"},
        },
        {
            "sku": "JAS-L",
            "product_id": "jas",
            "title": "Regenjas",
            "options": {"maat": "L"},
            "price": {"amount": 5685, "currency": "EUR"},
        },
        {
            "sku": "JAS-XL",
            "product_id": "jas",
            "title": "Regenjas",
            "options": {"maat": "XL"},
            "price": {"amount": 5685, "currency": "EUR"},
        },
    ]
}


@pytest.fixture
def portal(sqlite_url, tmp_path):
    engine = make_engine(sqlite_url)
    key = f"rf_test_m_{uuid.uuid4().hex}"
    seed_merchant(
        engine,
        merchant_id=SLUG,
        name="Tulp Mode",
        merchant_key=key,
        warehouse_key=f"rf_test_w_{uuid.uuid4().hex}",
        policy=example_policy(),
        facilities={"facilities": example_facilities()["facilities"] + [STORE]},
    )
    engine.dispose()
    auth = {"Authorization": f"Bearer {key}"}
    with TestClient(api_alone(sqlite_url, portal_secret=SECRET, data_dir=tmp_path)) as client:
        put = client.put("/v1/merchant", json={"locale": "nl", "timezone": "Europe/Amsterdam"}, headers=auth)
        assert put.status_code == 200, put.text
        assert client.put("/v1/catalog", json=CATALOG, headers=auth).status_code == 200
        stock = [{"sku": "JAS-L", "facility_id": "wh_demo_nl", "on_hand": 3}]  # M and XL: none
        assert client.put("/v1/stock", json={"levels": stock}, headers=auth).status_code == 200
        yield client, auth


def new_order(client: TestClient, auth: dict, *, delivered_days_ago: int = 3, lines=None) -> str:
    order_id = f"o-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    body = {
        "placed_at": (now - timedelta(days=delivered_days_ago + 2)).isoformat(),
        "delivered_at": (now - timedelta(days=delivered_days_ago)).isoformat(),
        "currency": "EUR",
        "customer": NL_CUSTOMER,
        "lines": lines or LINES,
    }
    r = client.put(f"/v1/orders/{order_id}", json=body, headers=auth)
    assert r.status_code == 201, r.text
    return order_id


def sign_in(client: TestClient, order_id: str, lang: str = "nl", merchant_id: str = SLUG) -> None:
    """The session H-web's find step gives a shopper who found this order (api.shopper.session.start_session)."""
    scope = {"type": "http", "app": client.app, "headers": [], "scheme": "http", "path": "/", "query_string": b""}
    response = Response()
    start_session(response, merchant_id, order_id, lang, request=Request(scope), slug=SLUG)
    cookie = SimpleCookie(response.headers["set-cookie"])
    client.cookies.set("rf_shopper", cookie["rf_shopper"].value, path=f"/portal/{SLUG}")


def form_of(html: str) -> dict[str, str]:
    """The hidden fields a page's form posts back (CSRF token and the signed draft)."""
    return {name: value for name, value in re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', html)}


def post(client: TestClient, step: str, page: str, status: int = 200, **fields) -> str:
    r = client.post(f"/portal/{SLUG}/start/{step}", data={**form_of(page), **fields}, follow_redirects=False)
    assert r.status_code == status, r.text
    return r.text


def test_without_a_session_the_shopper_is_sent_to_find_their_order(portal):
    client, _ = portal
    r = client.get(f"/portal/{SLUG}/start", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/portal/{SLUG}"


def test_pick_items_in_dutch_and_english_with_the_policy_s_reasons(portal):
    client, auth = portal
    sign_in(client, new_order(client, auth))
    page = client.get(f"/portal/{SLUG}/start?lang=nl")
    assert page.status_code == 200, page.text
    nl = page.text
    assert 'lang="nl"' in nl and "Stap 1 van 4" in nl and 'aria-current="step"' in nl
    assert "Regenjas M" in nl and "€\xa051,85" in nl
    assert "Te klein" in nl and "Van gedachten veranderd" in nl  # the reasons, in Dutch
    # The final-sale socks go back only for what the merchant got wrong: those reasons alone, and why.
    assert "SOK-1 is uitgesloten van retourneren." in nl  # the policy's sentence, in Dutch
    socks = nl[nl.index('id="reason_1"') :]
    socks = socks[: socks.index("</select>")]
    assert 'value="defective"' in socks and 'value="changed_mind"' not in socks and 'value="too_small"' not in socks
    assert "/portal-assets/htmx.min.js" in nl and "includeIndicatorStyles" in nl

    en = client.get(f"/portal/{SLUG}/start?lang=en").text
    assert "Step 1 of 4" in en and "€51.85" in en and "SOK-1 is final sale and can&#39;t be returned." in en

    # Picking the socks because they are too small is refused with the policy's reason (a crafted form).
    page = post(client, "items", en, 422, action="next", qty_1="1", reason_1="too_small")
    assert 'role="alert"' in page and "Sokken: SOK-1 is final sale and can&#39;t be returned." in page


def test_a_closed_window_greys_every_line_with_the_date_in_dutch(portal):
    client, auth = portal
    sign_in(client, new_order(client, auth, delivered_days_ago=60))
    nl = client.get(f"/portal/{SLUG}/start?lang=nl").text
    assert 'name="qty_0"' not in nl and 'name="qty_1"' not in nl and nl.count('class="card refused muted"') == 3
    ended = datetime.now(UTC) - timedelta(days=30)  # delivered 60 days ago, a 30-day window
    assert re.search(r"De retourtermijn van 30 dagen is op \d+ \w+ \d{4} verlopen\.", nl), nl
    assert str(ended.year) in nl


def test_store_credit_shows_its_bonus_as_an_amount_and_the_exchange_lists_in_stock_variants(portal):
    client, auth = portal
    sign_in(client, new_order(client, auth))
    first = client.get(f"/portal/{SLUG}/start?lang=nl").text
    # Two coats (2 x € 51,85 = € 103,70) because they are too small.
    page = post(client, "items", first, action="next", qty_0="2", reason_0="too_small", comment_0="")
    assert "Stap 2 van 4" in page
    # refund: € 103,70 - € 5,95 return shipping; store credit: + 10 % and no shipping fee
    assert "€\xa097,75" in page
    assert "€\xa0114,07 tegoed in plaats van €\xa097,75" in page
    assert "Kies je tegoed, dan krijg je 10% extra." in page  # the policy's rules, in Dutch
    # the exchange: only L (in stock), each costing € 5,00 more per coat
    assert "JAS-L" in page and "JAS-XL" not in page and "JAS-M" not in page
    assert "je betaalt €\xa010,00 meer" in page


def test_the_whole_flow_to_the_confirm_page_with_a_pickup_window(portal):
    client, auth = portal
    sign_in(client, new_order(client, auth))
    page = client.get(f"/portal/{SLUG}/start?lang=en").text
    page = post(client, "items", page, action="next", qty_0="1", reason_0="changed_mind")
    page = post(client, "resolution", page, action="next", resolution="refund")
    assert "Step 3 of 4" in page and "Have the carrier pick it up" in page
    slots = re.findall(r'<option value="(\d{4}-[^"]+)"', page)
    assert len(slots) == 10  # 5 weekdays x 2 windows
    assert "9:00\u202fAM–1:00\u202fPM" in page or "9:00 AM–1:00 PM" in page
    missing = post(client, "send", page, 422, action="next", send_method="pickup")
    assert 'role="alert"' in missing and "Choose a time for the pickup." in missing
    page = post(client, "send", missing, action="next", send_method="pickup", pickup=slots[0])
    assert "Step 4 of 4" in page and "Regenjas M" in page and "Changed my mind" in page
    assert "€45.90" in page  # € 51,85 - € 5,95 return shipping
    back = post(client, "confirm", page, action="back")
    assert "Step 3 of 4" in back and f'value="{slots[0]}" selected' in back


def test_a_tampered_or_foreign_draft_is_refused(portal):
    client, auth = portal
    mine = new_order(client, auth)
    sign_in(client, mine)
    page = client.get(f"/portal/{SLUG}/start?lang=en").text
    fields = form_of(page)

    tampered = {**fields, "draft": fields["draft"][:-3] + ("AAA" if not fields["draft"].endswith("AAA") else "BBB")}
    r = client.post(f"/portal/{SLUG}/start/items", data={**tampered, "action": "next", "qty_0": "1"})
    assert r.status_code == 400 and "Please start again" in r.text

    # A draft signed for another order (as if lifted from another shopper's page) is refused too.
    other = new_order(client, auth)
    draft = URLSafeSerializer(SECRET, salt="portal-start-draft").loads(fields["draft"])
    forged = URLSafeSerializer(SECRET, salt="portal-start-draft").dumps({**draft, "order_id": other})
    r = client.post(f"/portal/{SLUG}/start/items", data={**fields, "draft": forged, "action": "next", "qty_0": "1"})
    assert r.status_code == 400

    # A line that is not the session's order's, and more units than the line has.
    draft_with = {**draft, "items": [{"line_id": "L9", "quantity": 1}]}
    forged = URLSafeSerializer(SECRET, salt="portal-start-draft").dumps(draft_with)
    r = client.post(f"/portal/{SLUG}/start/resolution", data={**fields, "draft": forged, "action": "next"})
    assert r.status_code == 400
    r = client.post(f"/portal/{SLUG}/start/items", data={**fields, "action": "next", "qty_0": "3"})
    assert r.status_code == 400

    # Without the CSRF token nothing is read.
    r = client.post(f"/portal/{SLUG}/start/items", data={"draft": fields["draft"], "action": "next", "qty_0": "1"})
    assert r.status_code == 403


def test_the_quote_fragment_follows_the_form(portal):
    client, auth = portal
    sign_in(client, new_order(client, auth))
    page = client.get(f"/portal/{SLUG}/start?lang=nl").text
    r = client.post(f"/portal/{SLUG}/start/items/quote", data={**form_of(page), "qty_0": "2", "reason_0": "defective"})
    assert r.status_code == 200
    assert "<html" not in r.text and "€\xa0103,70" in r.text  # merchant's fault: no return shipping fee


def test_every_string_of_these_pages_is_translated():
    translations.cache_clear()
    assert translations("nl").gettext("Start a return") != "Start a return"


def photo() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


def test_a_faulty_swimsuit_needs_a_photo_before_the_next_step(portal):
    client, auth = portal
    sign_in(client, new_order(client, auth))
    page = client.get(f"/portal/{SLUG}/start?lang=nl").text
    assert 'name="photo_L3"' in page and 'name="photo_L1"' not in page  # photos only where the policy asks
    assert "vragen we 1 tot 5 foto's van het artikel: Defect." in page
    missing = post(client, "items", page, 422, action="next", qty_2="1", reason_2="defective")
    assert 'role="alert"' in missing and "Voeg 1 tot 5 foto&#39;s toe van Badpak." in missing

    # Without JavaScript the upload posts the form to H-photos' endpoint, then the items page comes back.
    fields = form_of(missing)
    r = client.post(
        f"/portal/{SLUG}/photos",
        data={"csrf_token": fields["csrf_token"], "line_id": "L3"},
        files={"photo_L3": ("badpak.png", photo(), "image/png")},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    page = client.get(f"/portal/{SLUG}/start?lang=nl").text
    assert page.count('name="photo_ids_L3"') == 1
    page = post(client, "items", page, action="next", qty_2="1", reason_2="defective")
    assert "Stap 2 van 4" in page


def test_the_shop_s_stores_with_address_and_opening_hours(portal):
    client, auth = portal
    sign_in(client, new_order(client, auth))
    page = client.get(f"/portal/{SLUG}/start?lang=nl").text
    page = post(client, "items", page, action="next", qty_0="1", reason_0="too_small")
    page = post(client, "resolution", page, action="next", resolution="refund")
    assert "Inleveren in een van onze winkels" in page
    assert "Tulp Kalverstraat" in page and "Kalverstraat 1, 1012 NX Amsterdam" in page and "ma–za 10:00–18:00" in page
    missing = post(client, "send", page, 422, action="next", send_method="store")
    assert "Kies een winkel." in missing
    page = post(client, "send", missing, action="next", send_method="store", store="store_ams")
    assert "Stap 4 van 4" in page and "Tulp Kalverstraat" in page
    refused = post(client, "send", missing, 422, action="next", send_method="store", store="wh_demo_nl")
    assert "Kies een winkel." in refused  # a warehouse is no store


def test_a_refusal_from_creating_the_return_is_a_sentence_on_the_page_never_a_500(portal):
    client, auth = portal
    sign_in(client, new_order(client, auth))
    page = client.get(f"/portal/{SLUG}/start?lang=nl").text
    page = post(client, "items", page, action="next", qty_0="1", reason_0="too_small")
    page = post(client, "resolution", page, action="next", resolution="refund")
    page = post(client, "send", page, action="next", send_method="label")
    # No carrier and no Temporal behind this app: creating the return fails as it does when they are down.
    failed = post(client, "confirm", page, 422, action="next")
    assert 'role="alert"' in failed and "Stap 4 van 4" in failed
    assert "Probeer het over een minuut opnieuw." in failed or "Neem contact op met de winkel" in failed


def test_confirm_checks_every_step_again(portal):
    client, auth = portal
    sign_in(client, new_order(client, auth))
    page = client.get(f"/portal/{SLUG}/start?lang=en").text
    page = post(client, "items", page, action="next", qty_0="1", reason_0="too_small")
    page = post(client, "resolution", page, action="next", resolution="exchange", exchange_0="JAS-L")
    page = post(client, "send", page, action="next", send_method="label")
    assert "Step 4 of 4" in page and "In exchange: Regenjas – L" in page
    # The last coat in L is sold while the shopper reads the summary: back to choosing, with why.
    stock = [{"sku": "JAS-L", "facility_id": "wh_demo_nl", "on_hand": 0}]
    assert client.put("/v1/stock", json={"levels": stock}, headers=auth).status_code == 200
    page = post(client, "confirm", page, 422, action="next")
    assert "Step 2 of 4" in page and 'role="alert"' in page
    assert "No replacement is in stock for these items." in page and "Choose what you would like to get." in page


def test_a_resolution_the_policy_does_not_offer_is_shown_disabled_with_its_reason(portal):
    client, auth = portal
    policy = example_policy()
    policy["rules"].append({"id": "coats-exchange", "match": {"categories": ["apparel"]}, "exchange_only": True})
    assert client.put("/v1/policy", json=policy, headers=auth).status_code == 201
    sign_in(client, new_order(client, auth))
    page = client.get(f"/portal/{SLUG}/start?lang=en").text
    page = post(client, "items", page, action="next", qty_0="1", reason_0="too_small")
    assert re.search(r'<input type="radio" name="resolution" value="refund" disabled>', page)
    assert re.search(r'<input type="radio" name="resolution" value="exchange">', page)
    assert "A refund is not available for JAS-M; choose an exchange." in page  # the policy's words
    refused = post(client, "resolution", page, 422, action="next", resolution="refund")  # a crafted form
    assert "Choose what you would like to get." in refused
