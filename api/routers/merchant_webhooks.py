"""Where a merchant wants settlement events, and the log of every delivery attempt."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, UrlConstraints

from api.deps import DbDep, MerchantKey
from db.merchants import get_merchant, new_webhook_endpoint, webhook_deliveries

router = APIRouter(tags=["merchant: webhooks"])


class EndpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Annotated[AnyHttpUrl, UrlConstraints(max_length=2000)] = Field(description="http(s) URL that receives return.refunded, return.credited, refund.failed")


class EndpointOut(BaseModel):
    url: str | None
    secret: str | None = Field(default=None, description="shown once, when the endpoint is set: verify Returnflow-Signature with it")


class DeliveryOut(BaseModel):
    event_id: str
    event_type: str
    return_id: str | None
    url: str
    attempt: int
    status_code: int | None
    error: str | None
    delivered: bool
    attempted_at: datetime


class Deliveries(BaseModel):
    data: list[DeliveryOut]


@router.put("/v1/webhook-endpoint", response_model=EndpointOut)
async def set_endpoint(body: EndpointIn, principal: MerchantKey, db: DbDep) -> EndpointOut:
    """Set (or move) the endpoint; a new signing secret is made each time and shown only here."""
    merchant = await db.run(new_webhook_endpoint, principal.merchant_id, str(body.url))
    return EndpointOut(url=merchant.webhook_url, secret=merchant.webhook_secret)


@router.get("/v1/webhook-endpoint", response_model=EndpointOut)
async def get_endpoint(principal: MerchantKey, db: DbDep) -> EndpointOut:
    merchant = await db.run(get_merchant, principal.merchant_id)
    return EndpointOut(url=merchant.webhook_url)


@router.get("/v1/webhook-deliveries", response_model=Deliveries)
async def list_deliveries(
    principal: MerchantKey, db: DbDep, limit: Annotated[int, Query(ge=1, le=200)] = 50,
    event_id: Annotated[str | None, Query(max_length=128)] = None,
) -> Deliveries:
    rows = await db.run(webhook_deliveries, principal.merchant_id, event_id, limit)
    return Deliveries(data=[DeliveryOut.model_validate(r, from_attributes=True) for r in rows])
