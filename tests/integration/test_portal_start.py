"""A shopper starts a return in the portal, over HTTP against the whole stack (real workflow, EasyPost and Stripe
sandboxes), as a browser without JavaScript does: find the order, pick items, choose what they get and how they
send it, confirm. Each created return is read back over the merchant API and its recorded choices.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from PIL import Image

from api.portal_links import read_portal_token
from db.onboarding import create_merchant
from db.return_choices import choices_of
from db.session import make_engine, session_scope
from domain.merchant import MerchantProfile
from tests.factories import create_payment, order_body
from tests.integration.conftest import Running, poll

pytestmark = pytest.mark.integration

EMAIL = "jip.shopper@example.com"
CUSTOMER = {
    "email": EMAIL,
    "name": "Jip Jansen",
    "address": {
        "name": "Jip Jansen",
        "street1": "Prinsengracht 263",
        "city": "Amsterdam",
        "zip": "1016 GV",
        "country": "NL",
        "phone": "+31205550123",
    },
}
LINES = [
    {"id": "L1", "sku": "TEE-BLK-M", "title": "T-shirt zwart M", "quantity": 2, "unit_price": 2500},
    {"id": "L2", "sku": "SHOE-42", "title": "Hardloopschoen 42", "quantity": 1, "unit_price": 8999},
    # below the starter policy's keep_item_below (€ 5,00): kept, nothing to send
    {"id": "L3", "sku": "SOCK-1", "title": "Sokken", "quantity": 1, "unit_price": 399},
    # the starter policy's swimwear rule: photos when it is faulty
    {"id": "L4", "sku": "SWIM-1", "title": "Badpak", "quantity": 1, "unit_price": 3999, "category": "swimwear"},
]
STORE = {
    "id": "store_ams",
    "kind": "store",
    "name": "Startwinkel Kalverstraat",
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
            "options": {"maat": size},
            "price": {"amount": price, "currency": "EUR"},
        }
        for sku, product, title, size, price in (
            ("TEE-BLK-M", "TEE", "T-shirt zwart", "M", 2500),
            ("TEE-BLK-L", "TEE", "T-shirt zwart", "L", 2700),
            ("SHOE-42", "SHOE", "Hardloopschoen", "42", 8999),
        )
    ]
}


@dataclass
class Shop:
    id: str
    slug: str
    key: str

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@pytest.fixture(scope="module")
def shop(running: Running) -> Shop:
    """A Dutch merchant (EUR, Europe/Amsterdam) with the starter policy and facilities, a store, and a catalog in
    stock."""
    slug = f"start-{uuid.uuid4().hex[:8]}"
    profile = MerchantProfile(
        name="Startwinkel", slug=slug, country="NL", currency="EUR", locale="nl", timezone="Europe/Amsterdam"
    )
    engine = make_engine(running.settings.database_url)
    try:
        with session_scope(engine) as session:
            created = create_merchant(session, profile, test_mode=True, now=datetime.now(UTC))
            found = Shop(created.merchant.id, slug, created.keys["merchant"].key)
    finally:
        engine.dispose()
    facilities = running.api.get("/v1/facilities", headers=found.headers()).json()
    facilities["facilities"].append(STORE)
    assert running.api.put("/v1/facilities", json=facilities, headers=found.headers()).status_code == 200
    assert running.api.put("/v1/catalog", json=CATALOG, headers=found.headers()).status_code == 200
    levels = [{"sku": v["sku"], "facility_id": "wh_demo_nl", "on_hand": 50} for v in CATALOG["variants"]]
    assert running.api.put("/v1/stock", json={"levels": levels}, headers=found.headers()).status_code == 200
    return found


def new_order(run: Running, shop: Shop) -> str:
    total = sum(line["quantity"] * line["unit_price"] for line in LINES)
    pi = create_payment(run.settings.stripe_base_url, amount=total, currency="eur", merchant_id=shop.id)
    order_id = f"NL{uuid.uuid4().hex[:8].upper()}"
    r = run.api.put(
        f"/v1/orders/{order_id}",
        json=order_body(pi, currency="EUR", lines=LINES, customer=CUSTOMER),
        headers=shop.headers(),
    )
    assert r.status_code == 201, r.text
    return order_id


def hidden(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', html))


@pytest.fixture
def shopper(running: Running) -> Iterator[httpx.Client]:
    """A browser of its own (cookies), without JavaScript."""
    with httpx.Client(base_url=running.settings.api_base_url, timeout=60) as client:
        yield client


def find(client: httpx.Client, shop: Shop, order_id: str, lang: str) -> None:
    page = client.get(f"/portal/{shop.slug}", params={"lang": lang})
    assert page.status_code == 200, page.text
    r = client.post(f"/portal/{shop.slug}/find", data={**hidden(page.text), "order_number": order_id, "contact": EMAIL})
    assert r.status_code == 303 and r.headers["location"] == f"/portal/{shop.slug}/order", r.text


class Walk:
    """One shopper's way through the four steps; `page` is the page they are looking at."""

    def __init__(self, client: httpx.Client, shop: Shop, lang: str) -> None:
        self.client, self.shop, self.lang = client, shop, lang
        r = client.get(f"/portal/{shop.slug}/start", params={"lang": lang})
        assert r.status_code == 200, r.text
        self.page = r.text

    def post(self, step: str, status: int = 200, **fields) -> httpx.Response:
        r = self.client.post(f"/portal/{self.shop.slug}/start/{step}", data={**hidden(self.page), **fields})
        assert r.status_code == status, r.text[-3000:]
        if r.status_code == 200:
            self.page = r.text
        return r

    def confirm(self) -> tuple[httpx.Response, dict[str, str]]:
        form = hidden(self.page)
        return self.post("confirm", 303, action="next"), form


def created(run: Running, shop: Shop, redirect: httpx.Response) -> tuple[str, dict]:
    """The return the portal created (from the page it sent the shopper to), as the merchant API reads it."""
    location = redirect.headers["location"]
    assert location.startswith("/portal/v1."), location
    found = read_portal_token(location.removeprefix("/portal/"), run.settings.portal_secret)
    assert found is not None and found[0] == shop.id  # (merchant id, return id)
    r = run.api.get(f"/v1/returns/{found[1]}", headers=shop.headers())
    assert r.status_code == 200, r.text
    return location, r.json()


def recorded(run: Running, shop: Shop, return_id: str) -> tuple[str, str, str | None]:
    engine = make_engine(run.settings.database_url)
    try:
        with session_scope(engine) as session:
            row = choices_of(session, shop.id, return_id)
            return row.language, row.send_method, row.store_id
    finally:
        engine.dispose()


def test_label_and_refund_in_dutch_and_a_double_submit_is_one_return(running: Running, shop: Shop, shopper):
    run = running
    find(shopper, shop, new_order(run, shop), "nl")
    walk = Walk(shopper, shop, "nl")
    assert "Stap 1 van 4" in walk.page
    walk.post("items", action="next", qty_0="2", reason_0="too_small", comment_0="Valt klein")
    assert "Stap 2 van 4" in walk.page
    walk.post("resolution", action="next", resolution="refund")
    assert "Stap 3 van 4" in walk.page
    walk.post("send", action="next", send_method="label")
    assert "Stap 4 van 4" in walk.page and "T-shirt zwart M" in walk.page
    redirect, form = walk.confirm()
    location, ret = created(run, shop, redirect)
    assert ret["resolution"] == "refund" and ret["status"] in ("label_created", "requested")
    assert [(i["line_id"], i["quantity"], i["reason"]) for i in ret["items"]] == [("L1", 2, "too_small")]
    ret = poll(
        lambda: run.api.get(f"/v1/returns/{ret['id']}", headers=shop.headers()).json(),
        lambda x: x["label"],
        60,
        "the label",
    )
    assert ret["label"]["tracking_code"]
    assert recorded(run, shop, ret["id"]) == ("nl", "label", None)

    # The same form again (a double click, or back and submit): the same return, no second one.
    again = shopper.post(f"/portal/{shop.slug}/start/confirm", data={**form, "action": "next"})
    assert again.status_code == 303 and again.headers["location"] == location
    # Back to an earlier step after submitting, changing something: the return already created.
    changed = shopper.post(f"/portal/{shop.slug}/start/send", data={**form, "action": "next", "send_method": "qr"})
    assert changed.status_code == 303 and changed.headers["location"] == location
    listed = run.api.get("/v1/returns", params={"order_id": ret["order_id"]}, headers=shop.headers()).json()
    assert [r["id"] for r in listed["data"]] == [ret["id"]]
    # The return's page opens in Dutch.
    assert shopper.get(location).status_code == 200


def test_qr_drop_off_and_store_credit_in_english(running: Running, shop: Shop, shopper):
    run = running
    find(shopper, shop, new_order(run, shop), "en")
    walk = Walk(shopper, shop, "en")
    walk.post("items", action="next", qty_1="1", reason_1="changed_mind")
    assert "€98.98 credit instead of €84.04" in walk.page  # 10 % bonus, and no € 5,95 return shipping
    walk.post("resolution", action="next", resolution="store_credit")
    walk.post("send", action="next", send_method="qr")
    assert "Drop it off with a QR code" in walk.page
    redirect, _form = walk.confirm()
    _location, ret = created(run, shop, redirect)
    assert ret["resolution"] == "store_credit"
    assert [(i["line_id"], i["quantity"], i["reason"]) for i in ret["items"]] == [("L2", 1, "changed_mind")]
    assert recorded(run, shop, ret["id"]) == ("en", "qr", None)


def test_pickup_and_exchange_in_dutch(running: Running, shop: Shop, shopper):
    run = running
    find(shopper, shop, new_order(run, shop), "nl")
    walk = Walk(shopper, shop, "nl")
    walk.post("items", action="next", qty_0="1", reason_0="too_small")
    assert "T-shirt zwart – L: €\xa027,00 (je betaalt €\xa02,00 meer)" in walk.page
    walk.post("resolution", action="next", resolution="exchange", exchange_0="TEE-BLK-L")
    slots = re.findall(r'<option value="(\d{4}-[^"]+)"', walk.page)
    assert len(slots) == 10
    walk.post("send", action="next", send_method="pickup", pickup=slots[0])
    assert "Laten ophalen door de vervoerder" in walk.page
    redirect, _form = walk.confirm()
    _location, ret = created(run, shop, redirect)
    assert ret["resolution"] == "exchange"
    assert recorded(run, shop, ret["id"]) == ("nl", "pickup", None)
    ret = poll(
        lambda: run.api.get(f"/v1/returns/{ret['id']}", headers=shop.headers()).json(),
        lambda x: (x["label"] or {}).get("pickup") and x["exchange"],
        90,
        "the pickup and the replacement",
    )
    window = ret["label"]["pickup"]["window"]
    assert datetime.fromisoformat(window["min_datetime"].replace("Z", "+00:00")) == datetime.fromisoformat(slots[0])
    assert [r["sku"] for r in ret["exchange"]["replacements"]] == ["TEE-BLK-L"]


def test_an_item_the_policy_lets_the_shopper_keep_skips_the_send_step(running: Running, shop: Shop, shopper):
    run = running
    find(shopper, shop, new_order(run, shop), "en")
    walk = Walk(shopper, shop, "en")
    walk.post("items", action="next", qty_2="1", reason_2="changed_mind")
    assert "You can keep the items: there is nothing to send back." in walk.page
    walk.post("resolution", action="next", resolution="refund")
    assert "Step 4 of 4" in walk.page and "Nothing to send: you can keep the items." in walk.page
    redirect, _form = walk.confirm()
    _location, ret = created(run, shop, redirect)
    assert ret["resolution"] == "refund" and [i["line_id"] for i in ret["items"]] == ["L3"]
    ret = poll(
        lambda: run.api.get(f"/v1/returns/{ret['id']}", headers=shop.headers()).json(),
        lambda x: x["status"] in ("settling", "completed"),
        60,
        "kept and settled",
    )
    assert ret["label"] is None


def test_an_order_fully_returned_offers_nothing_more(running: Running, shop: Shop, shopper):
    run = running
    order_id = new_order(run, shop)
    find(shopper, shop, order_id, "en")
    walk = Walk(shopper, shop, "en")
    walk.post("items", action="next", qty_0="2", reason_0="too_small", qty_1="1", reason_1="too_large")
    walk.post("resolution", action="next", resolution="refund")
    walk.post("send", action="next", send_method="label")
    walk.confirm()
    page = shopper.get(f"/portal/{shop.slug}/start", params={"lang": "en"}).text
    assert 'name="qty_0"' not in page and 'name="qty_1"' not in page and page.count("Already returned.") == 2


def test_hand_it_in_at_a_store_and_refund_in_english(running: Running, shop: Shop, shopper):
    run = running
    find(shopper, shop, new_order(run, shop), "en")
    walk = Walk(shopper, shop, "en")
    walk.post("items", action="next", qty_1="1", reason_1="too_large")
    walk.post("resolution", action="next", resolution="refund")
    assert "Startwinkel Kalverstraat" in walk.page and "Mon–Sat 10:00–18:00" in walk.page
    walk.post("send", action="next", send_method="store", store="store_ams")
    assert "Step 4 of 4" in walk.page and "Hand it in at one of our stores" in walk.page
    redirect, _form = walk.confirm()
    _location, ret = created(run, shop, redirect)
    assert ret["resolution"] == "refund" and [i["line_id"] for i in ret["items"]] == ["L2"]
    assert recorded(run, shop, ret["id"]) == ("en", "store", "store_ams")
    ret = poll(
        lambda: run.api.get(f"/v1/returns/{ret['id']}", headers=shop.headers()).json(),
        lambda x: x["status"] == "awaiting_hand_in",
        60,
        "waiting to be handed in",
    )
    assert ret["label"] is None  # no label is bought for a store


def test_a_faulty_swimsuit_goes_with_its_photo(running: Running, shop: Shop, shopper):
    run = running
    find(shopper, shop, new_order(run, shop), "nl")
    walk = Walk(shopper, shop, "nl")
    walk.post("items", 422, action="next", qty_3="1", reason_3="defective")
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 120, 200)).save(buf, "JPEG")
    r = shopper.post(
        f"/portal/{shop.slug}/photos",
        data={"csrf_token": hidden(walk.page)["csrf_token"], "line_id": "L4"},
        files={"photo_L4": ("badpak.jpg", buf.getvalue(), "image/jpeg")},
    )
    assert r.status_code == 303, r.text
    walk = Walk(shopper, shop, "nl")  # without JavaScript the upload comes back to the first step
    walk.post("items", action="next", qty_3="1", reason_3="defective", comment_3="Naad los")
    walk.post("resolution", action="next", resolution="refund")
    walk.post("send", action="next", send_method="label")
    redirect, _form = walk.confirm()
    _location, ret = created(run, shop, redirect)
    assert [(i["line_id"], i["reason"]) for i in ret["items"]] == [("L4", "defective")]
    photos = run.api.get(f"/v1/returns/{ret['id']}/photos", headers=shop.headers())
    assert photos.status_code == 200, photos.text
    assert [p["line_id"] for p in photos.json()["data"]] == ["L4"]
