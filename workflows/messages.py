"""The return workflow's public contract: its input, signals, updates and views.

Everything here is ids and facts the policy needs; customer data (names,
addresses, emails, payment references) stays in the database and activities
load it by id, so it never lands in a workflow history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from domain.inspection import ItemOutcome
from domain.money import Money
from domain.policy import ReturnContext, ReturnPolicy
from domain.returns import (
    Disposition,
    Grade,
    Resolution,
    ReturnLine,
    ReturnReason,
)
from domain.status import ReturnStatus

DEFAULT_LABEL_EXPIRY_DAYS = 30


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


class SubmitReturn(BaseModel):
    """Update sent with the start: answers with the return once its label is decided."""

    request_fingerprint: str


class CarrierEvent(BaseModel):
    """A carrier tracking update (signal). `event_id` is EasyPost's, used to drop duplicates."""

    event_id: str
    tracking_status: str
    status_detail: str | None = None
    occurred_at: datetime


class WarehouseReceipt(BaseModel):
    """A dock scan at a warehouse (signal)."""

    receipt_id: str
    warehouse_id: str
    received_at: datetime


class InspectedItem(BaseModel):
    line_id: str
    grade: Grade
    notes: str = ""


class Inspection(BaseModel):
    """Inspection results for some or all of a return's lines (update)."""

    items: list[InspectedItem] = Field(min_length=1)


class InspectionResult(BaseModel):
    items: list[ItemOutcome]
    refund: Money
    status: ReturnStatus


class ReviewDecision(BaseModel):
    """An ops reviewer's decision on a return held for manual review (update)."""

    decision: Literal["approve", "reject"]
    note: str = ""
    reviewer: str


class CancelRequest(BaseModel):
    reason: str = "cancelled by merchant"


class Label(BaseModel):
    """A bought return label; carrier facts only."""

    shipment_id: str
    tracker_id: str | None = None
    carrier: str
    service: str
    tracking_code: str
    label_url: str
    rate: Money


class Settlement(BaseModel):
    method: Resolution
    amount: Money
    status: str
    reference: str | None = None


class ItemView(BaseModel):
    line_id: str
    sku: str
    quantity: int
    reason: ReturnReason
    grade: Grade | None = None
    disposition: Disposition | None = None
    refund: Money | None = None


class TimelineEntry(BaseModel):
    seq: int
    at: datetime
    status: ReturnStatus
    event: str
    cause: str


class ReturnView(BaseModel):
    return_id: str
    merchant_id: str
    order_id: str
    status: ReturnStatus
    resolution: Resolution
    items: list[ItemView]
    label: Label | None = None
    refund: Settlement | None = None
    decision_reasons: list[str] = Field(default_factory=list)
    request_fingerprint: str
    policy_version: int | None = None
    created_at: datetime
    updated_at: datetime

    def row_fields(self) -> dict:
        """The flat fields of the `returns` read-model row (JSON columns as plain data)."""
        return dict(
            id=self.return_id,
            merchant_id=self.merchant_id,
            order_id=self.order_id,
            status=self.status.value,
            resolution=self.resolution.value,
            items=[i.model_dump(mode="json") for i in self.items],
            label=self.label.model_dump(mode="json") if self.label else None,
            refund=self.refund.model_dump(mode="json") if self.refund else None,
            decision_reasons=list(self.decision_reasons),
            request_fingerprint=self.request_fingerprint,
            policy_version=self.policy_version,
            tracking_code=self.label.tracking_code if self.label else None,
            tracker_id=self.label.tracker_id if self.label else None,
            created_at=self.created_at,
            updated_at=self.updated_at,
        )


class ReturnProjection(BaseModel):
    """What the store activity writes: the view, and timeline entries not yet written."""

    view: ReturnView
    version: int
    new_entries: list[TimelineEntry]


# Error types raised by update validators; the API maps them to HTTP statuses.
class ErrorType:
    IDEMPOTENCY_CONFLICT = "IdempotencyConflict"
    WRONG_STATE = "WrongState"
    UNKNOWN_LINE = "UnknownLine"
    ALREADY_INSPECTED = "AlreadyInspected"
