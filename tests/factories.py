"""Test data: merchants, orders with a real (sandbox) Stripe payment, return inputs."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import stripe
from sqlalchemy.engine import Engine

from db.seed import DEMO_MERCHANT_ID, seed_merchant
from db.session import session_scope
from db.tables import Order
from domain.payout import OWNER_METADATA_KEY
from domain.policy import ReturnContext, ReturnPolicy
from domain.returns import OrderFacts, Resolution, ReturnLine, ReturnReason
from settings import DEV_STRIPE_KEY
from workflows.messages import ReturnInput

CUSTOMER = {
    "email": "sam.shopper@example.com",
    "name": "Sam Shopper",
    "address": {
        "name": "Sam Shopper",
        "street1": "417 Montgomery St",
        "street2": "Floor 5",
        "city": "San Francisco",
        "state": "CA",
        "zip": "94104",
        "country": "US",
        "phone": "4155559999",
    },
}
LINES = [
    {
        "id": "L1",
        "sku": "TEE-BLK-M",
        "title": "T-shirt black M",
        "quantity": 2,
        "unit_price": 2500,
        "category": "apparel",
    },
    {"id": "L2", "sku": "SHOE-42", "title": "Runner 42", "quantity": 1, "unit_price": 8999, "category": "shoes"},
]


def stripe_client(payments_url: str) -> stripe.StripeClient:
    return stripe.StripeClient(DEV_STRIPE_KEY, base_addresses={"api": payments_url}, max_network_retries=0)


def create_payment(
    payments_url: str,
    amount: int,
    currency: str = "usd",
    payment_method: str = "pm_card_visa",
    *,
    merchant_id: str = DEMO_MERCHANT_ID,
) -> str:
    """A succeeded PaymentIntent of `merchant_id` (its metadata["merchant_id"]: domain/payout.py's ownership)."""
    pi = stripe_client(payments_url).v1.payment_intents.create(
        params={
            "amount": amount,
            "currency": currency,
            "payment_method": payment_method,
            "confirm": True,
            "metadata": {OWNER_METADATA_KEY: merchant_id},
        }
    )
    return pi.id


def merchant_row(engine: Engine) -> str:
    """A bare merchant written with the columns of the first schema only, for migration tests that start from an
    old revision (the ORM's Merchant has the newest columns); returns its id."""
    merchant_id = f"m_{uuid.uuid4().hex[:10]}"
    merchants = sa.table(
        "merchants",
        *(sa.column(c) for c in ("id", "name", "return_window_days", "label_expiry_days", "warehouse_id")),
        sa.column("warehouse_address", sa.JSON),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    with engine.begin() as conn:
        conn.execute(
            merchants.insert().values(
                id=merchant_id,
                name=f"Shop {merchant_id}",
                return_window_days=30,
                label_expiry_days=30,
                warehouse_id="wh_demo_nl",
                warehouse_address={},
                created_at=datetime.now(UTC),
            )
        )
    return merchant_id


def new_merchant(engine: Engine, **kw) -> tuple[str, str, str]:
    """A merchant with fresh keys; returns (merchant_id, merchant_key, warehouse_key)."""
    merchant_id = f"m_{uuid.uuid4().hex[:10]}"
    mkey, wkey = f"rf_test_m_{uuid.uuid4().hex}", f"rf_test_w_{uuid.uuid4().hex}"
    seed_merchant(
        engine, merchant_id=merchant_id, name=f"Shop {merchant_id}", merchant_key=mkey, warehouse_key=wkey, **kw
    )
    return merchant_id, mkey, wkey


THREE_LINES = LINES + [
    {"id": "L3", "sku": "EARBUDS-1", "title": "Earbuds", "quantity": 1, "unit_price": 5900, "category": "electronics"},
]


def order_body(
    payment_reference: str | None,
    *,
    placed_days_ago: int = 5,
    currency: str = "USD",
    lines: list[dict] | None = None,
    customer: dict | None = None,
) -> dict:
    now = datetime.now(UTC)
    body = {
        "placed_at": (now - timedelta(days=placed_days_ago)).isoformat(),
        "delivered_at": (now - timedelta(days=max(placed_days_ago - 2, 0))).isoformat(),
        "currency": currency,
        "customer": customer or CUSTOMER,
        "lines": lines or LINES,
    }
    if payment_reference:
        body["payment"] = {"provider": "stripe", "reference": payment_reference}
    return body


def insert_order(engine: Engine, merchant_id: str, payment_reference: str | None, **kw) -> Order:
    body = order_body(payment_reference, **kw)
    order = Order(
        merchant_id=merchant_id,
        id=f"o_{uuid.uuid4().hex[:10]}",
        placed_at=datetime.fromisoformat(body["placed_at"]),
        delivered_at=datetime.fromisoformat(body["delivered_at"]),
        currency=body["currency"],
        customer=body["customer"],
        lines=body["lines"],
        payment=body.get("payment"),
    )
    with session_scope(engine) as session:
        session.add(order)
    return order


def return_input(
    order: Order,
    merchant_id: str,
    *,
    resolution: Resolution = Resolution.REFUND,
    requested_at: datetime | None = None,
    reason: ReturnReason = ReturnReason.TOO_SMALL,
    window_days: int = 30,
    policy: ReturnPolicy | None = None,
    customer_tier: str | None = None,
) -> ReturnInput:
    lines = [
        ReturnLine(
            line_id=l["id"],
            sku=l["sku"],
            quantity=l["quantity"],
            unit_price=l["unit_price"],
            category=l["category"],
            reason=reason,
        )
        for l in order.lines
    ]
    return_id = f"ret_{uuid.uuid4().hex[:24]}"
    return ReturnInput(
        return_id=return_id,
        merchant_id=merchant_id,
        context=ReturnContext(
            order=OrderFacts(
                order_id=order.id, currency=order.currency, placed_at=order.placed_at, delivered_at=order.delivered_at
            ),
            destination_country=order.customer["address"]["country"],
            customer_tier=customer_tier,
            order_value=sum(l["unit_price"] * l["quantity"] for l in order.lines),
        ),
        lines=lines,
        resolution=resolution,
        policy=policy or ReturnPolicy(default_window_days=window_days),
        policy_version=1 if policy else None,
        requested_at=requested_at or datetime.now(UTC),
        request_fingerprint=hashlib.sha256(return_id.encode()).hexdigest(),
    )
