"""A store's counter: the scan of a return a shopper hands in, and what the store's staff see of it."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas.common import Strict
from domain.status import ReturnStatus
from domain.validation import text


class StoreReceiptIn(Strict):
    code: text(100, 1) = Field(
        description="what the scanner read: the return's RMA code (`RMA-RET_…`, any case) or its return id, "
        "as the shopper's QR code and return page show it"
    )


class StoreItemOut(BaseModel):
    line_id: str
    sku: str
    quantity: int


class StoreReceiptOut(BaseModel):
    """The return the store took: enough for the counter to check the items, nothing about the shopper."""

    return_id: str
    order_id: str
    status: ReturnStatus = Field(description="`received` once a store has it (and later statuses after that)")
    store_id: str = Field(description="the store that received it (the scanning one; another store has it: 409)")
    items: list[StoreItemOut]
