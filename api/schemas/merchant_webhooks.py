"""The merchant's webhook endpoint and the log of deliveries to it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, UrlConstraints


class EndpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Annotated[AnyHttpUrl, UrlConstraints(max_length=2000)] = Field(
        description="http(s) URL that receives return.refunded, return.credited, refund.failed"
    )


class EndpointOut(BaseModel):
    url: str | None
    secret: str | None = Field(
        default=None, description="shown once, when the endpoint is set: verify Returnflow-Signature with it"
    )


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
    next_cursor: str | None = Field(None, description="pass as `cursor` for the next page; null on the last")
