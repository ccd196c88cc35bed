"""Request and response bodies of the public API (the contract merchants code against)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    model_validator,
)

from db.tables import ReturnRecord, TimelineRecord
from domain.disposition import DispositionKind
from domain.inspection import Finding
from domain.money import Money
from domain.returns import Grade, Resolution, ReturnReason
from domain.status import ReturnStatus
from domain.validation import (
    ID_PATTERN,
    MAX_ID_LENGTH,
    MAX_MONEY,
    MAX_RETURN_ID_LENGTH,
    CountryCode,
    CurrencyCode,
    Email,
    Id,
    Instant,
    Latitude,
    Longitude,
    MinorUnits,
    Name,
    PastInstant,
    Quantity,
    ReturnId,
    Sku,
    TrackingCode,
    invalid,
    text,
)
from workflows.messages import ItemStage

# Ids in a path follow the same rule as ids in a body (domain.validation.Id, ReturnId): 422 otherwise.
PathId = Annotated[str, Path(min_length=1, max_length=MAX_ID_LENGTH, pattern=ID_PATTERN)]
ReturnPathId = Annotated[str, Path(min_length=1, max_length=MAX_RETURN_ID_LENGTH, pattern=ID_PATTERN)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- orders ---------------------------------------------------------------------------
class Address(Strict):
    name: text(200, 1)
    street1: text(200, 1)
    street2: text(200) | None = None
    city: text(100, 1)
    state: text(100) | None = None
    zip: text(20, 1)
    country: CountryCode = Field(description="ISO 3166-1 alpha-2")
    phone: text(40) | None = None
    # Optional: where the shopper is, to address the return to the nearest warehouse (else the country's centre).
    latitude: Latitude | None = None
    longitude: Longitude | None = None

    @model_validator(mode="after")
    def _both_or_neither(self) -> Address:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("give latitude and longitude together")
        return self


class Customer(Strict):
    email: Email
    name: text(200, 1)
    address: Address
    tier: text(64) | None = Field(default=None, description="loyalty tier, as the policy names it")


class OrderLineIn(Strict):
    id: Id
    sku: Sku
    title: text(300) = ""
    quantity: Quantity
    unit_price: MinorUnits
    category: text(100) = ""
    tags: list[Name] = Field(default_factory=list, max_length=50)


class Payment(Strict):
    provider: Literal["stripe"]
    reference: Id = Field(min_length=3, description="Stripe PaymentIntent (pi_…) or Charge (ch_…)")


class OrderIn(Strict):
    placed_at: PastInstant = Field(description="with a time zone; not in the future")
    delivered_at: PastInstant | None = Field(default=None, description="with a time zone; not in the future, nor before placed_at")
    currency: CurrencyCode
    customer: Customer
    lines: list[OrderLineIn] = Field(min_length=1, max_length=500)
    payment: Payment | None = None

    @model_validator(mode="after")
    def _consistent(self) -> OrderIn:
        first: dict[str, int] = {}
        problems = []
        for i, line in enumerate(self.lines):
            if line.id in first:
                problems.append((("lines", i, "id"), f"line id {line.id!r} is already lines[{first[line.id]}]'s", line.id))
            first.setdefault(line.id, i)
        if self.delivered_at and self.delivered_at < self.placed_at:
            problems.append((("delivered_at",), f"is before placed_at ({self.placed_at.isoformat()})", self.delivered_at))
        total = sum(line.unit_price * line.quantity for line in self.lines)
        if total > MAX_MONEY:
            problems.append((("lines",), f"the order's total of {total} minor units is above the limit of {MAX_MONEY}", total))
        if problems:
            raise invalid("OrderIn", problems)
        return self


class OrderOut(OrderIn):
    # Read back later: the times were checked when the order came in.
    placed_at: datetime
    delivered_at: datetime | None = None
    id: str
    updated_at: datetime


# ---- returns --------------------------------------------------------------------------
class ExchangeChoiceIn(Strict):
    replacement_sku: Sku
    quantity: Quantity | None = Field(default=None, description="default: the item's quantity")


class ReturnItemIn(Strict):
    line_id: Id
    quantity: Quantity
    reason: ReturnReason
    comment: text(2000) = ""
    exchange: ExchangeChoiceIn | None = Field(default=None, description="with resolution exchange: what the shopper wants instead")


class ReturnCreate(Strict):
    order_id: Id
    items: list[ReturnItemIn] = Field(min_length=1, max_length=500)
    resolution: Resolution
    exchange_mode: Literal["standard", "instant", "advance"] = Field(
        default="standard", description="exchange: ship after inspection, at the first carrier scan, or right away")
    fallback: Literal["refund", "store_credit"] = Field(
        default="refund", description="exchange: the shopper's second choice if a replacement is out of stock")
    pickup: PickupWindowIn | None = Field(default=None, description="book a carrier pickup at the shopper's address")


class MoneyOut(BaseModel):
    amount: int
    currency: str

    @classmethod
    def of(cls, money: Money) -> MoneyOut:
        return cls(amount=money.amount, currency=money.currency)


class ItemOut(BaseModel):
    line_id: str
    sku: str
    quantity: int
    reason: ReturnReason
    grade: Grade | None = None
    disposition: DispositionKind | None = None
    findings: list[Finding] = Field(default_factory=list)
    facility_id: str | None = None
    stage: ItemStage | None = None
    work_order_id: str | None = None
    transfer_tracking_code: str | None = None


class RateAlternativeOut(BaseModel):
    carrier: str
    service: str
    rate: MoneyOut
    delivery_days: int | None = None


class LabelOut(BaseModel):
    void_status: str | None = Field(default=None, description="a voided label's carrier refund: submitted, refunded, rejected")
    carrier: str
    service: str
    tracking_code: str
    label_url: str
    rate: MoneyOut
    delivery_days: int | None = None
    selection_reason: str = Field(default="", description="why this rate, by the merchant's label rules")
    alternatives: list[RateAlternativeOut] = Field(default_factory=list, description="other rates the rules allowed, cheapest first")
    pickup: PickupOut | None = None


class PickupWindowIn(Strict):
    min_datetime: Instant
    max_datetime: Instant
    instructions: text(500) = ""

    @model_validator(mode="after")
    def _window(self) -> PickupWindowIn:
        if self.max_datetime <= self.min_datetime:
            raise ValueError("max_datetime must be after min_datetime")
        if self.max_datetime - self.min_datetime > timedelta(days=7):
            raise ValueError("a pickup window is at most 7 days")
        return self


class PickupOut(BaseModel):
    pickup_id: str
    confirmation: str | None
    carrier: str
    service: str
    cost: MoneyOut
    window: dict
    status: str = Field(description="scheduled, picked_up, cancelled, cancelled_by_carrier (drop it off instead), missed")


class RefundOut(BaseModel):
    method: Resolution
    amount: int
    currency: str
    status: str
    reference: str | None = None


class ReplacementOut(BaseModel):
    line_id: str
    sku: str
    quantity: int
    warehouse_id: str
    unit_price: MoneyOut
    status: str
    tracking_code: str | None = None


class ExchangeOut(BaseModel):
    mode: str
    replacements: list[ReplacementOut]
    difference: MoneyOut | None = None
    settle_difference: str | None = None
    charge_reference: str | None = None


class ReturnOut(BaseModel):
    id: str
    order_id: str
    status: ReturnStatus
    resolution: Resolution
    items: list[ItemOut]
    label: LabelOut | None = None
    parcels: list[LabelOut] = Field(default_factory=list, description="every parcel's label when the return needs several")
    refund: RefundOut | None = None
    exchange: ExchangeOut | None = None
    decision_reasons: list[str] = []
    policy_version: int | None = None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: ReturnRecord) -> ReturnOut:
        label = row.label
        refund = row.refund
        return cls(
            id=row.id,
            order_id=row.order_id,
            status=ReturnStatus(row.status),
            resolution=Resolution(row.resolution),
            items=[ItemOut.model_validate(i) for i in row.items or []],
            label=LabelOut.model_validate(label) if label else None,
            refund=RefundOut(
                method=refund["method"],
                amount=refund["amount"]["amount"],
                currency=refund["amount"]["currency"],
                status=refund["status"],
                reference=refund.get("reference"),
            )
            if refund
            else None,
            exchange=ExchangeOut.model_validate(row.exchange) if row.exchange else None,
            parcels=[LabelOut.model_validate(p) for p in row.parcels or []],
            decision_reasons=row.decision_reasons or [],
            policy_version=row.policy_version,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


    @classmethod
    def from_view(cls, view) -> ReturnOut:
        """The workflow's own answer, shaped exactly like the projection row it writes."""
        return cls.of(ReturnRecord(**view.row_fields()))


class PortalLinkOut(BaseModel):
    url: str = Field(description="the shopper's page for this return (status, label, drop-off QR code); signed, no expiry")


class ReturnList(BaseModel):
    data: list[ReturnOut]
    next_cursor: str | None


class TimelineEntryOut(BaseModel):
    seq: int
    at: datetime
    status: ReturnStatus
    event: str
    cause: str

    @classmethod
    def of(cls, row: TimelineRecord) -> TimelineEntryOut:
        return cls(seq=row.seq, at=row.at, status=ReturnStatus(row.status), event=row.event, cause=row.cause)


class Timeline(BaseModel):
    return_id: str
    entries: list[TimelineEntryOut]


class ReviewIn(Strict):
    decision: Literal["approve", "reject"]
    note: text(2000) = ""


class TrackingEventOut(BaseModel):
    event_id: str
    description: str
    status: str | None
    status_detail: str | None
    received_at: datetime
    signalled: bool  # moved the return on (only status changes are signalled)
    tracking_details: list[dict]


class Tracking(BaseModel):
    return_id: str
    events: list[TrackingEventOut]


class CancelIn(Strict):
    reason: text(500) = "cancelled by merchant"


# ---- warehouse ------------------------------------------------------------------------
class ReceiptIn(Strict):
    """A dock scan: the carrier's tracking code, the return id, or the packing slip's RMA barcode."""

    tracking_code: TrackingCode | None = None
    return_id: ReturnId | None = None
    rma_code: text(100, 1) | None = None
    facility_id: Id | None = Field(default=None, description="where it was scanned; default: where the label sends it")
    notes: text(2000) = ""

    @model_validator(mode="after")
    def _one(self) -> ReceiptIn:
        if sum(v is not None for v in (self.tracking_code, self.return_id, self.rma_code)) != 1:
            raise ValueError("give exactly one of tracking_code, return_id or rma_code")
        return self


class UnidentifiedOut(BaseModel):
    """202 for a parcel that matches no return: recorded for ops (GET /v1/warehouse/unidentified)."""

    status: Literal["unidentified"] = "unidentified"
    parcel_id: str
    tracking_code: str | None = None
    rma_code: str | None = None
    return_id: str | None = None
    facility_id: str | None = None
    notes: str = ""
    received_at: datetime


class InspectedItemIn(Strict):
    line_id: Id
    grade: Grade | None = Field(default=None, description="required unless problem is missing")
    matches_reason: bool = Field(default=True, description="does the item confirm the shopper's stated reason?")
    problem: Literal["missing", "wrong_item"] | None = None
    notes: text(2000) = ""
    photo_urls: list[HttpUrl] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _graded(self) -> InspectedItemIn:
        if self.problem == "missing" and self.grade is not None:
            raise ValueError("a missing item has no grade")
        if self.problem != "missing" and self.grade is None:
            raise ValueError("grade is required unless problem is missing")
        return self


class InspectionIn(Strict):
    items: list[InspectedItemIn] = Field(min_length=1, max_length=500)
    inspector: text(200) = ""


class InspectedItemOut(BaseModel):
    line_id: str
    grade: Grade | None
    disposition: DispositionKind | None
    refund: MoneyOut
    recovery_value: MoneyOut
    findings: list[Finding]
    flagged: bool


class InspectionOut(BaseModel):
    return_id: str
    status: ReturnStatus
    items: list[InspectedItemOut]
    refund: MoneyOut


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    checks: dict[str, Any]
