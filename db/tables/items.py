"""Items after inspection and stock: routes, capacity bookings, the inventory ledger, work orders,
certificates, sellable stock and exchange reservations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from db.tables.columns import dt_column
from db.types import utcnow


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
    created_at: datetime = dt_column(nullable=False, default=utcnow)


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
    at: datetime = dt_column(nullable=False, default=utcnow)


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
    created_at: datetime = dt_column(nullable=False, default=utcnow)
    completed_at: datetime | None = dt_column(nullable=True)


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
    issued_at: datetime = dt_column(nullable=False, default=utcnow)


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
    created_at: datetime = dt_column(nullable=False, default=utcnow)
