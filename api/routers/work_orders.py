"""Refurbishment work orders: listed for the facility, completed with the item's new grade."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter, Query

from api.deps import DbDep, FloorReader, Handler
from api.errors import ApiError
from api.pages import CursorQuery, Page, decode_cursor, page
from api.returns_gateway import ReturnsGatewayDep
from api.schemas.common import PathId
from api.schemas.work_orders import WorkOrderCompleteIn, WorkOrderOut
from db.work_orders import complete_work_order, reopen_work_order, work_orders
from domain.validation import ID_PATTERN, MAX_ID_LENGTH
from workflows.messages import WorkOrderDone

router = APIRouter(prefix="/v1/work-orders", tags=["warehouse: work orders"])


@router.get("", response_model=Page[WorkOrderOut])
async def list_work_orders(
    principal: FloorReader,
    db: DbDep,
    status: Literal["open", "completed"] | None = None,
    facility_id: str | None = Query(None, max_length=MAX_ID_LENGTH, pattern=ID_PATTERN),
    limit: int = Query(100, ge=1, le=500),
    cursor: CursorQuery = None,
) -> Page[WorkOrderOut]:
    after = decode_cursor(cursor)
    rows = await db.run(work_orders, principal.merchant_id, status, facility_id, limit + 1, after)
    shown, next_cursor = page(rows, limit, lambda r: (r.created_at, r.id))
    return Page[WorkOrderOut](data=[WorkOrderOut.of(r) for r in shown], next_cursor=next_cursor)


@router.post("/{work_order_id}/complete", response_model=WorkOrderOut)
async def complete(
    work_order_id: PathId,
    body: WorkOrderCompleteIn,
    principal: Handler,
    db: DbDep,
    workflows: ReturnsGatewayDep,
) -> WorkOrderOut:
    """Refurbishment done: the item is restocked as refurbished stock (by its return's workflow)."""
    at = datetime.now(UTC)
    row, completed = await db.run(
        complete_work_order, principal.merchant_id, work_order_id, body.grade.value, body.notes, at
    )
    if row is None:
        raise ApiError(404, "work_order_not_found", f"work order {work_order_id!r} not found")
    if not completed:  # a second completion, even when two arrive at once
        raise ApiError(
            409,
            "work_order_completed",
            f"work order {work_order_id} was already completed "
            f"(grade {row.grade_out}) at {row.completed_at.isoformat()}",
        )
    signal = WorkOrderDone(work_order_id=row.id, line_id=row.line_id, grade=body.grade, notes=body.notes)
    try:
        await workflows.complete_work_order(row.return_id, signal)
    except ApiError:  # Temporal did not take it: a retry must find the work order open
        await db.run(reopen_work_order, work_order_id)
        raise
    return WorkOrderOut.of(row)
