"""The activities' own memory of side effects: carrier shipments and events, refunds, store credit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from db.tables.columns import dt_column, json_column
from db.types import utcnow


class CarrierShipment(SQLModel, table=True):
    """The carrier activity's own memory: which EasyPost shipment belongs to a return."""

    __tablename__ = "carrier_shipments"

    return_id: str = Field(primary_key=True, max_length=64)  # or a transfer's reference
    shipment_id: str = Field(unique=True, max_length=64)
    facility_id: str | None = Field(default=None, max_length=128)  # where the parcel goes, if a registry facility
    created_at: datetime = dt_column(nullable=False, default=utcnow)


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
    payload: dict | None = json_column(nullable=False)
    received_at: datetime = dt_column(nullable=False, default=utcnow)


class PaymentRefund(SQLModel, table=True):
    __tablename__ = "payment_refunds"

    idempotency_key: str = Field(primary_key=True, max_length=128)
    return_id: str = Field(index=True, max_length=64)
    merchant_id: str = Field(max_length=64)
    provider_refund_id: str = Field(max_length=64)
    amount: int
    currency: str = Field(max_length=3)
    status: str = Field(max_length=32)
    created_at: datetime = dt_column(nullable=False, default=utcnow)


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
    created_at: datetime = dt_column(nullable=False, default=utcnow)
    expires_at: datetime | None = dt_column(nullable=True)  # issued credit unspent by then expires
