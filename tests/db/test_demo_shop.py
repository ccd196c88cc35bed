"""The demo shop `make run` seeds: a Dutch shop whose orders a shopper can return, seeded again on every start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from db.demo_shop import DEMO_CATALOG, DEMO_ORDERS, DEMO_SHOPPER, order_total, seed_demo_shop
from db.orders import get_order
from db.seed import DEMO_MERCHANT_ID, DEMO_WAREHOUSE_ID, seed_merchant
from db.session import session_scope
from db.stores import stores_of
from db.tables import CatalogVariant, Merchant, StockRecord
from domain.catalog import Variant
from domain.facilities.example_stores import example_stores


def test_the_demo_shop_is_dutch_has_paid_orders_and_stock_and_a_second_start_changes_nothing_but_dates(engine):
    seed_merchant(engine, merchant_id=DEMO_MERCHANT_ID, name="Demo Shop", merchant_key="mk_" + "x" * 30,
                  warehouse_key="wk_" + "x" * 30)  # fmt: skip
    paid: list[tuple[str, int]] = []

    def pay(order_id: str, amount: int) -> str:
        paid.append((order_id, amount))
        return f"pi_{order_id}"

    first = datetime(2026, 12, 1, 9, tzinfo=UTC)
    seed_demo_shop(engine, DEMO_MERCHANT_ID, DEMO_WAREHOUSE_ID, first, pay)
    later = first + timedelta(days=40)
    seed_demo_shop(engine, DEMO_MERCHANT_ID, DEMO_WAREHOUSE_ID, later, pay)

    assert sorted(paid) == sorted((o, order_total(lines)) for o, (_, lines) in DEMO_ORDERS.items())  # once each
    with session_scope(engine) as session:
        merchant = session.get(Merchant, DEMO_MERCHANT_ID)
        assert (merchant.slug, merchant.locale, merchant.timezone, merchant.currency) == (
            "demo", "nl-NL", "Europe/Amsterdam", "EUR"
        )  # fmt: skip
        order = get_order(session, DEMO_MERCHANT_ID, "DEMO-1001")
        assert order.customer == DEMO_SHOPPER and order.payment["reference"] == "pi_DEMO-1001"
        assert order.placed_at == later - timedelta(days=DEMO_ORDERS["DEMO-1001"][0])  # the window stays open
        for sku in DEMO_CATALOG:
            Variant.model_validate(session.get(CatalogVariant, (DEMO_MERCHANT_ID, sku)).document)
        assert [store.id for store in stores_of(session, DEMO_MERCHANT_ID)] == [s["id"] for s in example_stores()]
        stock = session.get(StockRecord, (DEMO_MERCHANT_ID, "RUN-43", DEMO_WAREHOUSE_ID))
        assert stock.on_hand == DEMO_CATALOG["RUN-43"][3]
