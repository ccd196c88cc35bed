"""Inventory read from the append-only ledger: current levels, and one item's whole path."""

from __future__ import annotations

from fastapi import APIRouter, Query

from api.deps import DbDep, Reader
from api.errors import ApiError
from api.schemas.common import PathId, ReturnPathId
from api.schemas.inventory import (
    CertificateOut,
    InspectionNoteOut,
    InventoryOut,
    ItemTrailOut,
    LevelOut,
    MovementOut,
)
from db.inventory_queries import item_trail, movements
from db.tables import InventoryMovement
from domain import inventory

router = APIRouter(tags=["merchant: inventory"])


def _movement(row: InventoryMovement) -> inventory.Movement:
    return inventory.Movement(
        kind=row.movement,
        sku=row.sku,
        quantity=row.quantity,
        from_location=row.from_location,
        from_condition=row.from_condition,
        to_location=row.to_location,
        to_condition=row.to_condition,
    )


@router.get("/v1/inventory", response_model=InventoryOut)
async def levels(
    principal: Reader,
    db: DbDep,
    sku: str | None = Query(None, max_length=128),
    location: str | None = Query(None, max_length=128),
) -> InventoryOut:
    """Units on hand per SKU, location and condition (sellable, refurbished, or a grade), from the ledger."""

    found = inventory.levels(_movement(r) for r in await db.run(movements, principal.merchant_id, sku))
    rows = [
        LevelOut(sku=s, location=loc, condition=cond, quantity=n)
        for (s, loc, cond), n in sorted(found.items())
        if location is None or loc == location
    ]
    return InventoryOut(data=rows)


@router.get("/v1/items/{return_id}/{line_id}/trail", response_model=ItemTrailOut)
async def trail(return_id: ReturnPathId, line_id: PathId, principal: Reader, db: DbDep) -> ItemTrailOut:
    """Every movement of one returned item, in order, with its route, work order and certificate."""
    found = await db.run(item_trail, principal.merchant_id, return_id, line_id)
    if found is None:
        raise ApiError(404, "item_not_found", f"return {return_id!r} has no line {line_id!r}")
    item, moves, route, wo, cert = found.item, found.movements, found.route, found.work_order, found.certificate
    inspected = item.get("grade") is not None or item.get("stage") == "not_received" or item.get("findings")
    return ItemTrailOut(
        return_id=return_id,
        line_id=line_id,
        disposition=route.disposition if route else None,
        facility_id=route.facility_id if route else None,
        route_reason=route.reason if route else None,
        transfer_tracking_code=(route.transfer_tracking_code if route else None) or item.get("transfer_tracking_code"),
        inspection=InspectionNoteOut.model_validate(item) if inspected else None,
        work_order_id=wo.id if wo else None,
        certificate=CertificateOut.model_validate(cert, from_attributes=True) if cert else None,
        movements=[MovementOut.model_validate(m, from_attributes=True) for m in moves],
    )
