"""An exchange request checked before its return starts: every replacement must exist, be on sale
and be priced in the order's currency (a 422 naming the item's field otherwise).

Stock is not checked here: the workflow reserves it, and falls back to the shopper's second
choice when a replacement is out of stock everywhere (never stuck).
"""

from __future__ import annotations

from pydantic import ValidationError
from sqlmodel import Session

from api.assessment import Assessment
from api.errors import ApiError
from api.schemas.returns import ReturnCreate
from db.catalog import load_catalog, load_stock
from db.registry import load_registry
from domain.exchange import ExchangeRequest, plan_exchange
from domain.facilities import GeoPoint
from domain.geo import shopper_point
from domain.money import Money
from domain.returns import Resolution
from settings import Settings
from workflows.messages import ExchangeLine, ExchangeOrder


async def exchange_order(
    db, merchant_id: str, body: ReturnCreate, found: Assessment, settings: Settings
) -> ExchangeOrder | None:
    wants = [(i, item) for i, item in enumerate(body.items) if item.exchange is not None]
    if body.resolution != Resolution.EXCHANGE:
        if wants:
            i = wants[0][0]
            raise ApiError(
                422,
                "invalid_request",
                f"items[{i}].exchange: only a return with resolution exchange names replacements",
                field=f"items[{i}].exchange",
            )
        return None
    missing = [i for i, item in enumerate(body.items) if item.exchange is None]
    if missing:
        raise ApiError(
            422,
            "invalid_request",
            f"items[{missing[0]}].exchange: an exchange names a replacement for every item",
            field=f"items[{missing[0]}].exchange",
        )

    def load(session: Session):
        return (
            load_catalog(session, merchant_id),
            load_stock(session, merchant_id),
            load_registry(session, merchant_id).facilities,
        )

    catalog, stock, warehouses = await db.run(load)
    point = shopper_point(found.order.customer.get("address", {})) or GeoPoint(lat=0, lon=0)
    quoted = {q.line_id: q for q in found.quote.items}
    lines = []
    for i, item in wants:
        quantity = item.exchange.quantity or item.quantity
        value = quoted[item.line_id].refund_amount
        request = ExchangeRequest(
            line_id=item.line_id,
            replacement_sku=item.exchange.replacement_sku,
            quantity=max(quantity, 1),
            fallback=body.fallback,
        )
        try:
            plan_exchange(
                request,
                Money(amount=value.amount * quantity // item.quantity, currency=found.order.currency),
                catalog,
                stock,
                warehouses,
                point,
                found.order.currency,
                returned_quantity=item.quantity,
            )
        except ValidationError as err:
            first = err.errors()[0]
            field = f"items[{i}].exchange." + ".".join(str(p) for p in first["loc"])
            raise ApiError(422, "invalid_exchange", f"{field}: {first['msg']}", field=field) from err
        lines.append(ExchangeLine(line_id=item.line_id, replacement_sku=request.replacement_sku, quantity=quantity))
    return ExchangeOrder(
        lines=lines,
        mode=body.exchange_mode,
        fallback=body.fallback,
        advance_deadline_days=settings.advance_exchange_days,
        on_missing=settings.advance_exchange_on_missing,
    )
