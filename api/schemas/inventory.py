"""Inventory levels from the ledger and one returned item's trail."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from domain.inspection import Finding
from domain.returns import Grade


class LevelOut(BaseModel):
    sku: str
    location: str
    condition: str
    quantity: int


class InventoryOut(BaseModel):
    data: list[LevelOut]
    next_cursor: str | None = Field(None, description="always null: the whole list is on this one page")


class MovementOut(BaseModel):
    movement: str
    sku: str
    quantity: int
    from_location: str | None
    from_condition: str | None
    to_location: str | None
    to_condition: str | None
    detail: str
    at: datetime


class CertificateOut(BaseModel):
    id: str
    kind: str
    facility_id: str
    sku: str
    count: int
    issued_at: datetime


class InspectionNoteOut(BaseModel):
    """What the warehouse found and wrote at inspection, as it sent it."""

    grade: Grade | None = None
    findings: list[Finding] = Field(default_factory=list)
    notes: str = ""
    photo_urls: list[str] = Field(default_factory=list)


class ItemTrailOut(BaseModel):
    return_id: str
    line_id: str
    disposition: str | None
    facility_id: str | None
    route_reason: str | None
    transfer_tracking_code: str | None = Field(
        default=None, description="the transfer to its facility, from the moment its label is bought"
    )
    inspection: InspectionNoteOut | None = Field(default=None, description="null until the item is inspected")
    work_order_id: str | None
    certificate: CertificateOut | None
    movements: list[MovementOut]
