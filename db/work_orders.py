"""Refurbishment work orders as the warehouse sees them: listed, completed once, reopened on failure."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from db.pages import after_row
from db.tables import WorkOrder


def work_orders(
    session: Session,
    merchant_id: str,
    status: str | None,
    facility_id: str | None,
    limit: int,
    after: tuple[datetime, str] | None = None,
) -> list[WorkOrder]:
    """Oldest first; after `after`, the (created_at, id) of the last one a page showed."""
    q = select(WorkOrder).where(WorkOrder.merchant_id == merchant_id)
    if status:
        q = q.where(WorkOrder.status == status)
    if facility_id:
        q = q.where(WorkOrder.facility_id == facility_id)
    q = after_row(q, col(WorkOrder.created_at), col(WorkOrder.id), after, newest_first=False)
    return list(session.exec(q.order_by(col(WorkOrder.created_at), col(WorkOrder.id)).limit(limit)).all())


def complete_work_order(
    session: Session, merchant_id: str, work_order_id: str, grade: str, notes: str, at: datetime
) -> tuple[WorkOrder | None, bool]:
    """(the work order, None if the merchant has none by this id; whether this call completed it).
    The conditional update makes a second completion lose, even when two arrive at once."""
    done = session.execute(
        update(WorkOrder)
        .where(
            col(WorkOrder.id) == work_order_id,
            col(WorkOrder.merchant_id) == merchant_id,
            col(WorkOrder.status) == "open",
        )
        .values(status="completed", grade_out=grade, notes=notes, completed_at=at)
    )
    row = session.get(WorkOrder, work_order_id)
    if row is None or row.merchant_id != merchant_id:
        return None, False
    return row, done.rowcount == 1


def reopen_work_order(session: Session, work_order_id: str) -> None:
    """Undo a completion the workflow never heard of, so a retry can complete it."""
    row = session.get(WorkOrder, work_order_id)
    row.status, row.grade_out, row.completed_at = "open", None, None
    session.add(row)
