"""The merchant's switches for the shopper's emails, and what a return's notifications became."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, StrictBool, field_validator

from api.schemas.common import Strict
from domain.notifications import MailKind

KINDS = ", ".join(k.value for k in MailKind)


class EmailSwitchesOut(BaseModel):
    emails: dict[str, bool] = Field(description=f"every kind of shopper email, on (true) or off: {KINDS}")


class EmailSwitchesIn(Strict):
    emails: dict[str, StrictBool] = Field(
        max_length=len(MailKind), description="the kinds to switch (the others stay as they are): " + KINDS
    )

    @field_validator("emails")
    @classmethod
    def _known(cls, v: dict[str, bool]) -> dict[str, bool]:
        unknown = [k for k in v if k not in {m.value for m in MailKind}]
        if unknown:
            raise ValueError(f"unknown email kind {unknown[0][:64]!r}; the kinds are {KINDS}")
        return v


class ReturnEmailOut(BaseModel):
    """One email to the return's shopper (never the address)."""

    kind: str
    status: str = Field(description="pending, sent, refused, suppressed, withdrawn, switched_off or failed")
    scheduled: bool = Field(description="a reminder, sent when due if still wanted")
    due_at: datetime | None = Field(description="pending: when it is (next) tried")
    attempts: int
    sent_at: datetime | None
    smtp_code: int | None
    last_error: str | None


class EventDeliveryOut(BaseModel):
    endpoint_id: str
    status: str = Field(description="pending, delivered or failed")
    attempts: int
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None


class ReturnEventOut(BaseModel):
    id: str = Field(description="the event id (the webhook-id header)")
    type: str
    created_at: datetime
    deliveries: list[EventDeliveryOut]


class ReturnNotificationsOut(BaseModel):
    return_id: str
    emails: list[ReturnEmailOut]
    events: list[ReturnEventOut] = Field(description="events some endpoint wanted, in order (none wanted: none)")
