"""Merchant webhook events: what the return announces, and what each delivery workflow delivers."""

from __future__ import annotations

from pydantic import BaseModel


class MerchantEvent(BaseModel):
    event_id: str  # workflows.ids.merchant_event_id: a merchant drops repeats
    merchant_id: str
    type: str  # return.refunded | return.credited | return.exchanged | refund.failed
    return_id: str
    created_at: str  # ISO-8601 UTC, from the workflow's clock
    data: dict


class Announcement(BaseModel):
    """The events a return announces at once (one delivery workflow each)."""

    events: list[MerchantEvent]
