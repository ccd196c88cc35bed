"""What the demo shop's shoppers find at `make run`: a Dutch shop with orders to return.

`make run` calls `seed_demo_shop` on every start, after the payments sandbox is up: the demo merchant
speaks Dutch (nl-NL, Europe/Amsterdam, EUR), sells shoes and clothes with variants in stock (so an
exchange can be picked), and has orders placed a few days ago (dates refreshed each start so the
return window stays open) with one paid PaymentIntent each, so a refund has a capture to come from, and two
stores a shopper can hand a return in at.
Open http://127.0.0.1:8000/portal/demo and find order DEMO-1001 with `sanne@example.nl` or `1012 LG`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from db.orders import get_order
from db.session import session_scope
from db.stores import add_missing_stores
from db.tables import CatalogVariant, Merchant, Order, StockRecord
from domain.facilities.example_stores import example_stores

DEMO_SHOPPER = {
    "email": "sanne@example.nl",
    "name": "Sanne de Vries",
    "address": {
        "name": "Sanne de Vries",
        "street1": "Damrak 70",
        "city": "Amsterdam",
        "zip": "1012 LG",
        "country": "NL",
        "phone": "0201234567",
    },
}

# order id -> (days since it was placed, lines); the old one shows a window that ended.
DEMO_ORDERS: dict[str, tuple[int, list[dict]]] = {
    "DEMO-1001": (
        4,
        [
            {"id": "L1", "sku": "RUN-42", "title": "Hardloopschoen Runner, maat 42", "quantity": 1,
             "unit_price": 8995, "category": "shoes"},
            {"id": "L2", "sku": "TEE-BLK-M", "title": "T-shirt zwart, M", "quantity": 2, "unit_price": 2495,
             "category": "apparel"},
            {"id": "L3", "sku": "GIFT-25", "title": "Cadeaukaart € 25", "quantity": 1, "unit_price": 2500,
             "category": "gift_cards"},
        ],
    ),
    "DEMO-1002": (
        6,
        [
            {"id": "L1", "sku": "SWIM-38", "title": "Badpak blauw, 38", "quantity": 1, "unit_price": 4995,
             "category": "swimwear"},
            {"id": "L2", "sku": "HEAD-1", "title": "Koptelefoon draadloos", "quantity": 1, "unit_price": 12900,
             "category": "electronics"},
            {"id": "L3", "sku": "SOCK-3", "title": "Sportsokken", "quantity": 1, "unit_price": 395,
             "category": "apparel"},
        ],
    ),
    "DEMO-0900": (
        75,
        [
            {"id": "L1", "sku": "RUN-41", "title": "Hardloopschoen Runner, maat 41", "quantity": 1,
             "unit_price": 8995, "category": "shoes"},
        ],
    ),
}  # fmt: skip

# sku -> (title, options, price, on hand at the demo warehouse)
DEMO_CATALOG: dict[str, tuple[str, dict[str, str], int, int]] = {
    "RUN-41": ("Hardloopschoen Runner", {"maat": "41"}, 8995, 3),
    "RUN-42": ("Hardloopschoen Runner", {"maat": "42"}, 8995, 2),
    "RUN-43": ("Hardloopschoen Runner", {"maat": "43"}, 8995, 4),
    "RUN-44": ("Hardloopschoen Runner", {"maat": "44"}, 8995, 0),
    "RUN-PRO-42": ("Hardloopschoen Runner Pro", {"maat": "42"}, 10995, 2),
    "TEE-BLK-S": ("T-shirt zwart", {"maat": "S"}, 2495, 5),
    "TEE-BLK-M": ("T-shirt zwart", {"maat": "M"}, 2495, 5),
    "TEE-BLK-L": ("T-shirt zwart", {"maat": "L"}, 2495, 5),
}


def order_total(lines: list[dict]) -> int:
    return sum(line["unit_price"] * line["quantity"] for line in lines)


def seed_demo_shop(
    engine: Engine, merchant_id: str, warehouse_id: str, now: datetime, pay: Callable[[str, int], str | None]
) -> None:
    """`pay(order_id, amount)`: a succeeded payment's reference for a new order (None: unpaid)."""
    with session_scope(engine) as session:
        merchant = session.get(Merchant, merchant_id)
        if merchant is None:
            return
        merchant.display_name = merchant.display_name or "Demo Sport & Mode"
        merchant.country, merchant.currency = "NL", "EUR"
        merchant.locale, merchant.timezone = "nl-NL", "Europe/Amsterdam"
        merchant.support_email = merchant.support_email or "klantenservice@demo.example"
        session.add(merchant)
        session.flush()
        add_missing_stores(session, merchant_id, example_stores())  # where a shopper can hand a return in
        for sku, (title, options, price, on_hand) in DEMO_CATALOG.items():
            if session.get(CatalogVariant, (merchant_id, sku)) is None:
                document = {"sku": sku, "product_id": sku.rsplit("-", 1)[0], "title": title, "options": options,
                            "price": {"amount": price, "currency": "EUR"}, "category": "shoes" if sku.startswith("RUN") else "apparel"}  # fmt: skip
                session.add(CatalogVariant(merchant_id=merchant_id, sku=sku, document=document, updated_at=now))
            if session.get(StockRecord, (merchant_id, sku, warehouse_id)) is None:
                session.add(StockRecord(merchant_id=merchant_id, sku=sku, facility_id=warehouse_id, on_hand=on_hand))
        for order_id, (days_ago, lines) in DEMO_ORDERS.items():
            order = get_order(session, merchant_id, order_id)
            placed = now - timedelta(days=days_ago)
            if order is None:
                reference = pay(order_id, order_total(lines))
                order = Order(
                    merchant_id=merchant_id,
                    id=order_id,
                    placed_at=placed,
                    currency="EUR",
                    customer=DEMO_SHOPPER,
                    lines=lines,
                    payment={"provider": "stripe", "reference": reference} if reference else None,
                )
            order.placed_at, order.delivered_at, order.updated_at = placed, placed + timedelta(days=2), now
            session.add(order)
