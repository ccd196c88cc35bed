"""Writing the inventory ledger: each movement of an item once, however often an activity retries."""

from __future__ import annotations

from sqlmodel import Session, select

from db.tables import InventoryMovement
from domain.inventory import Movement
from workflows.ids import inventory_movement_key


def record_movement(
    session: Session, merchant_id: str, return_id: str, line_id: str, movement: Movement, detail: str = ""
) -> bool:
    """Append the movement unless this item already made it; True if appended."""
    key = inventory_movement_key(return_id, line_id, movement.kind.value)
    exists = session.exec(
        select(InventoryMovement.id).where(InventoryMovement.merchant_id == merchant_id, InventoryMovement.key == key)
    ).first()
    if exists is not None:
        return False
    session.add(
        InventoryMovement(
            merchant_id=merchant_id,
            key=key,
            movement=movement.kind.value,
            sku=movement.sku,
            quantity=movement.quantity,
            from_location=movement.from_location,
            from_condition=movement.from_condition,
            to_location=movement.to_location,
            to_condition=movement.to_condition,
            return_id=return_id,
            line_id=line_id,
            detail=detail,
        )
    )
    return True
