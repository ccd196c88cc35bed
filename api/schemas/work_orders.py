"""Refurbishment work orders as the facility lists and completes them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.common import Strict
from db.tables import WorkOrder
from domain.returns import Grade
from domain.validation import text


class WorkOrderOut(BaseModel):
    id: str
    return_id: str
    line_id: str
    facility_id: str
    sku: str
    quantity: int
    grade_in: Grade
    status: Literal["open", "completed"]
    grade_out: Grade | None
    notes: str
    created_at: datetime
    completed_at: datetime | None

    @classmethod
    def of(cls, row: WorkOrder) -> WorkOrderOut:
        return cls.model_validate(row, from_attributes=True)


class WorkOrderCompleteIn(Strict):
    grade: Grade = Field(description="the item's grade after refurbishment")
    notes: text(2000) = ""
