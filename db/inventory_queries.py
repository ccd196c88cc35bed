"""Where returned items are: the inventory ledger (append-only movements), one item's whole path, and the
item routed to a facility (a transfer the facility confirms)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from db.returns import get_return
from db.tables import Certificate, InventoryMovement, ItemRouteRow, WorkOrder


def movements(session: Session, merchant_id: str, sku: str | None = None) -> list[InventoryMovement]:
    q = select(InventoryMovement).where(InventoryMovement.merchant_id == merchant_id)
    if sku:
        q = q.where(InventoryMovement.sku == sku)
    return list(session.exec(q).all())


@dataclass(frozen=True)
class ItemTrail:
    item: dict  # the return's item as projected: grade, findings, the inspector's notes and photos
    movements: list[InventoryMovement]
    route: ItemRouteRow | None
    work_order: WorkOrder | None
    certificate: Certificate | None


def item_trail(session: Session, merchant_id: str, return_id: str, line_id: str) -> ItemTrail | None:
    """None when the merchant has no such return, or the return no such line."""
    ret = get_return(session, merchant_id, return_id)
    item = next((i for i in (ret.items or []) if i["line_id"] == line_id), None) if ret else None
    if item is None:
        return None
    moves = session.exec(
        select(InventoryMovement)
        .where(
            InventoryMovement.merchant_id == merchant_id,
            InventoryMovement.return_id == return_id,
            InventoryMovement.line_id == line_id,
        )
        .order_by(col(InventoryMovement.id))
    ).all()
    route = session.get(ItemRouteRow, (return_id, line_id))
    wo = session.exec(select(WorkOrder).where(WorkOrder.return_id == return_id, WorkOrder.line_id == line_id)).first()
    cert = session.exec(
        select(Certificate).where(Certificate.return_id == return_id, Certificate.line_id == line_id)
    ).first()
    return ItemTrail(item, list(moves), route, wo, cert)


def transfer_to(
    session: Session,
    merchant_id: str,
    facility_id: str,
    *,
    tracking_code: str | None = None,
    return_id: str | None = None,
    line_id: str | None = None,
) -> ItemRouteRow | None:
    """The item routed to `facility_id`, by its transfer's tracking code, or else by return and line."""
    q = select(ItemRouteRow).where(ItemRouteRow.merchant_id == merchant_id, ItemRouteRow.facility_id == facility_id)
    if tracking_code:
        q = q.where(ItemRouteRow.transfer_tracking_code == tracking_code)
    else:
        q = q.where(ItemRouteRow.return_id == return_id, ItemRouteRow.line_id == line_id)
    return session.exec(q).first()
