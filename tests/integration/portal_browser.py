"""What the portal's browser tests share: Chromium (Debian's, via Playwright), axe-core from npm, screenshots,
and a Dutch shop of their own with orders a shopper can find.

The browser is one per test module (`browser` fixture); each check opens a fresh context (viewport, language)
so cookies and sessions never leak between walks.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from db.onboarding import create_key, create_merchant
from db.return_choices import choices_of
from db.session import make_engine, session_scope
from domain.merchant import MerchantProfile
from tests.factories import create_payment, order_body
from tests.integration.conftest import Running

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / ".data" / "screenshots"
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "mobile": {"width": 390, "height": 844}}
BLOCKING = ("serious", "critical")  # axe impacts that fail a page
PNG = b"\x89PNG\r\n\x1a\n"

POSTCODE = "1017 CT"
EMAIL = "femke.shopper@example.com"
NL_CUSTOMER = {
    "email": EMAIL,
    "name": "Femke de Vries",
    "address": {
        "name": "Femke de Vries",
        "street1": "Prinsengracht 263",
        "city": "Amsterdam",
        "zip": POSTCODE,
        "country": "NL",
        "phone": "+31205550123",
    },
}
NL_LINES = [
    {
        "id": "L1",
        "sku": "TEE-BLK-M",
        "title": "T-shirt zwart M",
        "quantity": 2,
        "unit_price": 2500,
        "category": "apparel",
    },
    {
        "id": "L2",
        "sku": "SHOE-42",
        "title": "Hardloopschoen 42",
        "quantity": 1,
        "unit_price": 8999,
        "category": "shoes",
    },
    # below the starter policy's keep_item_below (500): the shopper keeps it, nothing to send
    {"id": "L3", "sku": "SOCK-1", "title": "Sokken", "quantity": 1, "unit_price": 399, "category": "apparel"},
    # final sale under the starter policy: shown greyed with the policy's reason (axe checks its contrast)
    {"id": "L4", "sku": "GIFT-25", "title": "Cadeaubon", "quantity": 1, "unit_price": 2500, "category": "gift_cards"},
]
ORDER_TOTAL = sum(line["quantity"] * line["unit_price"] for line in NL_LINES)
STORE = {
    "id": "store_ams_centrum",
    "kind": "store",
    "name": "Winkel Amsterdam Centrum",
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
            "sku": sku,
            "product_id": product,
            "title": title,
            "options": {"size": size},
            "price": {"amount": price, "currency": "EUR"},
        }
        for sku, product, title, size, price in (
            ("TEE-BLK-M", "TEE", "T-shirt zwart", "M", 2500),  # the ordered variants name their products
            ("SHOE-42", "SHOE", "Hardloopschoen", "42", 8999),
            ("TEE-BLK-L", "TEE", "T-shirt zwart", "L", 2500),
            ("TEE-BLK-S", "TEE", "T-shirt zwart", "S", 2500),
            ("SHOE-43", "SHOE", "Hardloopschoen", "43", 8999),
        )
    ]
}


# --- the browser ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser(running: Running) -> Iterator[Browser]:
    # The stack first: Playwright's sync API runs an event loop in this thread, after which the stack's
    # readiness checks (asyncio.run) could not run.
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing; `make test` installs it (tests/services.sh: apt-get install chromium)")
    args = ["--no-sandbox"] if os.geteuid() == 0 else []  # chromium's sandbox refuses to run as root
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=args)
        try:
            yield chromium
        finally:
            chromium.close()


def context(browser: Browser, width: str = "desktop", lang: str = "en", javascript: bool = True) -> BrowserContext:
    """A fresh shopper: no cookies, the browser's language `lang`; CSP bypassed so axe can be injected."""
    ctx = browser.new_context(
        viewport=WIDTHS[width],
        locale=lang,
        extra_http_headers={"Accept-Language": lang},
        bypass_csp=True,
        java_script_enabled=javascript,
    )
    ctx.set_default_timeout(15_000)
    return ctx


# --- axe-core ------------------------------------------------------------------------------------------------


def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make test` (or `make node_modules/.installed`) to install npm packages")
    return AXE.read_text()


def violations(page: Page) -> list[dict]:
    """axe-core's violations of impact serious or critical on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v.get("impact") in BLOCKING]


def describe(found: list[dict]) -> str:
    lines = []
    for v in found:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"][:5]:
            lines.append(f"    {node['target']}: {node.get('failureSummary', '').splitlines()[-1:]}")
    return "\n".join(lines)


def assert_accessible(page: Page, what: str) -> None:
    found = violations(page)
    assert not found, f"axe-core: serious/critical violations on {what} ({page.url}):\n{describe(found)}"


# --- keyboard focus ------------------------------------------------------------------------------------------

FOCUS_STYLE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el);
  return {tag: el.tagName, text: (el.innerText || el.value || el.getAttribute('aria-label') || '').slice(0, 60),
          outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0, shadow: s.boxShadow !== 'none'};
}"""


def focused(page: Page) -> dict | None:
    return page.evaluate(FOCUS_STYLE)


def assert_focus_visible(page: Page, what: str) -> dict:
    el = focused(page)
    assert el is not None, f"nothing has the keyboard focus on {what}"
    assert el["outline"] or el["shadow"], f"the focused {el['tag']} {el['text']!r} shows no focus ring on {what}"
    return el


def tab_to(page: Page, matches, what: str, limit: int = 60, back: bool = False) -> dict:
    """Press Tab (Shift+Tab when `back`) until the focused element satisfies `matches(el_info)`."""
    key = "Shift+Tab" if back else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        el = page.evaluate(
            """() => { const e = document.activeElement; if (!e) return null;
              return {tag: e.tagName, type: e.type || '', name: e.name || '', value: e.value || '',
                      text: (e.innerText || '').trim(), label: e.labels && e.labels[0] ? e.labels[0].innerText : '',
                      checked: !!e.checked, href: e.getAttribute('href') || ''}; }"""
        )
        if el and matches(el):
            return el
    raise AssertionError(f"{limit} presses of {key} never reached {what} on {page.url}")


# --- screenshots ---------------------------------------------------------------------------------------------


def screenshot(page: Page, walk: str, step: str, width: str) -> Path:
    """A full-page PNG under .data/screenshots/<walk>/<step>-<width>.png, for people to look at."""
    folder = SCREENSHOTS / re.sub(r"[^a-z0-9_-]+", "-", walk.lower())
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{step}-{width}.png"
    page.screenshot(path=str(path), full_page=True)
    data = path.read_bytes()
    assert data.startswith(PNG) and len(data) > 5_000, f"{path} is not a real screenshot ({len(data)} bytes)"
    return path


# --- a shop of the tests' own --------------------------------------------------------------------------------


@dataclass
class Shop:
    id: str
    slug: str
    key: str
    locale: str

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def new_shop(run: Running, locale: str = "nl") -> Shop:
    """A Dutch merchant (EUR, Europe/Amsterdam) with the starter policy and facilities, a slug for its portal,
    a store shoppers can hand returns in at, a catalog with stock for exchanges."""
    slug = f"winkel-{uuid.uuid4().hex[:8]}"
    profile = MerchantProfile(
        name="De Testwinkel", slug=slug, country="NL", currency="EUR", locale=locale, timezone="Europe/Amsterdam"
    )
    engine = make_engine(run.settings.database_url)
    try:
        with session_scope(engine) as session:
            created = create_merchant(session, profile, test_mode=True, now=datetime.now(UTC))
            shop = Shop(created.merchant.id, slug, created.keys["merchant"].key, locale)
    finally:
        engine.dispose()
    facilities = run.api.get("/v1/facilities", headers=shop.headers()).json()
    facilities["facilities"].append(STORE)
    r = run.api.put("/v1/facilities", json=facilities, headers=shop.headers())
    assert r.status_code == 200, r.text
    r = run.api.put("/v1/catalog", json=CATALOG, headers=shop.headers())
    assert r.status_code == 200, r.text
    levels = [{"sku": v["sku"], "facility_id": "wh_demo_nl", "on_hand": 50} for v in CATALOG["variants"]]
    r = run.api.put("/v1/stock", json={"levels": levels}, headers=shop.headers())
    assert r.status_code == 200, r.text
    return shop


def new_order(run: Running, shop: Shop, placed_days_ago: int = 5) -> str:
    """An order of `shop` by NL_CUSTOMER, paid in full (sandbox Stripe), delivered two days after it was placed;
    its id (the order number the shopper types)."""
    pi = create_payment(run.settings.stripe_base_url, amount=ORDER_TOTAL, currency="eur", merchant_id=shop.id)
    order_id = f"NL{uuid.uuid4().hex[:8].upper()}"
    body = order_body(pi, currency="EUR", lines=NL_LINES, customer=NL_CUSTOMER, placed_days_ago=placed_days_ago)
    r = run.api.put(f"/v1/orders/{order_id}", json=body, headers=shop.headers())
    assert r.status_code == 201, r.text
    return order_id


def api_return(run: Running, shop: Shop, return_id: str) -> dict:
    r = run.api.get(f"/v1/returns/{return_id}", headers=shop.headers())
    assert r.status_code == 200, r.text
    return r.json()


def choices(run: Running, shop: Shop, return_id: str):
    """What the portal recorded beside the return (language, send method, store): the API has no field for it."""
    engine = make_engine(run.settings.database_url)
    try:
        with session_scope(engine) as session:
            found = choices_of(session, shop.id, return_id)
            assert found is not None, f"no choices recorded for {return_id}"
            session.expunge(found)
            return found
    finally:
        engine.dispose()


def store_key(run: Running, shop: Shop) -> dict[str, str]:
    """Headers with a fresh key of scope `store` (what a store's scanner holds)."""
    engine = make_engine(run.settings.database_url)
    try:
        with session_scope(engine) as session:
            key = create_key(session, shop.id, "store", test_mode=True, now=datetime.now(UTC)).key
    finally:
        engine.dispose()
    return {"Authorization": f"Bearer {key}"}
