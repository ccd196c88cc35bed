"""What a return is asked: the start input, and the updates the API sends it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from domain.disposition import DispositionPolicy
from domain.inspection import Problem
from domain.policy import ReturnContext, ReturnPolicy
from domain.returns import Grade, Resolution, ReturnLine

DEFAULT_LABEL_EXPIRY_DAYS = 30
DEFAULT_INSPECTION_SLA_HOURS = 48
DEFAULT_TRANSFER_TIMEOUT_DAYS = 14

# standard: the replacement ships after inspection; instant: at the first carrier scan; advance: right away.
ExchangeMode = Literal["standard", "instant", "advance"]
# How the shopper sends the items back: a label, a box-free QR drop-off (the label's QR code), a carrier
# pickup (with `pickup`), or by hand at one of the merchant's stores (with `store_id`: no label is bought).
SendMethod = Literal["label", "qr", "pickup", "store"]


class ExchangeLine(BaseModel):
    line_id: str
    replacement_sku: str
    quantity: int = Field(ge=1)


class ExchangeOrder(BaseModel):
    """What the shopper wants instead of their money (resolution `exchange`).

    mode: standard ships the replacement after inspection; instant at the first carrier scan;
    advance right away, before the original comes back (if it is not scanned within
    `advance_deadline_days`, `on_missing` says whether the shopper is charged or the exchange cancelled).
    fallback: the shopper's second choice when a replacement is out of stock everywhere.
    """

    lines: list[ExchangeLine] = Field(min_length=1)
    mode: ExchangeMode = "standard"
    fallback: Literal["refund", "store_credit"] = "refund"
    advance_deadline_days: int = Field(default=14, ge=1)
    on_missing: Literal["charge", "cancel"] = "charge"


class PickupWindow(BaseModel):
    """When the carrier may collect the parcel at the shopper's address (UTC)."""

    min_datetime: datetime
    max_datetime: datetime
    instructions: str = ""


class ReturnInput(BaseModel):
    """Start input. `request_fingerprint` lets a retried create prove it is the same request.

    `context` holds what the policy looks at (dates, destination country, tier, order
    value): facts, no customer identity. The policy document travels whole, so the
    return keeps the version in force when it was created.
    """

    return_id: str
    merchant_id: str
    context: ReturnContext
    lines: list[ReturnLine]
    resolution: Resolution
    policy: ReturnPolicy
    policy_version: int | None = None
    requested_at: datetime
    label_expiry_days: int = Field(default=DEFAULT_LABEL_EXPIRY_DAYS, ge=1)
    request_fingerprint: str
    # Escalate (NeedsAttention) when no inspection follows the dock receipt within this time.
    inspection_sla_hours: int = Field(default=DEFAULT_INSPECTION_SLA_HOURS, ge=1)
    # Escalate when an item sent on to a facility is not confirmed there within this time.
    transfer_timeout_days: int = Field(default=DEFAULT_TRANSFER_TIMEOUT_DAYS, ge=1)
    exchange: ExchangeOrder | None = None  # with resolution `exchange`
    pickup: PickupWindow | None = None  # book a carrier pickup as soon as the label is bought
    # Added with stores (defaults: what every return before them did). Store: no label; the return waits
    # `label_expiry_days` for the shopper to hand it in at a store of the merchant's (a store receipt).
    send_method: SendMethod = "label"
    store_id: str | None = None  # with send_method store: the store the shopper chose

    @model_validator(mode="after")
    def _store_named(self) -> ReturnInput:
        if (self.send_method == "store") != (self.store_id is not None):
            raise ValueError("store_id goes with send_method store, and send_method store needs it")
        return self

    @property
    def at_a_store(self) -> bool:
        return self.send_method == "store"


class SubmitReturn(BaseModel):
    """Update sent with the start: answers with the return once its label is decided."""

    request_fingerprint: str


class InspectedItem(BaseModel):
    line_id: str
    grade: Grade | None = None  # None only for a missing item
    matches_reason: bool = True
    problem: Problem | None = None
    notes: str = ""
    photo_urls: list[str] = Field(default_factory=list)


class Inspection(BaseModel):
    """Inspection results for some or all of a return's lines (update).

    `disposition_rules`: the merchant's rules in force, sent by the API so the decision
    is made (and recorded) in the workflow; None: the defaults.
    """

    items: list[InspectedItem] = Field(min_length=1)
    inspector: str = ""
    disposition_rules: DispositionPolicy | None = None


class ReviewDecision(BaseModel):
    """An ops reviewer's decision on a return held for manual review (update)."""

    decision: Literal["approve", "reject"]
    note: str = ""
    reviewer: str


class StoreReceipt(BaseModel):
    """A store's staff scanned the return's code (update `receive_at_store`): the shopper handed it in there.

    `store_id`: the store (one of the merchant's, checked by the API); `scanned_by`: the store key's prefix."""

    store_id: str
    received_at: datetime
    scanned_by: str = ""


class CancelPickup(BaseModel):
    reason: str = "cancelled by merchant"


class CancelRequest(BaseModel):
    reason: str = "cancelled by merchant"
