"""The merchant's webhook endpoints, their deliveries and each delivery's attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, UrlConstraints

from domain.notifications import SUBSCRIBABLE
from domain.validation import Id, text

Url = Annotated[AnyHttpUrl, UrlConstraints(max_length=2000)]
EventName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^(\*|[a-z_]+(\.[a-z_]+)*)$")]
Description = text(200)
EVENTS_HELP = "event types to receive (" + ", ".join(e.value for e in SUBSCRIBABLE) + ') or ["*"] for all'


class EndpointIn(BaseModel):
    """The single endpoint of before (PUT /v1/webhook-endpoint)."""

    model_config = ConfigDict(extra="forbid")

    url: Url = Field(description="http(s) URL that receives every event")


class EndpointOut(BaseModel):
    url: str | None
    secret: str | None = Field(default=None, description="shown once, when the endpoint is set")


class EndpointCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Url = Field(description="http(s) URL the events are POSTed to")
    events: list[EventName] = Field(default=["*"], min_length=1, max_length=len(SUBSCRIBABLE), description=EVENTS_HELP)
    description: Description | None = None


class EndpointPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Url | None = None
    events: list[EventName] | None = Field(
        default=None, min_length=1, max_length=len(SUBSCRIBABLE), description=EVENTS_HELP
    )
    description: Description | None = None
    enabled: bool | None = Field(default=None, description="true again: the deliveries it held go on")


class Endpoint(BaseModel):
    id: str
    url: str
    events: list[str] = Field(description='["*"]: every event')
    description: str | None
    enabled: bool
    disabled_reason: str | None
    previous_secret_until: datetime | None = Field(description="until then the previous secret signs too")
    created_at: datetime
    updated_at: datetime


class EndpointWithSecret(Endpoint):
    secret: str = Field(description="whsec_…: verify signatures with it; shown only now")


class Endpoints(BaseModel):
    data: list[Endpoint]
    next_cursor: str | None = Field(None, description="always null: a merchant has few endpoints")


class RotateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    overlap_hours: int = Field(default=24, ge=0, le=168, description="how long the old secret keeps signing too")


class PingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    endpoint_id: Id | None = Field(default=None, description="leave out: every endpoint")


class PingResult(BaseModel):
    delivery_id: int
    endpoint_id: str
    url: str
    delivered: bool
    status_code: int | None
    latency_ms: int
    error: str | None


class PingOut(BaseModel):
    event_id: str | None
    results: list[PingResult]


class DeliveryOut(BaseModel):
    id: int
    event_id: str
    event_type: str
    return_id: str | None
    endpoint_id: str
    url: str | None = Field(description="null once the endpoint is deleted")
    status: str = Field(description="pending, delivered, failed, or cancelled (its endpoint deleted)")
    attempts: int
    last_status_code: int | None
    last_latency_ms: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    next_attempt_at: datetime | None = Field(description="when it is tried next; null unless pending")


class Deliveries(BaseModel):
    data: list[DeliveryOut]
    next_cursor: str | None = Field(None, description="pass as `cursor` for the next page; null on the last")


class AttemptOut(BaseModel):
    attempt: int
    attempted_at: datetime
    status_code: int | None
    latency_ms: int | None
    error: str | None
    delivered: bool


class Attempts(BaseModel):
    data: list[AttemptOut]
    next_cursor: str | None = Field(None, description="always null: a delivery's attempts come whole")
