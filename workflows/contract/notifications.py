"""Merchant webhook events: what the return announces, and what each delivery workflow delivers."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel


class MerchantEventType(StrEnum):
    """The `type` of a merchant webhook event (merchants switch on it: never rename a value)."""

    RETURN_REFUNDED = "return.refunded"
    RETURN_CREDITED = "return.credited"
    RETURN_EXCHANGED = "return.exchanged"
    REFUND_FAILED = "refund.failed"


class MerchantEvent(BaseModel):
    event_id: str  # workflows.ids.merchant_event_id: a merchant drops repeats
    merchant_id: str
    type: MerchantEventType
    return_id: str
    created_at: str  # ISO-8601 UTC, from the workflow's clock
    data: dict


class Announcement(BaseModel):
    """The events a return announces at once (one delivery workflow each)."""

    events: list[MerchantEvent]
