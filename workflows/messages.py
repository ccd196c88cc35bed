"""The return workflow's public contract: its input, signals, updates and views.

Everything here is ids and facts the policy needs; customer data (names,
addresses, emails, payment references) stays in the database and activities
load it by id, so it never lands in a workflow history.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from domain.disposition import DispositionKind, DispositionPolicy
from domain.inspection import Finding, ItemOutcome, Problem
from domain.money import Money
from domain.policy import ReturnContext, ReturnPolicy
from domain.returns import (
    Grade,
    Resolution,
    ReturnLine,
    ReturnReason,
)
from domain.status import ReturnStatus

DEFAULT_LABEL_EXPIRY_DAYS = 30
DEFAULT_INSPECTION_SLA_HOURS = 48
DEFAULT_TRANSFER_TIMEOUT_DAYS = 14


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
    mode: Literal["standard", "instant", "advance"] = "standard"
    fallback: Literal["refund", "store_credit"] = "refund"
    advance_deadline_days: int = Field(default=14, ge=1)
    on_missing: Literal["charge", "cancel"] = "charge"


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
    tracking_code: str | None = None  # which parcel; None: the whole return (scanned by return id or RMA code)


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


class InspectionResult(BaseModel):
    items: list[ItemOutcome]
    refund: Money
    status: ReturnStatus


class ReviewDecision(BaseModel):
    """An ops reviewer's decision on a return held for manual review (update)."""

    decision: Literal["approve", "reject"]
    note: str = ""
    reviewer: str


class CancelPickup(BaseModel):
    reason: str = "cancelled by merchant"


class CancelRequest(BaseModel):
    reason: str = "cancelled by merchant"


class SideEffectTrouble(BaseModel):
    """Signal from the worker (workers/side_effects.py): an activity of this return keeps failing
    and Temporal keeps retrying it, or one that failed before has now succeeded."""

    activity: str  # the activity type, e.g. send_label_email
    attempt: int
    error: str = ""
    recovered: bool = False


class RateAlternative(BaseModel):
    """A rate the merchant's label rules also allowed, not bought (kept for reporting)."""

    carrier: str
    service: str
    rate: Money
    delivery_days: int | None = None


class PickupWindow(BaseModel):
    """When the carrier may collect the parcel at the shopper's address (UTC)."""

    min_datetime: datetime
    max_datetime: datetime
    instructions: str = ""


class Pickup(BaseModel):
    pickup_id: str
    confirmation: str | None = None
    carrier: str
    service: str
    cost: Money
    window: PickupWindow
    # scheduled -> picked_up (first scan) | cancelled (by us) | cancelled_by_carrier | missed
    status: str = "scheduled"


class Label(BaseModel):
    """A bought return label; carrier facts only.

    Fields added later have defaults, so labels in older histories still decode.
    """

    shipment_id: str
    tracker_id: str | None = None
    carrier: str
    service: str
    tracking_code: str
    label_url: str
    rate: Money
    # The facility the label is addressed to (None: the merchant's default warehouse address).
    receiving_facility_id: str | None = None
    delivery_days: int | None = None
    # Why this rate, by the merchant's label rules (domain.labels), and the other rates they allowed.
    selection_reason: str = ""
    alternatives: list[RateAlternative] = Field(default_factory=list)
    # A voided (refunded) label: submitted -> refunded | rejected, followed to the end.
    void_status: str | None = None
    pickup: Pickup | None = None  # a carrier pickup booked for this label's parcel


class Settlement(BaseModel):
    method: Resolution
    amount: Money
    status: str
    reference: str | None = None


class Replacement(BaseModel):
    """A replacement for an exchanged line: reserved at a warehouse, then shipped."""

    line_id: str
    sku: str
    quantity: int
    warehouse_id: str
    unit_price: Money
    status: Literal["reserved", "shipped", "released", "voided"] = "reserved"
    tracking_code: str | None = None
    shipment_id: str | None = None


class ExchangeView(BaseModel):
    mode: str
    replacements: list[Replacement]
    difference: Money | None = None  # replacement price minus the returned items' value; set at settlement
    settle_difference: str | None = None  # charge | refund | store_credit | none
    charge_reference: str | None = None


class ItemStage(StrEnum):
    HELD = "held"  # no facility qualifies: waits for ops
    ROUTED = "routed"
    IN_TRANSFER = "in_transfer"  # on its way from the receiving warehouse to its facility
    AT_FACILITY = "at_facility"
    IN_REFURBISHMENT = "in_refurbishment"
    DONE = "done"  # restocked, recycled, donated, disposed or liquidated
    NOT_RECEIVED = "not_received"  # missing or wrong item: nothing to route


class ItemView(BaseModel):
    line_id: str
    sku: str
    quantity: int
    reason: ReturnReason
    grade: Grade | None = None
    disposition: DispositionKind | None = None
    refund: Money | None = None
    findings: list[Finding] = Field(default_factory=list)
    recovery_value: Money | None = None
    # Where the item goes after inspection, and how far it has got.
    facility_id: str | None = None
    stage: ItemStage | None = None
    work_order_id: str | None = None
    transfer_tracking_code: str | None = None


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
    parcels: list[Label] = Field(default_factory=list)  # every parcel's label, when there are several
    refund: Settlement | None = None
    exchange: ExchangeView | None = None
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
            exchange=self.exchange.model_dump(mode="json") if self.exchange else None,
            parcels=[p.model_dump(mode="json") for p in self.parcels] or None,
            decision_reasons=list(self.decision_reasons),
            request_fingerprint=self.request_fingerprint,
            policy_version=self.policy_version,
            tracking_code=self.label.tracking_code if self.label else None,
            tracker_id=self.label.tracker_id if self.label else None,
            created_at=self.created_at,
            updated_at=self.updated_at,
        )


class AttentionEntry(BaseModel):
    """Something ops must look at; `key` makes it recorded once (GET /v1/attention)."""

    key: str
    kind: str
    line_id: str | None = None
    reason: str
    at: datetime


class ReturnProjection(BaseModel):
    """What the store activity writes: the view, and timeline/attention entries not yet written."""

    view: ReturnView
    version: int
    new_entries: list[TimelineEntry]
    new_attention: list[AttentionEntry] = Field(default_factory=list)


# Error types raised by update validators; the API maps them to HTTP statuses.
class ErrorType:
    IDEMPOTENCY_CONFLICT = "IdempotencyConflict"
    WRONG_STATE = "WrongState"
    UNKNOWN_LINE = "UnknownLine"
    ALREADY_INSPECTED = "AlreadyInspected"
    INVALID_INSPECTION = "InvalidInspection"
    INVALID_PICKUP = "InvalidPickup"
    PICKUP_REFUSED = "PickupRefused"


# ---- after inspection: routing, transfers, work orders -------------------------------


class RouteItem(BaseModel):
    line_id: str
    sku: str
    quantity: int
    category: str
    grade: Grade
    disposition: DispositionKind
    recovery_value: Money
    rule: str


class RouteRequest(BaseModel):
    """Route inspected items from the facility where they were received (activity input)."""

    return_id: str
    merchant_id: str
    at_facility_id: str | None  # None: the merchant's default warehouse (no registry)
    items: list[RouteItem]


class ItemRoute(BaseModel):
    line_id: str
    disposition: DispositionKind
    from_facility_id: str | None
    facility_id: str | None  # None: held for ops
    reason: str

    @property
    def held(self) -> bool:
        return self.facility_id is None

    @property
    def moves(self) -> bool:
        return self.facility_id is not None and self.facility_id != self.from_facility_id


class TransferInput(BaseModel):
    """A child workflow per item that must move: ship it and wait for the facility's receipt."""

    return_id: str
    merchant_id: str
    line_id: str
    from_facility_id: str
    to_facility_id: str
    quantity: int
    arrival_timeout_days: int = DEFAULT_TRANSFER_TIMEOUT_DAYS


class FacilityReceipt(BaseModel):
    """A facility confirms it received a transferred item (signal to the transfer workflow)."""

    receipt_id: str
    facility_id: str
    received_at: datetime


class TransferResult(BaseModel):
    tracking_code: str
    received_at: datetime
    overdue: bool  # escalated before the receipt came


class TransferOverdue(BaseModel):
    """Sent by a transfer workflow to its return when the facility has not confirmed in time."""

    line_id: str
    facility_id: str
    tracking_code: str
    days: int


class WorkOrderDone(BaseModel):
    """A refurbishment work order is complete (signal): the item's new grade."""

    work_order_id: str
    line_id: str
    grade: Grade
    notes: str = ""
