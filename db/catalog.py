"""A merchant's catalog and warehouse stock, as the exchange rules (domain.exchange) take them."""

from __future__ import annotations

from sqlmodel import Session, col, delete, select

from db.tables import CatalogVariant, StockRecord
from db.types import utcnow
from domain.exchange import Catalog, StockLevel, Variant


def load_catalog(session: Session, merchant_id: str) -> Catalog:
    rows = session.exec(select(CatalogVariant).where(CatalogVariant.merchant_id == merchant_id).order_by(col(CatalogVariant.sku)))
    return Catalog(variants=[Variant.model_validate(r.document) for r in rows])


def replace_catalog(session: Session, merchant_id: str, catalog: Catalog) -> None:
    session.exec(delete(CatalogVariant).where(CatalogVariant.merchant_id == merchant_id))
    for v in catalog.variants:
        session.add(CatalogVariant(merchant_id=merchant_id, sku=v.sku, document=v.model_dump(mode="json"), updated_at=utcnow()))


def load_stock(session: Session, merchant_id: str, sku: str | None = None) -> list[StockLevel]:
    q = select(StockRecord).where(StockRecord.merchant_id == merchant_id)
    if sku:
        q = q.where(StockRecord.sku == sku)
    rows = session.exec(q.order_by(col(StockRecord.sku), col(StockRecord.facility_id)))
    return [StockLevel(sku=r.sku, facility_id=r.facility_id, on_hand=r.on_hand, reserved=r.reserved) for r in rows]
