"""Checking a return request against its order and the merchant's policy.

Shared by `POST /v1/returns/quote` (answers whatever the verdict) and
`POST /v1/returns` (refuses what the quote refuses, with the same reasons).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from api.errors import ApiError
from api.label_estimate import estimate_for
from api.schemas.returns import ReturnCreate
from db import return_units
from db.merchants import get_merchant
from db.orders import get_order
from db.policies import current_policy
from db.tables import Merchant, Order
from domain.policy import Quote, ReturnContext, ReturnPolicy, evaluate
from domain.requests import RequestedItem, check_request
from domain.returns import OrderFacts, OrderLine, ReturnLine


@dataclass(frozen=True)
class Assessment:
    order: Order
    merchant: Merchant
    lines: list[ReturnLine]
    context: ReturnContext
    policy: ReturnPolicy
    policy_version: int | None
    quote: Quote
    at: datetime


def _load(session: Session, merchant_id: str, order_id: str, return_id: str | None):
    order = get_order(session, merchant_id, order_id)
    if order is None:
        return None, None, None, None
    merchant = get_merchant(session, merchant_id)
    returned = return_units.held_quantities(session, merchant_id, order_id, except_return=return_id)
    return order, merchant, returned, current_policy(session, merchant_id)


def default_policy(merchant: Merchant) -> ReturnPolicy:
    """A merchant that saved no policy gets its window for every destination and every resolution."""
    return ReturnPolicy(default_window_days=merchant.return_window_days)


async def assess(db, merchant_id: str, body: ReturnCreate, at: datetime, return_id: str | None = None) -> Assessment:
    """`return_id`: the return being created, whose own reserved units (a retry's) still count as left."""
    order, merchant, returned, saved = await db.run(_load, merchant_id, body.order_id, return_id)
    if order is None:
        raise ApiError(404, "order_not_found", f"order {body.order_id!r} not found; PUT it to /v1/orders first")
    lines = {l["id"]: OrderLine.model_validate(l) for l in order.lines}
    problems = check_request(
        {k: l.quantity for k, l in lines.items()},
        [RequestedItem(line_id=i.line_id, quantity=i.quantity) for i in body.items],
        returned,
    )
    if problems:
        raise ApiError(
            422, "invalid_items", "; ".join(p.message for p in problems), details=[p.model_dump() for p in problems]
        )
    return_lines = [
        ReturnLine(
            line_id=i.line_id,
            sku=lines[i.line_id].sku,
            quantity=i.quantity,
            unit_price=lines[i.line_id].unit_price,
            category=lines[i.line_id].category,
            reason=i.reason,
        )
        for i in body.items
    ]
    policy = ReturnPolicy.model_validate(saved.document) if saved else default_policy(merchant)
    context = ReturnContext(
        order=OrderFacts(
            order_id=order.id, currency=order.currency, placed_at=order.placed_at, delivered_at=order.delivered_at
        ),
        destination_country=order.customer["address"]["country"],
        customer_tier=order.customer.get("tier"),
        line_tags={l["id"]: list(l.get("tags") or []) for l in order.lines},
        order_value=sum(l.unit_price * l.quantity for l in lines.values()),
        label_cost_estimate=await estimate_for(db, merchant_id, policy, order),  # keep-the-item "below the label cost"
        strict_flat_amounts=True,  # flat fees only in their own currency
    )
    quote = evaluate(policy, context, return_lines, body.resolution, at)
    return Assessment(order, merchant, return_lines, context, policy, saved.version if saved else None, quote, at)
