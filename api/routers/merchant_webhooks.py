"""Where a merchant wants settlement events, and the log of every delivery attempt."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, UrlConstraints
from sqlmodel import Session, col, select

from api.deps import DbDep, MerchantKey
from db.tables import Merchant, WebhookDelivery

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

    def save(session: Session) -> EndpointOut:
        merchant = session.get(Merchant, principal.merchant_id)
        merchant.webhook_url = str(body.url)
        merchant.webhook_secret = "whsec_" + secrets.token_hex(24)
        session.add(merchant)
        return EndpointOut(url=merchant.webhook_url, secret=merchant.webhook_secret)

    return await db.run(save)


@router.get("/v1/webhook-endpoint", response_model=EndpointOut)
async def get_endpoint(principal: MerchantKey, db: DbDep) -> EndpointOut:
    merchant = await db.run(lambda s: s.get(Merchant, principal.merchant_id))
    return EndpointOut(url=merchant.webhook_url)


@router.get("/v1/webhook-deliveries", response_model=Deliveries)
async def list_deliveries(
    principal: MerchantKey, db: DbDep, limit: Annotated[int, Query(ge=1, le=200)] = 50,
    event_id: Annotated[str | None, Query(max_length=128)] = None,
) -> Deliveries:
    def rows(session: Session) -> list[WebhookDelivery]:
        q = select(WebhookDelivery).where(WebhookDelivery.merchant_id == principal.merchant_id)
        if event_id:
            q = q.where(WebhookDelivery.event_id == event_id)
        return list(session.exec(q.order_by(col(WebhookDelivery.attempted_at).desc()).limit(limit)).all())

    return Deliveries(data=[DeliveryOut.model_validate(r, from_attributes=True) for r in await db.run(rows)])
