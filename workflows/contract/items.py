"""After inspection: routing each item to a facility, transfers between facilities, work orders."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from domain.disposition import DispositionKind
from domain.money import Money
from domain.returns import Grade
from workflows.contract.requests import DEFAULT_TRANSFER_TIMEOUT_DAYS


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
