"""A branded shop's return with everything its emails tell (a label with a pickup, a refund, an exchange, a
store), its shopper emails kept by the real outbox (db.outbox.keep), and the mailer pointed at the SMTP sink."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from activities.portal_links import portal_link
from activities.shopper_mail import ShopperMailer
from db import outbox
from db.return_choices import record_choices
from db.session import session_scope
from db.stores import add_missing_stores
from db.tables import Merchant, ReturnRecord, ShopperEmail, StoreCreditEntry, TimelineRecord
from domain.facilities.example_stores import example_stores
from domain.notifications import Announcement, MailKind
from tests.activities.test_email import Setup
from tests.factories import CUSTOMER, insert_order, new_merchant

PORTAL = "https://returns.example"
SECRET = "portal-secret-for-tests"
T0 = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
WINDOW = (datetime(2026, 12, 8, 8, tzinfo=UTC), datetime(2026, 12, 8, 12, tzinfo=UTC))  # 09:00–13:00 Amsterdam
REFUND = 8400
DIFFERENCE = 1500
EARLIER_CREDIT = 1000


@dataclass
class Shop:
    merchant_id: str
    return_id: str
    order_id: str
    email: str


def mailer(s: Setup, **kw) -> ShopperMailer:
    return ShopperMailer(s.engine, s.smtp, lambda r, m: portal_link(PORTAL, SECRET, r, m), **kw)


def link(shop: Shop, language: str) -> str:
    return f"{portal_link(PORTAL, SECRET, shop.return_id, shop.merchant_id)}?lang={language}"


def branded_return(
    s: Setup, *, language: str = "nl", local: str | None = None, status: str = "label_created", currency: str = "EUR"
) -> Shop:
    """`local`: the address's local part (bounce, tempfail: the sink refuses them)."""
    merchant_id, _, _ = new_merchant(s.engine)
    with session_scope(s.engine) as session:
        merchant = session.get(Merchant, merchant_id)
        merchant.display_name = "Mode & Zo"
        merchant.support_email = "klantenservice@modezo.example"
        merchant.logo_url = "https://cdn.modezo.example/logo.png"
        merchant.brand_color = "#c0ffee"
        merchant.timezone = "Europe/Amsterdam"
        merchant.country = "NL"
        add_missing_stores(session, merchant_id, example_stores()[:1])
    email = f"{local or 'sam'}+{uuid.uuid4().hex[:8]}@example.com"
    order = insert_order(s.engine, merchant_id, None, currency=currency, customer={**CUSTOMER, "email": email})
    return_id = f"ret_{uuid.uuid4().hex[:24]}"
    money = {"currency": currency}
    label = {
        "shipment_id": "shp_1",
        "carrier": "PostNL",
        "service": "Standard",
        "tracking_code": "3SRETURN0001",
        "label_url": "https://labels.example/3SRETURN0001.png",
        "rate": {"amount": 695, **money},
        "pickup": {
            "pickup_id": "pu_1",
            "carrier": "PostNL",
            "service": "Pickup",
            "cost": {"amount": 0, **money},
            "window": {"min_datetime": WINDOW[0].isoformat(), "max_datetime": WINDOW[1].isoformat()},
            "status": "scheduled",
        },
    }
    replacement = {"line_id": "L2", "sku": "SHOE-42", "quantity": 1, "warehouse_id": "wh", "status": "shipped"}
    with session_scope(s.engine) as session:
        session.add(
            ReturnRecord(
                id=return_id,
                merchant_id=merchant_id,
                order_id=order.id,
                status=status,
                resolution="refund",
                items=[{"line_id": "L2", "sku": "SHOE-42", "quantity": 1, "reason": "too_small"}],
                label=label,
                tracking_code=label["tracking_code"],
                refund={"method": "refund", "amount": {"amount": REFUND, **money}, "status": "succeeded"},
                exchange={
                    "mode": "standard",
                    "replacements": [
                        {**replacement, "unit_price": {"amount": 8999, **money}, "tracking_code": "3SNEW42"}
                    ],
                    "difference": {"amount": DIFFERENCE, **money},
                },
                decision_reasons=["outside the return window"],
                request_fingerprint="fp",
                version=2,
                created_at=T0,
                updated_at=T0,
            )
        )
        session.flush()
        for seq, (event, st) in enumerate([("label", "label_created"), ("hand_in", "awaiting_hand_in")], start=1):
            session.add(TimelineRecord(return_id=return_id, seq=seq, at=T0, status=st, event=event, cause="test"))
        for amount, key in ((EARLIER_CREDIT, "earlier"), (REFUND, "this")):
            session.add(
                StoreCreditEntry(
                    merchant_id=merchant_id,
                    customer_email=email,
                    amount=amount,
                    currency=currency,
                    kind="issue",
                    idempotency_key=f"{return_id}-{key}",
                    created_at=T0,
                )
            )
    with session_scope(s.engine) as session:
        record_choices(session, merchant_id, return_id, language, "store", "st_demo_amsterdam")
    return Shop(merchant_id, return_id, order.id, email)


def keep(
    s: Setup, shop: Shop, *mails: MailKind | tuple[MailKind, datetime], now: datetime = T0, status: str = ""
) -> None:
    """The emails through the real outbox, in this order; (kind, due) is a reminder due then."""
    announced = []
    for mail in mails:
        kind, due = mail if isinstance(mail, tuple) else (mail, None)
        announced.append(Announcement(key=f"mail:{kind.value}", mail=kind, due_at=due))
    with session_scope(s.engine) as session:
        outbox.keep(session, shop.merchant_id, shop.return_id, status or "label_created", announced, {}, now)


def emails(s: Setup, shop: Shop) -> dict[str, ShopperEmail]:
    with session_scope(s.engine) as session:
        rows = session.exec(select(ShopperEmail).where(ShopperEmail.return_id == shop.return_id))
        return {r.kind: r for r in rows}


def later(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)
