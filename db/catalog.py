"""A merchant's catalog and warehouse stock, as the exchange rules (domain.exchange) take them."""

from __future__ import annotations

from sqlmodel import Session, col, delete, select

from db.tables import CatalogVariant, StockRecord
from db.types import utcnow
from domain.exchange import Catalog, StockLevel, Variant


def load_catalog(session: Session, merchant_id: str) -> Catalog:
    rows = session.exec(
        select(CatalogVariant).where(CatalogVariant.merchant_id == merchant_id).order_by(col(CatalogVariant.sku))
    )
    return Catalog(variants=[Variant.model_validate(r.document) for r in rows])


def replace_catalog(session: Session, merchant_id: str, catalog: Catalog) -> None:
    session.exec(delete(CatalogVariant).where(CatalogVariant.merchant_id == merchant_id))
    for v in catalog.variants:
        session.add(
            CatalogVariant(merchant_id=merchant_id, sku=v.sku, document=v.model_dump(mode="json"), updated_at=utcnow())
        )


def load_stock(session: Session, merchant_id: str, sku: str | None = None) -> list[StockLevel]:
    q = select(StockRecord).where(StockRecord.merchant_id == merchant_id)
    if sku:
        q = q.where(StockRecord.sku == sku)
    rows = session.exec(q.order_by(col(StockRecord.sku), col(StockRecord.facility_id)))
    return [StockLevel(sku=r.sku, facility_id=r.facility_id, on_hand=r.on_hand, reserved=r.reserved) for r in rows]


def save_catalog(session: Session, merchant_id: str, catalog: Catalog) -> Catalog:
    """Replace the catalog and read back what is stored."""
    replace_catalog(session, merchant_id, catalog)
    session.flush()
    return load_catalog(session, merchant_id)


class BelowReserved(Exception):
    def __init__(self, reserved: int) -> None:
        super().__init__(f"{reserved} units are reserved")
        self.reserved = reserved


def set_on_hand(session: Session, merchant_id: str, sku: str, facility_id: str, on_hand: int) -> None:
    """A stock count: units on hand at a facility. Reserved units stay reserved, so a count below
    them is refused (BelowReserved); the row is locked while it is checked."""
    row = session.get(StockRecord, (merchant_id, sku, facility_id), with_for_update=True)
    row = row or StockRecord(merchant_id=merchant_id, sku=sku, facility_id=facility_id)
    if on_hand < row.reserved:
        raise BelowReserved(row.reserved)
    row.on_hand = on_hand
    session.add(row)
