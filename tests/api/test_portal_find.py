"""Finding an order on a shop's returns page: one answer for every wrong try, rate limits and the order
lockout (memory and Redis storage), CSRF, the session cookie, and the order page (the API alone, no Temporal).
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import pytest
import redis
from fastapi.testclient import TestClient

from db.seed import seed_merchant
from db.session import make_engine, session_scope
from db.tables import Merchant, ReturnRecord
from tests.api.alone import api_alone
from tests.factories import CUSTOMER, insert_order

SECRET = "portal-find-test-secret"
CSP = (
    "default-src 'none'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'; connect-src 'self'"
)
WRONG = "We could not find an order with these details"
REDIS_URL = "redis://127.0.0.1:6379/0"


class Shop:
    def __init__(self, client: TestClient, orders: dict[str, str], slugs: dict[str, str]) -> None:
        self.client, self.orders, self.slugs = client, orders, slugs

    def token(self, slug: str) -> str:
        page = self.client.get(f"/portal/{slug}")
        assert page.status_code == 200, page.text
        return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

    def find(self, slug: str, number: str, contact: str, **kw):
        data = {"csrf_token": self.token(slug), "order_number": number, "contact": contact}
        return self.client.post(f"/portal/{slug}/find", data=data, follow_redirects=False, **kw)


def make_shop(url: str, **settings) -> tuple[TestClient, dict[str, str], dict[str, str]]:
    engine = make_engine(url)
    suffix = uuid.uuid4().hex[:8]  # Redis outlives the test: fresh merchants, fresh keys
    slugs = {"nl": f"fiets-{suffix}", "en": f"bikes-{suffix}"}
    for i, (locale, slug) in enumerate(slugs.items()):
        seed_merchant(
            engine,
            merchant_id=slug,
            name=f"Shop {locale}",
            merchant_key=f"rf_test_m_find_{suffix}_{i}_00000000",
            warehouse_key=f"rf_test_w_find_{suffix}_{i}_00000000",
        )
        with session_scope(engine) as session:
            merchant = session.get(Merchant, slug)
            merchant.locale, merchant.timezone, merchant.brand_color = locale, "Europe/Amsterdam", "#1d4ed8"
    customer = {**CUSTOMER, "email": "Eva.de.Vries@Example.nl", "address": {**CUSTOMER["address"], "zip": "1012 AB"}}
    orders = {
        "mine": insert_order(engine, slugs["nl"], None, customer=customer).id,
        "other": insert_order(engine, slugs["nl"], None, customer=customer).id,
        "theirs": insert_order(engine, slugs["en"], None, customer=customer).id,
    }
    for name, return_id in (("mine", "ret_mine"), ("other", "ret_other")):
        with session_scope(engine) as session:
            at = datetime(2026, 12, 1, 10, tzinfo=UTC)
            session.add(
                ReturnRecord(
                    id=f"{return_id}_{suffix}",
                    merchant_id=slugs["nl"],
                    order_id=orders[name],
                    status="label_created",
                    resolution="refund",
                    items=[{"line_id": "L1", "sku": "TEE-BLK-M", "quantity": 1, "reason": "too_small"}],
                    request_fingerprint="f",
                    created_at=at,
                    updated_at=at,
                )
            )
    engine.dispose()
    return TestClient(api_alone(url, portal_secret=SECRET, **settings)), orders, slugs


@pytest.fixture
def shop(sqlite_url):
    client, orders, slugs = make_shop(sqlite_url)
    with client:
        yield Shop(client, orders, slugs)


def test_wrong_email_wrong_postcode_and_unknown_order_get_the_same_bytes(shop):
    nl = shop.slugs["nl"]
    answers = [
        shop.find(nl, shop.orders["mine"], "someone.else@example.nl"),
        shop.find(nl, shop.orders["mine"], "9999 ZZ"),
        shop.find(nl, "o_does_not_exist", "eva.de.vries@example.nl"),
        shop.find(nl, shop.orders["theirs"], "eva.de.vries@example.nl"),  # another shop's order
    ]
    assert {a.status_code for a in answers} == {422}
    assert len({a.content for a in answers}) == 1
    assert "We konden geen bestelling met deze gegevens vinden" in answers[0].text
    assert 'role="alert"' in answers[0].text and 'aria-describedby="contact-hint find-error"' in answers[0].text
    assert shop.orders["mine"] not in answers[0].text and "rf_shopper" not in str(answers[0].headers)


def test_email_any_case_or_postcode_any_spacing_finds_the_order_and_signs_in(shop):
    nl = shop.slugs["nl"]
    for contact in (" EVA.DE.VRIES@example.NL ", "1012ab", "1012 AB"):
        r = shop.find(nl, shop.orders["mine"], contact)
        assert r.status_code == 303 and r.headers["location"] == f"/portal/{nl}/order", r.text
        cookie = r.headers["set-cookie"]
        assert cookie.startswith("rf_shopper=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert f"Path=/portal/{nl}" in cookie and "Max-Age=7200" in cookie and "Secure" not in cookie
        assert shop.orders["mine"] not in r.headers["location"] and "@" not in r.headers["location"]


def test_the_session_cookie_is_secure_over_https(shop):
    nl = shop.slugs["nl"]
    https = TestClient(shop.client.app, base_url="https://testserver")
    token = re.search(r'name="csrf_token" value="([^"]+)"', https.get(f"/portal/{nl}").text).group(1)
    data = {"csrf_token": token, "order_number": shop.orders["mine"], "contact": "1012AB"}
    r = https.post(f"/portal/{nl}/find", data=data, follow_redirects=False)
    assert r.status_code == 303 and "Secure" in r.headers["set-cookie"]


def test_the_order_page_lists_this_orders_returns_only(shop):
    nl = shop.slugs["nl"]
    assert shop.find(nl, shop.orders["mine"], "1012 AB").status_code == 303
    page = shop.client.get(f"/portal/{nl}/order")
    assert page.status_code == 200
    assert "Je bestelling" in page.text and "T-shirt black M" in page.text
    assert "US$\xa050,00" in page.text  # the order's currency, written as Dutch writes it
    assert "ret_mine" not in page.text  # linked by its signed portal link, not shown by id
    links = re.findall(r'href="(http[^"]+/portal/v1\.[^"]+)"', page.text)
    assert len(links) == 1
    assert f'href="/portal/{nl}/start"' in page.text and "Retour aanmelden" in page.text
    its_page = shop.client.get("/portal/" + links[0].split("/portal/", 1)[1])
    assert its_page.status_code == 200 and "ret_mine" in its_page.text and "ret_other" not in its_page.text


def test_no_session_another_shop_or_a_tampered_cookie_sees_no_order(shop):
    nl, en = shop.slugs["nl"], shop.slugs["en"]
    r = shop.client.get(f"/portal/{nl}/order", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/portal/{nl}"
    signed_in = shop.find(nl, shop.orders["mine"], "1012 AB")
    value = signed_in.cookies.get("rf_shopper") or signed_in.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    # the same session presented to the other shop (its cookie path is /portal/<nl>; a client may still send it)
    other = TestClient(shop.client.app, cookies={"rf_shopper": value})
    r = other.get(f"/portal/{en}/order", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/portal/{en}"
    for tampered in (value[:-2] + ("AA" if not value.endswith("AA") else "BB"), "x" + value, "nonsense"):
        fresh = TestClient(shop.client.app, cookies={"rf_shopper": tampered})
        r = fresh.get(f"/portal/{nl}/order", follow_redirects=False)
        assert r.status_code == 303, tampered


def test_the_tenth_wrong_try_locks_the_order_even_for_the_right_email(shop):
    nl = shop.slugs["nl"]
    for _ in range(10):
        assert shop.find(nl, shop.orders["mine"], "wrong@example.nl").status_code == 422
    locked = shop.find(nl, shop.orders["mine"], "eva.de.vries@example.nl")
    assert locked.status_code == 429 and "Te veel pogingen" in locked.text and "rf_shopper" not in str(locked.headers)
    assert locked.headers["retry-after"] == "3600" and "een uur" in locked.text
    # an order number that does not exist locks the same way (the lock says nothing about existence)
    for _ in range(10):
        shop.find(nl, "o_nothing_here", "wrong@example.nl")
    assert shop.find(nl, "o_nothing_here", "wrong@example.nl").content == locked.content
    # another order of the same shopper is not locked
    assert shop.find(nl, shop.orders["other"], "1012 AB").status_code == 303


def test_a_client_address_is_limited(sqlite_url):
    client, orders, slugs = make_shop(sqlite_url, portal_lookup_limits="5/minute")
    with client:
        shop = Shop(client, orders, slugs)
        answers = [shop.find(slugs["nl"], f"o_guess_{i}", "x@example.nl").status_code for i in range(6)]
        assert answers == [422] * 5 + [429]
        assert shop.find(slugs["nl"], orders["mine"], "1012 AB").status_code == 429  # even the right answer


def test_limits_are_shared_through_redis(sqlite_url):
    """Two API processes (two apps) on one Redis: the lockout counts the tries made at either."""
    redis.Redis.from_url(REDIS_URL).ping()
    a, orders, slugs = make_shop(sqlite_url, rate_limit_storage=REDIS_URL)
    b = TestClient(api_alone(sqlite_url, portal_secret=SECRET, rate_limit_storage=REDIS_URL))
    with a, b:
        first, second = Shop(a, orders, slugs), Shop(b, orders, slugs)
        for i in range(10):
            assert (first if i % 2 else second).find(slugs["nl"], orders["mine"], "no@example.nl").status_code == 422
        assert first.find(slugs["nl"], orders["mine"], "1012 AB").status_code == 429
        assert second.find(slugs["nl"], orders["mine"], "1012 AB").status_code == 429
        keys = redis.Redis.from_url(REDIS_URL).keys("*portal-order*")
        assert keys and not any(orders["mine"].encode() in k for k in keys)  # HMACs, not order numbers


def test_a_form_without_the_right_csrf_token_is_refused(shop):
    nl = shop.slugs["nl"]
    shop.token(nl)
    for data in (
        {"order_number": shop.orders["mine"], "contact": "1012 AB"},
        {"csrf_token": "forged", "order_number": shop.orders["mine"], "contact": "1012 AB"},
    ):
        r = shop.client.post(f"/portal/{nl}/find", data=data, follow_redirects=False)
        assert r.status_code == 403 and "Dit formulier is verlopen" in r.text
        assert f'href="/portal/{nl}?lang=de"' in r.text  # the switcher points at the page, not at the POST
        assert r.headers["content-security-policy"] == CSP
    # a token from another browser (another cookie) is no good either
    stranger = TestClient(shop.client.app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', stranger.get(f"/portal/{nl}").text).group(1)
    fresh = TestClient(shop.client.app)
    r = fresh.post(f"/portal/{nl}/find", data={"csrf_token": token, "order_number": "1", "contact": "x"})
    assert r.status_code == 403


def test_every_page_has_the_strict_headers(shop):
    nl = shop.slugs["nl"]
    shop.find(nl, shop.orders["mine"], "1012 AB")
    for path, status in (
        (f"/portal/{nl}", 200),
        (f"/portal/{nl}/order", 200),
        ("/portal/no-such-shop", 404),
        (f"/portal/{nl}/nothing", 404),
        ("/portal/v1.bad.link", 404),
    ):
        r = shop.client.get(path)
        assert r.status_code == status, path
        h = r.headers
        assert h["content-security-policy"] == CSP, path
        assert h["referrer-policy"] == "no-referrer" and h["x-content-type-options"] == "nosniff", path
        assert h["x-robots-tag"].startswith("noindex") and h["cache-control"] == "no-store", path
        assert "<style" not in r.text and "style=" not in r.text and "<script" not in r.text, path
        assert '<meta name="viewport"' in r.text and 'href="#main"' in r.text, path
    css = shop.client.get(f"/portal/{nl}/brand.css")
    assert css.headers["content-type"].startswith("text/css") and "--brand: #1d4ed8" in css.text
    assert shop.client.get("/portal-assets/portal.css").headers["content-type"].startswith("text/css")


def test_the_language_comes_from_lang_then_cookie_then_browser_then_shop(shop):
    nl, en = shop.slugs["nl"], shop.slugs["en"]

    def lang_of(path: str, client: TestClient | None = None, **headers) -> str:
        return re.search(r'<html lang="(\w+)">', (client or shop.client).get(path, headers=headers).text).group(1)

    assert lang_of(f"/portal/{nl}") == "nl" and lang_of(f"/portal/{en}") == "en"  # the shop's locale
    assert lang_of(f"/portal/{en}", **{"Accept-Language": "nl-BE,nl;q=0.9,en;q=0.5"}) == "nl"
    page = TestClient(shop.client.app).get(f"/portal/{en}", headers={"Accept-Language": "nl"})
    assert "Een artikel retourneren" in page.text and "Zoek mijn bestelling" in page.text
    browser = TestClient(shop.client.app)
    r = browser.get(f"/portal/{nl}?lang=fr")
    assert "Retrouver ma commande" in r.text and "rf_lang=fr" in r.headers["set-cookie"]
    assert lang_of(f"/portal/{nl}", browser, **{"Accept-Language": "de"}) == "fr"  # the cookie beats the browser
    assert lang_of(f"/portal/{nl}?lang=de", browser) == "de"  # ?lang= beats the cookie
    switcher = browser.get(f"/portal/{nl}?lang=de").text
    assert f'<a href="/portal/{nl}?lang=nl" lang="nl" hreflang="nl">Nederlands</a>' in switcher
    assert 'lang="de" hreflang="de" aria-current="true">Deutsch</a>' in switcher


def test_an_unknown_shop_is_a_localized_404(shop):
    r = shop.client.get(f"/portal/{shop.slugs['nl']}/no/such/page")
    assert r.status_code == 404 and "Deze pagina bestaat niet" in r.text  # in the shop's language
    assert r.headers["content-security-policy"] == CSP
    r = shop.client.get("/portal/no-such-shop", headers={"Accept-Language": "de"})
    assert r.status_code == 404 and "Diese Seite gibt es nicht" in r.text and '<html lang="de">' in r.text
    r = shop.client.post("/portal/no-such-shop/find", data={"csrf_token": "x"}, headers={"Accept-Language": "fr"})
    assert r.status_code == 404 and "Cette page n&#39;existe pas" in r.text
