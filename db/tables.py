"""SQLModel tables. The returns tables are the read model the workflow projects into.

Who writes what: merchants' reference data (orders) and inbound-event inboxes
are written by the API; everything about a return's progress is written only by
activities, with idempotent upserts keyed by the workflow's own sequence numbers.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from db.types import UTCDateTime, utcnow


def _dt(**kw: Any) -> Any:
    return Field(sa_column=Column(UTCDateTime(), **kw))


def _json(**kw: Any) -> Any:
    return Field(default=None, sa_column=Column(JSON, **kw))


class Merchant(SQLModel, table=True):
    __tablename__ = "merchants"

    id: str = Field(primary_key=True, max_length=64)
    name: str
    return_window_days: int = 30
    label_expiry_days: int = 30
    # Where return parcels go (EasyPost address fields); the Spine has one warehouse per merchant.
    warehouse_id: str = Field(max_length=64)
    warehouse_address: dict | None = _json(nullable=False)
    # Where settlement events go (signed with the secret); unset: no merchant webhooks.
    webhook_url: str | None = Field(default=None, max_length=2000)
    webhook_secret: str | None = Field(default=None, max_length=128)
    # How the return label is chosen (domain.labels.LabelRules); unset: the cheapest rate.
    label_rules: dict | None = _json(nullable=True)
    created_at: datetime = _dt(nullable=False, default=utcnow)


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"

    id: int | None = Field(default=None, primary_key=True)
    merchant_id: str = Field(foreign_key="merchants.id", index=True, max_length=64)
    scope: str = Field(max_length=16)  # merchant | warehouse | ops
    key_hash: str = Field(unique=True, max_length=64)  # sha256 hex; keys are random, so no salt needed
    key_prefix: str = Field(max_length=16)  # shown in logs and lists instead of the key
    created_at: datetime = _dt(nullable=False, default=utcnow)
    revoked_at: datetime | None = _dt(nullable=True)

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class Order(SQLModel, table=True):
    __tablename__ = "orders"

    merchant_id: str = Field(primary_key=True, foreign_key="merchants.id", max_length=64)
    id: str = Field(primary_key=True, max_length=128)
    placed_at: datetime = _dt(nullable=False)
    delivered_at: datetime | None = _dt(nullable=True)
    currency: str = Field(max_length=3)
    customer: dict | None = _json(nullable=False)
    lines: list | None = _json(nullable=False)
    payment: dict | None = _json(nullable=True)
    updated_at: datetime = _dt(nullable=False, default=utcnow)


class PolicyVersion(SQLModel, table=True):
    """Every save of a merchant's return policy is a new, immutable version."""

    __tablename__ = "policy_versions"

    merchant_id: str = Field(primary_key=True, foreign_key="merchants.id", max_length=64)
    version: int = Field(primary_key=True)
    document: dict | None = _json(nullable=False)
    created_at: datetime = _dt(nullable=False, default=utcnow)


class FacilityRecord(SQLModel, table=True):
    """A merchant's facility (warehouse, refurbisher, recycler, ...); the document is domain.facilities.Facility."""

    __tablename__ = "facilities"

    merchant_id: str = Field(primary_key=True, foreign_key="merchants.id", max_length=64)
    id: str = Field(primary_key=True, max_length=128)
    document: dict | None = _json(nullable=False)
    updated_at: datetime = _dt(nullable=False, default=utcnow)


class ReturnRecord(SQLModel, table=True):
    __tablename__ = "returns"
    __table_args__ = (
        Index("ix_returns_merchant_status_created", "merchant_id", "status", "created_at"),
        Index("ix_returns_merchant_created", "merchant_id", "created_at"),
    )

    id: str = Field(primary_key=True, max_length=64)
    merchant_id: str = Field(foreign_key="merchants.id", max_length=64)
    order_id: str = Field(max_length=128, index=True)
    status: str = Field(max_length=32)
    resolution: str = Field(max_length=32)
    items: list | None = _json(nullable=False)
    label: dict | None = _json(nullable=True)
    refund: dict | None = _json(nullable=True)
    exchange: dict | None = _json(nullable=True)  # replacements shipped for an exchange
    parcels: list | None = _json(nullable=True)  # every parcel's label when a return needs several
    decision_reasons: list | None = _json(nullable=True)
    request_fingerprint: str = Field(max_length=64)
    policy_version: int | None = None
    tracking_code: str | None = Field(default=None, index=True, max_length=64)
    tracker_id: str | None = Field(default=None, index=True, max_length=64)
    version: int = 0  # the workflow's timeline sequence; older writes never overwrite newer ones
    created_at: datetime = _dt(nullable=False)
    updated_at: datetime = _dt(nullable=False)


class ReturnParcel(SQLModel, table=True):
    """Each parcel's tracking code, so carrier events and dock scans of any parcel find their return."""

    __tablename__ = "return_parcels"

    tracking_code: str = Field(primary_key=True, max_length=64)
    merchant_id: str = Field(max_length=64)
    return_id: str = Field(index=True, max_length=64)
    parcel: int
    tracker_id: str | None = Field(default=None, index=True, max_length=64)


class TimelineRecord(SQLModel, table=True):
    __tablename__ = "return_timeline"

    return_id: str = Field(primary_key=True, foreign_key="returns.id", max_length=64)
    seq: int = Field(primary_key=True)
    at: datetime = _dt(nullable=False)
    status: str = Field(max_length=32)
    event: str = Field(max_length=64)
    cause: str


class CarrierShipment(SQLModel, table=True):
    """The carrier activity's own memory: which EasyPost shipment belongs to a return."""

    __tablename__ = "carrier_shipments"

    return_id: str = Field(primary_key=True, max_length=64)  # or a transfer's reference
    shipment_id: str = Field(unique=True, max_length=64)
    facility_id: str | None = Field(default=None, max_length=128)  # where the parcel goes, if a registry facility
    created_at: datetime = _dt(nullable=False, default=utcnow)


class CarrierEventRecord(SQLModel, table=True):
    """Inbox of EasyPost webhook events: de-duplication, and a record of unmatched ones."""

    __tablename__ = "carrier_events"

    event_id: str = Field(primary_key=True, max_length=64)
    description: str = Field(max_length=64)
    return_id: str | None = Field(default=None, index=True, max_length=64)
    tracker_id: str | None = Field(default=None, max_length=64)
    tracking_code: str | None = Field(default=None, max_length=64)
    tracking_status: str | None = Field(default=None, max_length=32)
    signalled: bool = False
    payload: dict | None = _json(nullable=False)
    received_at: datetime = _dt(nullable=False, default=utcnow)


class PaymentRefund(SQLModel, table=True):
    __tablename__ = "payment_refunds"

    idempotency_key: str = Field(primary_key=True, max_length=128)
    return_id: str = Field(index=True, max_length=64)
    merchant_id: str = Field(max_length=64)
    provider_refund_id: str = Field(max_length=64)
    amount: int
    currency: str = Field(max_length=3)
    status: str = Field(max_length=32)
    created_at: datetime = _dt(nullable=False, default=utcnow)


class WebhookDelivery(SQLModel, table=True):
    """One attempt to deliver one merchant webhook event: the delivery log merchants read."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_merchant_at", "merchant_id", "attempted_at"),)

    id: int | None = Field(default=None, primary_key=True)
    merchant_id: str = Field(foreign_key="merchants.id", max_length=64)
    event_id: str = Field(index=True, max_length=128)
    event_type: str = Field(max_length=64)
    return_id: str | None = Field(default=None, max_length=64)
    url: str = Field(max_length=2000)
    attempt: int
    status_code: int | None = None
    error: str | None = Field(default=None, max_length=500)
    delivered: bool = False
    attempted_at: datetime = _dt(nullable=False, default=utcnow)


class StoreCreditEntry(SQLModel, table=True):
    """Append-only store-credit ledger; a balance is the sum of a customer's entries."""

    __tablename__ = "store_credit_entries"
    __table_args__ = (UniqueConstraint("merchant_id", "idempotency_key"),)

    id: int | None = Field(default=None, primary_key=True)
    merchant_id: str = Field(foreign_key="merchants.id", max_length=64)
    customer_email: str = Field(index=True, max_length=320)
    amount: int  # minor units; positive issues credit, negative redeems it
    currency: str = Field(max_length=3)
    kind: str = Field(max_length=16)  # issue | redeem
    idempotency_key: str = Field(max_length=128)
    return_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = _dt(nullable=False, default=utcnow)
    expires_at: datetime | None = _dt(nullable=True)  # issued credit unspent by then expires


class DispositionPolicyRecord(SQLModel, table=True):
    """A merchant's disposition rules (domain.disposition.DispositionPolicy); none saved: the defaults."""

    __tablename__ = "disposition_policies"

    merchant_id: str = Field(primary_key=True, foreign_key="merchants.id", max_length=64)
    document: dict | None = _json(nullable=False)
    updated_at: datetime = _dt(nullable=False, default=utcnow)


class FacilityBooking(SQLModel, table=True):
    """Units booked at a facility on a day (UTC). Booked with a conditional UPDATE, so never above capacity."""

    __tablename__ = "facility_bookings"

    merchant_id: str = Field(primary_key=True, max_length=64)
    facility_id: str = Field(primary_key=True, max_length=128)
    day: str = Field(primary_key=True, max_length=10)  # YYYY-MM-DD
    units: int = 0


class ItemRouteRow(SQLModel, table=True):
    """Where an inspected item goes: written once, with its capacity booking, in one transaction.

    A row, not the workflow's `ItemRoute` message (workflows.contract.items) that activities build from it.
    """

    __tablename__ = "item_routes"

    return_id: str = Field(primary_key=True, max_length=64)
    line_id: str = Field(primary_key=True, max_length=64)
    merchant_id: str = Field(index=True, max_length=64)
    sku: str = Field(max_length=128)
    quantity: int
    grade: str = Field(max_length=1)
    disposition: str = Field(max_length=16)
    recovery_value: int  # estimate per unit, minor units
    currency: str = Field(max_length=3)
    rule: str = Field(max_length=128)
    from_facility_id: str = Field(max_length=128)  # where the item was received
    facility_id: str | None = Field(default=None, max_length=128)  # None: held for ops
    held_code: str | None = Field(default=None, max_length=32)
    reason: str
    day: str = Field(max_length=10)
    transfer_tracking_code: str | None = Field(default=None, index=True, max_length=64)
    created_at: datetime = _dt(nullable=False, default=utcnow)


# The table's old class name, still imported by db/inventory_queries.py and tests/workflows/test_warehouse_paths.py.
ItemRoute = ItemRouteRow


class InventoryMovement(SQLModel, table=True):
    """Append-only inventory ledger: one row per movement of units, from one place/condition to another.

    A level is what moved in minus what moved out; `key` makes each movement happen once
    however often an activity retries.
    """

    __tablename__ = "inventory_movements"
    __table_args__ = (
        UniqueConstraint("merchant_id", "key"),
        Index("ix_inventory_merchant_sku", "merchant_id", "sku"),
        Index("ix_inventory_item", "return_id", "line_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    merchant_id: str = Field(max_length=64)
    key: str = Field(max_length=200)
    movement: str = Field(max_length=32)
    sku: str = Field(max_length=128)
    quantity: int
    from_location: str | None = Field(default=None, max_length=128)
    from_condition: str | None = Field(default=None, max_length=16)
    to_location: str | None = Field(default=None, max_length=128)
    to_condition: str | None = Field(default=None, max_length=16)
    return_id: str | None = Field(default=None, max_length=64)
    line_id: str | None = Field(default=None, max_length=64)
    detail: str = ""
    at: datetime = _dt(nullable=False, default=utcnow)


class WorkOrder(SQLModel, table=True):
    """Refurbishment of one returned item at a facility."""

    __tablename__ = "work_orders"
    __table_args__ = (UniqueConstraint("return_id", "line_id"),)

    id: str = Field(primary_key=True, max_length=64)
    merchant_id: str = Field(index=True, max_length=64)
    return_id: str = Field(max_length=64)
    line_id: str = Field(max_length=64)
    facility_id: str = Field(max_length=128)
    sku: str = Field(max_length=128)
    quantity: int
    grade_in: str = Field(max_length=1)
    status: str = Field(default="open", max_length=16)  # open | completed
    grade_out: str | None = Field(default=None, max_length=1)
    notes: str = ""
    created_at: datetime = _dt(nullable=False, default=utcnow)
    completed_at: datetime | None = _dt(nullable=True)


class Certificate(SQLModel, table=True):
    """Proof that a facility recycled or took a donation of an item."""

    __tablename__ = "certificates"
    __table_args__ = (UniqueConstraint("return_id", "line_id"),)

    id: str = Field(primary_key=True, max_length=64)
    merchant_id: str = Field(index=True, max_length=64)
    return_id: str = Field(max_length=64)
    line_id: str = Field(max_length=64)
    facility_id: str = Field(max_length=128)
    kind: str = Field(max_length=16)  # recycling | donation
    sku: str = Field(max_length=128)
    count: int
    issued_at: datetime = _dt(nullable=False, default=utcnow)


class UnidentifiedParcel(SQLModel, table=True):
    """A parcel scanned at a dock that matches no return: kept for ops, never dropped."""

    __tablename__ = "unidentified_parcels"

    id: str = Field(primary_key=True, max_length=64)
    merchant_id: str = Field(index=True, max_length=64)
    facility_id: str | None = Field(default=None, max_length=128)
    tracking_code: str | None = Field(default=None, max_length=64)
    rma_code: str | None = Field(default=None, max_length=100)
    return_id: str | None = Field(default=None, max_length=64)
    notes: str = ""
    received_at: datetime = _dt(nullable=False, default=utcnow)


class AttentionItem(SQLModel, table=True):
    """Something a person must look at (an item nowhere to go, an overdue inspection, ...)."""

    __tablename__ = "attention_items"
    __table_args__ = (UniqueConstraint("merchant_id", "key"), Index("ix_attention_merchant_at", "merchant_id", "created_at"))

    id: int | None = Field(default=None, primary_key=True)
    merchant_id: str = Field(max_length=64)
    key: str = Field(max_length=200)
    kind: str = Field(max_length=32)
    return_id: str | None = Field(default=None, max_length=64)
    line_id: str | None = Field(default=None, max_length=64)
    reason: str
    created_at: datetime = _dt(nullable=False, default=utcnow)
    resolved_at: datetime | None = _dt(nullable=True)
    resolved_by: str | None = Field(default=None, max_length=200)


class CatalogVariant(SQLModel, table=True):
    """A sellable variant (domain.exchange.Variant): what a shopper may exchange for."""

    __tablename__ = "catalog_variants"

    merchant_id: str = Field(primary_key=True, foreign_key="merchants.id", max_length=64)
    sku: str = Field(primary_key=True, max_length=128)
    document: dict | None = _json(nullable=False)
    updated_at: datetime = _dt(nullable=False, default=utcnow)


class StockRecord(SQLModel, table=True):
    """Sellable units of a SKU at a warehouse; `reserved` is promised to exchanges not yet shipped."""

    __tablename__ = "stock_levels"

    merchant_id: str = Field(primary_key=True, max_length=64)
    sku: str = Field(primary_key=True, max_length=128)
    facility_id: str = Field(primary_key=True, max_length=128)
    on_hand: int = 0
    reserved: int = 0


class ExchangeReservation(SQLModel, table=True):
    """Stock held for one exchanged line: reserved -> shipped, or released."""

    __tablename__ = "exchange_reservations"

    return_id: str = Field(primary_key=True, max_length=64)
    line_id: str = Field(primary_key=True, max_length=64)
    merchant_id: str = Field(index=True, max_length=64)
    sku: str = Field(max_length=128)
    facility_id: str = Field(max_length=128)
    quantity: int
    unit_price: int
    currency: str = Field(max_length=3)
    status: str = Field(default="reserved", max_length=16)  # reserved | shipped | released
    created_at: datetime = _dt(nullable=False, default=utcnow)


class EmailSent(SQLModel, table=True):
    """Mail sent to a shopper, once per key (its Message-ID's left part, e.g. label-<return>-<tracking>)."""

    __tablename__ = "emails_sent"

    key: str = Field(primary_key=True, max_length=200)
    return_id: str = Field(index=True, max_length=64)
    to: str = Field(max_length=320)  # the address it went to (RFC 5321's longest)
    sent_at: datetime = _dt(nullable=False, default=utcnow)


class ReturnUnit(SQLModel, table=True):
    """One unit of an order line held by a return: at most one open or completed return per unit.

    Inserted by the API in one transaction before the return's workflow starts (the primary key
    is the unique constraint that makes concurrent creates safe, `claim` the one that makes one
    return id one request); deleted when the return ends
    cancelled, rejected or expired. Completed returns keep theirs.
    """

    __tablename__ = "return_units"

    merchant_id: str = Field(primary_key=True, max_length=64)
    order_id: str = Field(primary_key=True, max_length=128)
    line_id: str = Field(primary_key=True, max_length=128)
    unit: int = Field(primary_key=True)  # 1..the line's quantity
    return_id: str = Field(index=True, max_length=64)
    created_at: datetime = _dt(nullable=False, default=utcnow)
    # The create request that reserved it (sha256 of its body; NULL only for rows from before 0010):
    # the same Idempotency-Key with another body is a conflict, not a retry.
    request_fingerprint: str | None = Field(default=None, max_length=64)
    # The return's id on exactly one of its rows, NULL on the others: unique, so two reservations for
    # one return id (the same Idempotency-Key sent twice at once) never both commit, whatever units.
    claim: str | None = Field(default=None, unique=True, index=True, max_length=64)
