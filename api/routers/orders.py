"""Merchants push order snapshots; returns are checked against them."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import DbDep, Owner, Reader, SettingsDep
from api.errors import ApiError
from api.merchant_accounts import stripe_account_of
from api.payment_check import check_payment_reference
from api.schemas.common import PathId
from api.schemas.orders import OrderIn, OrderOut, OrderReturnOut, OrderWithReturns
from db import orders, returns

router = APIRouter(prefix="/v1/orders", tags=["merchant: orders"])


@router.put("/{order_id}", response_model=OrderOut)
async def put_order(
    order_id: PathId, body: OrderIn, principal: Owner, db: DbDep, response: Response, settings: SettingsDep
) -> OrderOut:
    if body.payment is not None:  # the merchant's, succeeded, in the order's currency (422 naming payment.reference)
        account = await stripe_account_of(db, settings, principal.merchant_id)  # its own, where it set a key
        await check_payment_reference(account, principal.merchant_id, body.payment.reference, body.currency)
    values = body.model_dump(mode="json", exclude={"placed_at", "delivered_at"})
    values.update(placed_at=body.placed_at, delivered_at=body.delivered_at)
    row, created = await db.run(orders.upsert_order, principal.merchant_id, order_id, values)
    response.status_code = 201 if created else 200
    return OrderOut(id=row.id, updated_at=row.updated_at, **body.model_dump())


@router.get("/{order_id}", response_model=OrderWithReturns)
async def get_order(order_id: PathId, principal: Reader, db: DbDep) -> OrderWithReturns:
    """The order as pushed, with its returns (id, status, created; newest first)."""
    row = await db.run(orders.get_order, principal.merchant_id, order_id)
    if row is None:
        raise ApiError(404, "order_not_found", f"order {order_id!r} not found")
    its_returns = await db.run(returns.order_returns, principal.merchant_id, order_id)
    return OrderWithReturns(
        id=row.id,
        updated_at=row.updated_at,
        placed_at=row.placed_at,
        delivered_at=row.delivered_at,
        currency=row.currency,
        customer=row.customer,
        lines=row.lines,
        payment=row.payment,
        returns=[OrderReturnOut(id=r.id, status=r.status, created_at=r.created_at) for r in its_returns],
    )
