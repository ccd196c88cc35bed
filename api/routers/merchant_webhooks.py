"""Where a merchant wants settlement events, and the log of every delivery attempt."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import DbDep, Owner, Reader
from api.pages import CursorQuery, decode_cursor, page
from api.schemas.merchant_webhooks import (
    Deliveries,
    DeliveryOut,
    EndpointIn,
    EndpointOut,
)
from db.merchants import get_merchant, new_webhook_endpoint, webhook_deliveries

router = APIRouter(tags=["merchant: webhooks"])


@router.put("/v1/webhook-endpoint", response_model=EndpointOut)
async def set_endpoint(body: EndpointIn, principal: Owner, db: DbDep) -> EndpointOut:
    """Set (or move) the endpoint; a new signing secret is made each time and shown only here."""
    merchant = await db.run(new_webhook_endpoint, principal.merchant_id, str(body.url))
    return EndpointOut(url=merchant.webhook_url, secret=merchant.webhook_secret)


@router.get("/v1/webhook-endpoint", response_model=EndpointOut)
async def get_endpoint(principal: Reader, db: DbDep) -> EndpointOut:
    merchant = await db.run(get_merchant, principal.merchant_id)
    return EndpointOut(url=merchant.webhook_url)


@router.get("/v1/webhook-deliveries", response_model=Deliveries)
async def list_deliveries(
    principal: Reader,
    db: DbDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    event_id: Annotated[str | None, Query(max_length=128)] = None,
    cursor: CursorQuery = None,
) -> Deliveries:
    rows = await db.run(webhook_deliveries, principal.merchant_id, event_id, limit + 1, decode_cursor(cursor, int))
    shown, next_cursor = page(rows, limit, lambda r: (r.attempted_at, r.id))
    return Deliveries(
        data=[DeliveryOut.model_validate(r, from_attributes=True) for r in shown], next_cursor=next_cursor
    )
