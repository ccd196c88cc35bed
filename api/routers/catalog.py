"""A merchant's catalog (what shoppers may exchange for) and warehouse stock of it."""

from __future__ import annotations

from fastapi import APIRouter, Query
from sqlmodel import Session

from api.deps import DbDep, Owner, Reader
from api.errors import ApiError
from api.schemas.catalog import StockOut, StockUpdate
from db.catalog import (
    BelowReserved,
    load_catalog,
    load_stock,
    save_catalog,
    set_on_hand,
)
from db.registry import load_registry
from domain.exchange import Catalog

router = APIRouter(tags=["merchant: catalog"])


@router.put("/v1/catalog", response_model=Catalog)
async def put_catalog(body: Catalog, principal: Owner, db: DbDep) -> Catalog:
    """Replace the catalog (unique SKUs, one currency). A discontinued variant cannot be chosen for an exchange."""
    return await db.run(save_catalog, principal.merchant_id, body)


@router.get("/v1/catalog", response_model=Catalog)
async def get_catalog(principal: Reader, db: DbDep) -> Catalog:
    return await db.run(load_catalog, principal.merchant_id)


@router.put("/v1/stock", response_model=StockOut)
async def put_stock(body: StockUpdate, principal: Owner, db: DbDep) -> StockOut:
    """Set units on hand per SKU and warehouse (a stock count). Reserved units stay reserved;
    a count below what is reserved for exchanges is refused (409)."""

    def save(session: Session) -> StockOut:
        registry = load_registry(session, principal.merchant_id)
        for i, level in enumerate(body.levels):
            if registry.get(level.facility_id) is None:
                raise ApiError(
                    422,
                    "unknown_facility",
                    f"levels[{i}].facility_id: {level.facility_id!r} is not in your facility registry",
                    field=f"levels[{i}].facility_id",
                )
            try:
                set_on_hand(session, principal.merchant_id, level.sku, level.facility_id, level.on_hand)
            except BelowReserved as err:
                raise ApiError(
                    409,
                    "below_reserved",
                    f"levels[{i}]: {err.reserved} units of {level.sku} at {level.facility_id} "
                    f"are reserved for exchanges; on_hand cannot go below that",
                    field=f"levels[{i}].on_hand",
                ) from err
        return StockOut(data=load_stock(session, principal.merchant_id))

    return await db.run(save)


@router.get("/v1/stock", response_model=StockOut)
async def get_stock(principal: Reader, db: DbDep, sku: str | None = Query(None, max_length=128)) -> StockOut:
    return StockOut(data=await db.run(load_stock, principal.merchant_id, sku))
