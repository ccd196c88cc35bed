"""What a return shows: its view (the `view` query, the update answers) and the projection written from it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from domain.disposition import DispositionKind
from domain.exchange import DifferenceSettlement
from domain.inspection import Finding, ItemOutcome
from domain.money import Money
from domain.returns import Grade, Resolution, ReturnReason
from domain.status import ReturnStatus
from workflows.contract.requests import ExchangeMode, PickupWindow
from workflows.contract.statuses import (
    AttentionKind,
    PickupStatus,
    ReplacementStatus,
    SettlementStatus,
    TimelineEvent,
    VoidStatus,
)


class RateAlternative(BaseModel):
    """A rate the merchant's label rules also allowed, not bought (kept for reporting)."""

    carrier: str
    service: str
    rate: Money
    delivery_days: int | None = None


class Pickup(BaseModel):
    pickup_id: str
    confirmation: str | None = None
    carrier: str
    service: str
    cost: Money
    window: PickupWindow
    status: PickupStatus = PickupStatus.SCHEDULED


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
    void_status: VoidStatus | None = None
    pickup: Pickup | None = None  # a carrier pickup booked for this label's parcel


class Settlement(BaseModel):
    method: Resolution
    amount: Money
    status: SettlementStatus
    reference: str | None = None


class Replacement(BaseModel):
    """A replacement for an exchanged line: reserved at a warehouse, then shipped."""

    line_id: str
    sku: str
    quantity: int
    warehouse_id: str
    unit_price: Money
    status: ReplacementStatus = ReplacementStatus.RESERVED
    tracking_code: str | None = None
    shipment_id: str | None = None


class ExchangeView(BaseModel):
    mode: ExchangeMode
    replacements: list[Replacement]
    difference: Money | None = None  # replacement price minus the returned items' value; set at settlement
    settle_difference: DifferenceSettlement | None = None  # domain.exchange.settle_difference
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
    # What the warehouse wrote at inspection, as it sent it (no customer data is added here).
    notes: str = ""
    photo_urls: list[str] = Field(default_factory=list)


class InspectionResult(BaseModel):
    items: list[ItemOutcome]
    refund: Money
    status: ReturnStatus


class TimelineEntry(BaseModel):
    seq: int
    at: datetime
    status: ReturnStatus
    event: TimelineEvent
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
    # Where the parcel arrived: the store that received it at its counter, or the warehouse that scanned it.
    received_at_facility: str | None = None
    # How long a bought label stays valid, as the return started with it (the label reminder counts from it).
    label_expiry_days: int | None = None

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

    key: str  # workflows.ids.attention_key
    kind: AttentionKind
    line_id: str | None = None
    reason: str
    at: datetime


class ReturnProjection(BaseModel):
    """What the store activity writes: the view, and timeline/attention entries not yet written."""

    view: ReturnView
    version: int
    new_entries: list[TimelineEntry]
    new_attention: list[AttentionEntry] = Field(default_factory=list)
    # The label email is the outbox's, kept with the label line (Patch.LABEL_MAIL_OUTBOX); before: an activity
    label_mail: bool = False
