"""The label email in the shopper's language, for real: a migrated database with the return's recorded
choices, a label bought from the EasyPost sandbox, the mail sent over SMTP and read back from the sink."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.testing import ActivityEnvironment

from activities.email import EmailActivities, LabelEmail
from activities.portal_links import portal_link
from db.return_choices import record_choices
from db.session import session_scope
from db.tables import Merchant, ReturnRecord, TimelineRecord
from domain.money import Money
from domain.rma import rma_code
from domain.shopper_locale import moment, money
from tests.activities.test_email import Setup, _setup, buy_label
from tests.factories import CUSTOMER, insert_order, new_merchant

PORTAL = "https://returns.example"
SECRET = "portal-secret-for-tests"
BOUGHT_AT = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
RUNNER = 8999  # tests.factories.LINES: L2, "Runner 42", one of them is returned


@pytest.fixture
def mail_setup(sqlite_url, sandboxes):
    yield from _setup(sqlite_url, sandboxes)


@pytest.fixture
def any_db_setup(database_url, sandboxes):
    yield from _setup(database_url, sandboxes)


def activities(s: Setup) -> EmailActivities:
    return EmailActivities(s.engine, s.smtp, portal_link=lambda r, m: portal_link(PORTAL, SECRET, r, m))


def branded_return(
    s: Setup,
    *,
    language: str | None,
    send_method: str = "label",
    currency: str = "EUR",
    merchant_locale: str | None = None,
    label_extra: dict | None = None,
) -> tuple[LabelEmail, str, dict, str]:
    """A branded Dutch shop's return with a bought label; `language` None: no choices recorded (an older return)."""
    merchant_id, _, _ = new_merchant(s.engine)
    with session_scope(s.engine) as session:
        merchant = session.get(Merchant, merchant_id)
        merchant.display_name = "Mode & Zo"
        merchant.support_email = "klantenservice@modezo.example"
        merchant.logo_url = "https://cdn.modezo.example/logo.png"
        merchant.brand_color = "#c0ffee"
        merchant.timezone = "Europe/Amsterdam"
        merchant.country = "NL"
        merchant.locale = merchant_locale
    email = f"sam.{uuid.uuid4().hex[:8]}@example.com"
    order = insert_order(s.engine, merchant_id, None, currency=currency, customer={**CUSTOMER, "email": email})
    return_id = f"ret_{uuid.uuid4().hex[:24]}"
    label = {**buy_label(s.easypost_url, return_id), **(label_extra or {})}
    now = datetime.now(UTC)
    with session_scope(s.engine) as session:
        session.add(
            ReturnRecord(
                id=return_id,
                merchant_id=merchant_id,
                order_id=order.id,
                status="label_created",
                resolution="refund",
                items=[{"line_id": "L2", "sku": "SHOE-42", "quantity": 1, "reason": "too_small"}],
                label=label,
                tracking_code=label["tracking_code"],
                request_fingerprint="fp",
                version=2,
                created_at=now,
                updated_at=now,
            )
        )
        session.flush()
        session.add(
            TimelineRecord(
                return_id=return_id, seq=1, at=BOUGHT_AT, status="label_created", event="label", cause="label bought"
            )
        )
    if language is not None:
        with session_scope(s.engine) as session:
            record_choices(session, merchant_id, return_id, language, send_method)
    return LabelEmail(return_id=return_id, merchant_id=merchant_id), email, label, order.id


def send(s: Setup, req: LabelEmail, email: str) -> dict:
    assert ActivityEnvironment().run(activities(s).send_label_email, req).status == "sent"
    [msg] = s.inbox(email)
    return msg


def header(msg: dict, name: str) -> str:
    [value] = [v for k, v in msg["headers"] if k.lower() == name.lower()]
    return value


def test_a_dutch_return_gets_a_dutch_email_with_the_shops_branding(any_db_setup):
    s = any_db_setup
    req, email, label, order_id = branded_return(s, language="nl")
    msg = send(s, req, email)

    assert msg["subject"] == f"Je retourlabel voor bestelling {order_id} bij Mode & Zo"
    assert msg["from"] == "Mode & Zo <returns@returnflow.example>"
    assert header(msg, "Reply-To") == "Mode & Zo <klantenservice@modezo.example>"
    assert header(msg, "Content-Language") == "nl"
    link = f"{portal_link(PORTAL, SECRET, req.return_id, req.merchant_id)}?lang=nl"
    deadline = moment(BOUGHT_AT + timedelta(days=30), "nl", "Europe/Amsterdam", "short")
    for body in (msg["text"], msg["html"]):
        assert "Hallo Sam Shopper," in body
        assert "Verpak de artikelen stevig." in body and "Print het bijgevoegde label" in body
        assert "Geen printer?" in body  # the QR code is offered as the way without a printer
        assert "Runner 42" in body and money(Money(amount=RUNNER, currency="EUR"), "nl") in body  # € 89,99
        assert "€\xa089,99" in body
        assert f"Verstuur het pakket vóór {deadline}." in body  # the label's expiry in Amsterdam time
        assert label["tracking_code"] in body and label["label_url"] in body
        assert link in body
        assert "klantenservice@modezo.example" in body
        for english in ("Hello", "Pack the items", "Your return label is ready"):
            assert english not in body
    assert 'lang="nl"' in msg["html"]
    assert 'src="https://cdn.modezo.example/logo.png"' in msg["html"] and "#c0ffee" in msg["html"]


def test_an_english_return_gets_the_email_in_english_with_amounts_as_english_writes_them(mail_setup):
    s = mail_setup
    req, email, label, order_id = branded_return(s, language="en", currency="USD", merchant_locale="nl")
    msg = send(s, req, email)

    assert msg["subject"] == f"Your return label for order {order_id} at Mode & Zo"
    assert header(msg, "Content-Language") == "en"
    for body in (msg["text"], msg["html"]):
        assert "Hello Sam Shopper," in body and "Pack the items securely." in body
        assert "$89.99" in body
        assert f"{portal_link(PORTAL, SECRET, req.return_id, req.merchant_id)}?lang=en" in body
        assert "Verpak" not in body


@pytest.mark.parametrize(
    ("language", "subject", "greeting", "amount"),
    [
        ("de", "Ihr Rücksendeetikett für die Bestellung {order} bei Mode & Zo", "Hallo Sam Shopper,", "89,99\xa0€"),
        (
            "fr",
            "Votre étiquette de retour pour la commande {order} chez Mode & Zo",
            "Bonjour Sam Shopper,",
            "89,99\xa0€",
        ),
    ],
)
def test_german_and_french_returns_get_their_language(mail_setup, language, subject, greeting, amount):
    s = mail_setup
    req, email, _, order_id = branded_return(s, language=language)
    msg = send(s, req, email)
    assert msg["subject"] == subject.format(order=order_id)
    assert greeting in msg["text"] and amount in msg["text"] and f"?lang={language}" in msg["text"]


def test_a_return_without_recorded_choices_is_written_in_the_merchants_language(mail_setup):
    s = mail_setup
    req, email, _, order_id = branded_return(s, language=None, merchant_locale="de")
    msg = send(s, req, email)
    assert msg["subject"] == f"Ihr Rücksendeetikett für die Bestellung {order_id} bei Mode & Zo"
    assert "Drucken Sie das beigefügte Etikett" in msg["text"]


def test_the_qr_method_needs_no_printer(mail_setup):
    s = mail_setup
    req, email, label, _ = branded_return(s, language="nl", send_method="qr")
    msg = send(s, req, email)
    text = msg["text"]
    assert (
        f"Geen printer nodig: laat de bijgevoegde QR-code (dropoff-qr.png) zien bij een afgiftepunt van {label['carrier']}"
        in text
    )
    assert "Print het bijgevoegde label" not in text
    assert "dropoff-qr.png" in [a["filename"] for a in msg["attachments"]]


def test_the_pickup_method_tells_the_booked_window_in_the_merchants_time(mail_setup):
    s = mail_setup
    window = {"min_datetime": "2026-12-07T08:00:00Z", "max_datetime": "2026-12-07T12:00:00Z"}
    pickup = {"pickup_id": "pu_1", "carrier": "USPS", "service": "Priority", "cost": {"amount": 0, "currency": "USD"}}
    req, email, label, _ = branded_return(
        s, language="fr", send_method="pickup", label_extra={"pickup": {**pickup, "window": window}}
    )
    text = send(s, req, email)["text"]
    start = moment(datetime(2026, 12, 7, 8, tzinfo=UTC), "fr", "Europe/Amsterdam", "short")
    end = moment(datetime(2026, 12, 7, 12, tzinfo=UTC), "fr", "Europe/Amsterdam", "short")
    assert start.endswith("09:00") and end.endswith("13:00")  # Amsterdam is UTC+1 in December
    assert f"{label['carrier']} vient chercher le colis à votre adresse entre {start} et {end}." in text
    assert "avant le" not in text  # the pickup's window is the deadline that matters


def test_the_pickup_method_before_the_booking_landed_says_the_window_you_booked(mail_setup):
    s = mail_setup
    req, email, label, _ = branded_return(s, language="nl", send_method="pickup")
    text = send(s, req, email)["text"]
    assert f"{label['carrier']} haalt het pakket op je adres op in het tijdvak dat je hebt geboekt." in text


def test_the_store_method_says_to_hand_it_in_with_the_rma_code(mail_setup):
    s = mail_setup
    req, email, _, order_id = branded_return(s, language="de", send_method="store")
    msg = send(s, req, email)
    assert msg["subject"] == f"Ihre Rücksendung der Bestellung {order_id} bei Mode & Zo: so geben Sie sie ab"
    assert f"mit Ihrem Rücksendecode {rma_code(req.return_id)} an der Kasse ab" in msg["text"]
    assert "Drucken Sie das beigefügte Etikett" not in msg["text"]
