"""Inventory levels from the ledger and one returned item's trail."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


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


class ItemTrailOut(BaseModel):
    return_id: str
    line_id: str
    disposition: str | None
    facility_id: str | None
    route_reason: str | None
    work_order_id: str | None
    certificate: CertificateOut | None
    movements: list[MovementOut]
