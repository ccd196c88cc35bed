"""Refurbishment work orders: listed for the facility, completed with the item's new grade."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import update
from sqlmodel import Session, col, select
from temporalio.service import RPCError

from api.deps import DbDep, TemporalDep, WarehouseOrOpsKey
from api.errors import ApiError
from api.schemas import PathId, Strict
from db.tables import WorkOrder
from domain.returns import Grade
from domain.validation import ID_PATTERN, MAX_ID_LENGTH, text
from workflows.ids import return_workflow_id
from workflows.messages import WorkOrderDone
from workflows.return_workflow import ReturnWorkflow

router = APIRouter(prefix="/v1/work-orders", tags=["warehouse: work orders"])


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


@router.get("", response_model=list[WorkOrderOut])
async def list_work_orders(
    principal: WarehouseOrOpsKey, db: DbDep, status: Literal["open", "completed"] | None = None,
    facility_id: str | None = Query(None, max_length=MAX_ID_LENGTH, pattern=ID_PATTERN), limit: int = Query(100, ge=1, le=500),
) -> list[WorkOrderOut]:  # fmt: skip
    def load(session: Session) -> list[WorkOrder]:
        q = select(WorkOrder).where(WorkOrder.merchant_id == principal.merchant_id)
        if status:
            q = q.where(WorkOrder.status == status)
        if facility_id:
            q = q.where(WorkOrder.facility_id == facility_id)
        return list(session.exec(q.order_by(col(WorkOrder.created_at)).limit(limit)).all())

    return [WorkOrderOut.of(r) for r in await db.run(load)]


@router.post("/{work_order_id}/complete", response_model=WorkOrderOut)
async def complete(
    work_order_id: PathId, body: WorkOrderCompleteIn, principal: WarehouseOrOpsKey, db: DbDep, temporal: TemporalDep
) -> WorkOrderOut:
    """Refurbishment done: the item is restocked as refurbished stock (by its return's workflow)."""
    client = await temporal.client()

    def finish(session: Session) -> WorkOrder:
        # The conditional update makes a second completion a 409, even when two arrive at once.
        done = session.execute(
            update(WorkOrder)
            .where(col(WorkOrder.id) == work_order_id, col(WorkOrder.merchant_id) == principal.merchant_id,
                   col(WorkOrder.status) == "open")  # fmt: skip
            .values(status="completed", grade_out=body.grade.value, notes=body.notes, completed_at=datetime.now(UTC))
        )
        row = session.get(WorkOrder, work_order_id)
        if row is None or row.merchant_id != principal.merchant_id:
            raise ApiError(404, "work_order_not_found", f"work order {work_order_id!r} not found")
        if done.rowcount != 1:
            raise ApiError(409, "work_order_completed", f"work order {work_order_id} was already completed "
                           f"(grade {row.grade_out}) at {row.completed_at.isoformat()}")  # fmt: skip
        return row

    row = await db.run(finish)
    signal = WorkOrderDone(work_order_id=row.id, line_id=row.line_id, grade=body.grade, notes=body.notes)
    try:
        await client.get_workflow_handle(return_workflow_id(row.return_id)).signal(ReturnWorkflow.work_order_done, signal)
    except RPCError as err:
        await db.run(_reopen, work_order_id)
        raise ApiError(503, "temporal_unavailable", "could not record the completion; retry") from err
    return WorkOrderOut.of(row)


def _reopen(session: Session, work_order_id: str) -> None:
    """Undo a completion the workflow never heard of, so a retry can complete it."""
    row = session.get(WorkOrder, work_order_id)
    row.status, row.grade_out, row.completed_at = "open", None, None
    session.add(row)
