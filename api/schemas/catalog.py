"""Stock counts the merchant sends (the catalog itself is domain.exchange.Catalog)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas.common import Strict
from domain.exchange import StockLevel
from domain.validation import Id, Sku, Units


class StockIn(Strict):
    sku: Sku
    facility_id: Id
    on_hand: Units


class StockUpdate(Strict):
    levels: list[StockIn] = Field(min_length=1, max_length=5000)


class StockOut(BaseModel):
    data: list[StockLevel]
    next_cursor: str | None = Field(None, description="always null: the whole list is on this one page")
