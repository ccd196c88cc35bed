"""An item's steps after routing, written to the inventory ledger (and work orders, certificates).

The workflow says which step happened; the route row (written by routing) says
what the item is and where it goes, so the workflow carries ids only. Every write
is keyed by (return, line, step): a retried activity changes nothing twice.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel
from sqlalchemy.engine import Engine
from sqlmodel import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.inventory_ledger import record_movement
from db.return_items import show_transfer_codes
from db.session import session_scope
from db.tables import Certificate, ItemRouteRow, WorkOrder
from domain import inventory
from domain.disposition import DispositionKind
from domain.returns import Grade
from workflows.ids import certificate_id, work_order_id
from workflows.messages import ActivityErrorType

ItemStepKind = Literal["sent", "arrived", "open_work_order", "done"]


class ItemStep(BaseModel):
    return_id: str
    merchant_id: str
    line_id: str
    step: ItemStepKind
    tracking_code: str | None = None  # for "sent": the transfer shipment


class ItemStepResult(BaseModel):
    summary: str
    work_order_id: str | None = None
    certificate_id: str | None = None


class InventoryActivities:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @activity.defn
    def record_item_step(self, step: ItemStep) -> ItemStepResult:
        with session_scope(self._engine) as session:
            route = session.get(ItemRouteRow, (step.return_id, step.line_id))
            if route is None or route.facility_id is None:
                raise ApplicationError(
                    f"line {step.line_id} of return {step.return_id} has no route",
                    type=ActivityErrorType.NO_ROUTE,
                    non_retryable=True,
                )
            return _STEPS[step.step](session, route, step)


def _sent(session: Session, route: ItemRouteRow, step: ItemStep) -> ItemStepResult:
    route.transfer_tracking_code = step.tracking_code
    session.add(route)
    session.flush()
    show_transfer_codes(session, route.return_id)  # on the return's item now, not when the transfer completes
    _move(
        session,
        route,
        inventory.sent(route.sku, route.quantity, route.from_facility_id, Grade(route.grade)),
        f"transfer {step.tracking_code} to {route.facility_id}",
    )
    return ItemStepResult(summary=f"sent to {route.facility_id} ({step.tracking_code})")


def _arrived(session: Session, route: ItemRouteRow, step: ItemStep) -> ItemStepResult:
    _move(session, route, inventory.arrived(route.sku, route.quantity, route.facility_id, Grade(route.grade)))
    return ItemStepResult(summary=f"received at {route.facility_id}")


def _open_work_order(session: Session, route: ItemRouteRow, step: ItemStep) -> ItemStepResult:
    wo_id = work_order_id(route.return_id, route.line_id)
    if session.get(WorkOrder, wo_id) is None:
        session.add(
            WorkOrder(
                id=wo_id,
                merchant_id=route.merchant_id,
                return_id=route.return_id,
                line_id=route.line_id,
                facility_id=route.facility_id,
                sku=route.sku,
                quantity=route.quantity,
                grade_in=route.grade,
            )
        )
    return ItemStepResult(summary=f"work order {wo_id} opened at {route.facility_id}", work_order_id=wo_id)


def _done(session: Session, route: ItemRouteRow, step: ItemStep) -> ItemStepResult:
    disposition = DispositionKind(route.disposition)
    movement = inventory.final(disposition, route.sku, route.quantity, route.facility_id, Grade(route.grade))
    detail = ""
    if disposition is DispositionKind.REFURBISH:
        wo = session.get(WorkOrder, work_order_id(route.return_id, route.line_id))
        detail = f"work order {wo.id} completed, grade {wo.grade_out}" if wo is not None else ""
    _move(session, route, movement, detail)
    cert = None
    if (kind := inventory.CERTIFIED.get(disposition)) is not None:
        cert = certificate_id(route.return_id, route.line_id)
        if session.get(Certificate, cert) is None:
            session.add(
                Certificate(
                    id=cert,
                    merchant_id=route.merchant_id,
                    return_id=route.return_id,
                    line_id=route.line_id,
                    facility_id=route.facility_id,
                    kind=kind,
                    sku=route.sku,
                    count=route.quantity,
                )
            )
    summary = f"{movement.kind.value} at {route.facility_id}" + (
        f", {inventory.CERTIFIED[disposition]} certificate {cert}" if cert else ""
    )
    return ItemStepResult(summary=summary, certificate_id=cert)


def _move(session: Session, route: ItemRouteRow, movement: inventory.Movement, detail: str = "") -> None:
    record_movement(session, route.merchant_id, route.return_id, route.line_id, movement, detail)


_STEPS = {"sent": _sent, "arrived": _arrived, "open_work_order": _open_work_order, "done": _done}
