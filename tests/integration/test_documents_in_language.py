"""A return created over HTTP with the shopper's language: the worker's label email (read back from the
SMTP sink) and the packing slip (GET .../packing-slip.pdf) speak it, on the merchant's paper."""

from __future__ import annotations

import io
import uuid

import pypdf
import pytest

from activities.portal_links import portal_link
from db.session import make_engine, session_scope
from db.tables import Merchant
from domain.money import Money
from domain.shopper_locale import money
from tests.factories import CUSTOMER, LINES, create_payment, order_body
from tests.integration.conftest import Running, poll

pytestmark = pytest.mark.integration


def shop_in(run: Running, shop: dict, country: str, timezone: str) -> None:
    engine = make_engine(run.settings.database_url)
    with session_scope(engine) as session:
        merchant = session.get(Merchant, shop["id"])
        merchant.country, merchant.timezone, merchant.display_name = country, timezone, f"Shop in {country}"
    engine.dispose()


def returned_in(run: Running, shop: dict, language: str) -> tuple[dict, str]:
    """A return of two T-shirts and the runners, asked for in `language`; the shopper's own address."""
    email = f"sam.{uuid.uuid4().hex[:8]}@example.com"
    pi = create_payment(run.settings.stripe_base_url, amount=2 * 2500 + 8999, merchant_id=shop["id"])
    order_id = f"o-{uuid.uuid4().hex[:8]}"
    body = order_body(pi, customer={**CUSTOMER, "email": email})
    r = run.api.put(f"/v1/orders/{order_id}", json=body, headers=shop["merchant"])
    assert r.status_code == 201, r.text
    items = [
        {"line_id": "L1", "quantity": 2, "reason": "too_small"},
        {"line_id": "L2", "quantity": 1, "reason": "defective"},
    ]
    body = {"order_id": order_id, "items": items, "resolution": "refund", "language": language}
    r = run.api.post("/v1/returns", json=body, headers=shop["merchant"])
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "label_created", r.json()
    return r.json(), email


def label_email(run: Running, email: str) -> dict:
    messages = poll(
        lambda: run.mail.get("/_sandbox/messages", params={"to": email}).json(), len, 60, f"the label email to {email}"
    )
    [message] = messages
    return message


def packing_slip(run: Running, shop: dict, return_id: str) -> tuple[tuple[int, int], str]:
    r = run.api.get(f"/v1/returns/{return_id}/packing-slip.pdf", headers=shop["merchant"])
    assert r.status_code == 200, r.text
    pages = pypdf.PdfReader(io.BytesIO(r.content)).pages
    box = pages[0].mediabox
    return (round(float(box.width)), round(float(box.height))), "\n".join(p.extract_text() for p in pages)


def test_a_dutch_return_at_a_dutch_shop(running: Running, shop):
    run = running
    shop_in(run, shop, "NL", "Europe/Amsterdam")
    ret, email = returned_in(run, shop, "nl")

    message = label_email(run, email)
    assert message["subject"] == f"Je retourlabel voor bestelling {ret['order_id']} bij Shop in NL"
    link = portal_link(run.settings.public_url, run.settings.portal_secret, ret["id"], shop["id"])
    for body in (message["text"], message["html"]):
        assert "Hallo Sam Shopper," in body and "Verpak de artikelen stevig." in body
        assert f"{link}?lang=nl" in body
        assert money(Money(amount=8999, currency="USD"), "nl") in body  # US$ 89,99: the order is in dollars
        assert ret["label"]["tracking_code"] in body

    size, text = packing_slip(run, shop, ret["id"])
    assert size == (595, 842)  # A4
    assert "Retourpakbon" in text and "Reden van retour" in text and "te klein" in text and "defect" in text
    assert all(line["title"] in text for line in LINES)


def test_an_english_return_at_a_us_shop(running: Running, shop):
    run = running
    shop_in(run, shop, "US", "America/New_York")
    ret, email = returned_in(run, shop, "en")

    message = label_email(run, email)
    assert message["subject"] == f"Your return label for order {ret['order_id']} at Shop in US"
    assert "Pack the items securely." in message["text"] and "$89.99" in message["text"]
    assert "?lang=en" in message["text"]

    size, text = packing_slip(run, shop, ret["id"])
    assert size == (612, 792)  # US Letter
    assert "Return packing slip" in text and "too small" in text and "$50.00" in text
