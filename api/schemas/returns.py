"""A return as the merchant creates, reads, lists and changes it: items, labels, refund, exchange, timeline, tracking."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import (
    BaseModel,
    Field,
    model_validator,
)

from api.schemas.common import MoneyOut, Strict
from db.tables import ReturnRecord, TimelineRecord
from domain.disposition import DispositionKind
from domain.inspection import Finding
from domain.returns import Grade, Resolution, ReturnReason
from domain.status import ReturnStatus
from domain.validation import (
    Id,
    Instant,
    Quantity,
    Sku,
    text,
)
from workflows.messages import ItemStage


class ExchangeChoiceIn(Strict):
    replacement_sku: Sku
    quantity: Quantity | None = Field(default=None, description="default: the item's quantity")


class ReturnItemIn(Strict):
    line_id: Id
    quantity: Quantity
    reason: ReturnReason
    comment: text(2000) = ""
    exchange: ExchangeChoiceIn | None = Field(
        default=None, description="with resolution exchange: what the shopper wants instead"
    )
    photo_ids: list[Id] = Field(
        default_factory=list,
        max_length=5,
        description="the shopper's photos of this item (up to 5), uploaded for this order line first "
        "(`POST /v1/orders/{order_id}/photos` or the portal): each must be this order line's and no other return's",
    )


class ReturnCreate(Strict):
    order_id: Id
    items: list[ReturnItemIn] = Field(min_length=1, max_length=500)
    resolution: Resolution
    exchange_mode: Literal["standard", "instant", "advance"] = Field(
        default="standard", description="exchange: ship after inspection, at the first carrier scan, or right away"
    )
    fallback: Literal["refund", "store_credit"] = Field(
        default="refund", description="exchange: the shopper's second choice if a replacement is out of stock"
    )
    pickup: PickupWindowIn | None = Field(default=None, description="book a carrier pickup at the shopper's address")
    send_method: Literal["label", "qr", "pickup", "store"] | None = Field(
        default=None,
        description="how the shopper sends the parcel: print the label, show the carrier's QR code at a drop-off point "
        "(box-free), a carrier pickup (with `pickup`), or hand it in at one of the merchant's stores (with `store_id`: "
        "no label is bought). Default: `pickup` when a pickup is given, else `label`",
    )
    store_id: Id | None = Field(default=None, description="with send_method store: the store facility's id")
    language: Literal["nl", "en", "de", "fr"] | None = Field(
        default=None,
        description="the shopper's language for emails, the packing slip and the portal; default: the "
        "merchant's locale",
    )

    @model_validator(mode="after")
    def _send_method(self) -> ReturnCreate:
        method = self.chosen_send_method()
        if method == "pickup" and self.pickup is None:
            raise ValueError("send_method pickup needs a `pickup` window")
        if self.pickup is not None and method != "pickup":
            raise ValueError(f"a `pickup` window goes with send_method pickup, not {method}")
        if (method == "store") != (self.store_id is not None):
            raise ValueError("`store_id` goes with send_method store, and send_method store needs it")
        return self

    def chosen_send_method(self) -> str:
        return self.send_method or ("pickup" if self.pickup is not None else "label")


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
    transfer_tracking_code: str | None = Field(
        default=None, description="the transfer to its facility: set as soon as the transfer's label is bought"
    )
    notes: str = Field(default="", description="the inspector's notes, as the warehouse sent them")
    photo_urls: list[str] = Field(default_factory=list, description="the inspection's photos (https)")
    photo_ids: list[str] = Field(
        default_factory=list,
        description="the shopper's photos of this item (GET /v1/returns/{id}/photos/{photo_id} downloads each)",
    )


class RateAlternativeOut(BaseModel):
    carrier: str
    service: str
    rate: MoneyOut
    delivery_days: int | None = None


class LabelOut(BaseModel):
    void_status: str | None = Field(
        default=None, description="a voided label's carrier refund: submitted, refunded, rejected"
    )
    carrier: str
    service: str
    tracking_code: str
    label_url: str
    rate: MoneyOut
    delivery_days: int | None = None
    selection_reason: str = Field(default="", description="why this rate, by the merchant's label rules")
    alternatives: list[RateAlternativeOut] = Field(
        default_factory=list, description="other rates the rules allowed, cheapest first"
    )
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
    status: str = Field(
        description="scheduled, picked_up, cancelled, cancelled_by_carrier (drop it off instead), missed"
    )


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


class ShopperChoicesOut(BaseModel):
    """How the shopper sends the parcel and reads about it (recorded when the return was created)."""

    language: str = Field(description="nl, en, de or fr: the emails, the packing slip and the portal page")
    send_method: Literal["label", "qr", "pickup", "store"]
    store_id: str | None = Field(default=None, description="send_method store: the store facility's id")


class ReturnOut(BaseModel):
    id: str
    order_id: str
    status: ReturnStatus
    resolution: Resolution
    items: list[ItemOut]
    label: LabelOut | None = None
    parcels: list[LabelOut] = Field(
        default_factory=list, description="every parcel's label when the return needs several"
    )
    refund: RefundOut | None = None
    exchange: ExchangeOut | None = None
    decision_reasons: list[str] = []
    policy_version: int | None = None
    shopper: ShopperChoicesOut | None = Field(
        default=None, description="the shopper's language and send method (returns created before they were kept: null)"
    )
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
    url: str = Field(
        description="the shopper's page for this return (status, label, drop-off QR code); signed, no expiry"
    )


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
    data: list[TimelineEntryOut] = Field(description="every entry, oldest first")
    next_cursor: str | None = Field(None, description="always null: the whole list is on this one page")


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
    data: list[TrackingEventOut] = Field(description="every carrier event, oldest first")
    next_cursor: str | None = Field(None, description="always null: the whole list is on this one page")


class CancelIn(Strict):
    reason: text(500) = "cancelled by merchant"
