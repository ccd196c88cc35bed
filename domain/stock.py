"""Stock of the merchant's variants at its warehouses, and the bookkeeping exchanges do on it.

Rules, stated once: reservations are bookkeeping on stock levels, each returning new
levels: `reserve` takes available units (never more than are available), `release`
gives reserved units back, `ship` sends reserved units out (on_hand and reserved both
drop). So available is never negative and reserved never exceeds on_hand. A stock list
holds each (sku, facility_id) once.

Pure: no I/O and no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.validation import Loc, Sku, Units, invalid, require_positive

__all__ = ["InsufficientStock", "StockLevel", "release", "reserve", "ship", "stock_positions"]


class StockLevel(BaseModel):
    """Units of one sku at one facility; `reserved` units are promised to exchanges not shipped yet."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sku: Sku
    facility_id: str = Field(min_length=1, max_length=128)
    on_hand: Units
    reserved: Units = 0

    @model_validator(mode="after")
    def _reserved_on_hand(self) -> StockLevel:
        if self.reserved > self.on_hand:
            raise invalid(
                "StockLevel",
                [(("reserved",), f"{self.reserved} reserved is more than the {self.on_hand} on hand", self.reserved)],
            )
        return self

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class InsufficientStock(Exception):
    """A reservation asked for more units than are available at the facility."""

    def __init__(self, sku: str, facility_id: str, available: int, wanted: int) -> None:
        super().__init__(f"only {available} of sku {sku} available at {facility_id}, {wanted} wanted")
        self.sku = sku
        self.facility_id = facility_id
        self.available = available
        self.wanted = wanted


def stock_positions(stock: Sequence[StockLevel]) -> dict[tuple[str, str], int]:
    """(sku, facility_id) -> position; each pair may appear once (ValidationError at stock[i])."""
    index: dict[tuple[str, str], int] = {}
    problems: list[tuple[Loc, str, Any]] = []
    for i, level in enumerate(stock):
        key = (level.sku, level.facility_id)
        if key in index:
            problems.append(
                (("stock", i), f"sku {level.sku!r} at {level.facility_id!r} is already stock[{index[key]}]", key)
            )
        index.setdefault(key, i)
    if problems:
        raise invalid("stock", problems)
    return index


def _replace(stock: Sequence[StockLevel], i: int, level: StockLevel) -> list[StockLevel]:
    return [*stock[:i], level, *stock[i + 1 :]]


def reserve(stock: Sequence[StockLevel], sku: str, facility_id: str, quantity: int) -> list[StockLevel]:
    """New levels with `quantity` more units reserved; InsufficientStock if fewer are available."""
    require_positive(quantity, "quantity")
    i = stock_positions(stock).get((sku, facility_id))
    available = 0 if i is None else stock[i].available
    if i is None or available < quantity:
        raise InsufficientStock(sku, facility_id, available, quantity)
    level = stock[i]
    return _replace(
        stock,
        i,
        StockLevel(sku=sku, facility_id=facility_id, on_hand=level.on_hand, reserved=level.reserved + quantity),
    )


def _reserved(stock: Sequence[StockLevel], sku: str, facility_id: str, quantity: int, verb: str) -> int:
    require_positive(quantity, "quantity")
    i = stock_positions(stock).get((sku, facility_id))
    reserved = 0 if i is None else stock[i].reserved
    if i is None or reserved < quantity:
        raise ValueError(f"cannot {verb} {quantity} of sku {sku} at {facility_id}: only {reserved} reserved")
    return i


def release(stock: Sequence[StockLevel], sku: str, facility_id: str, quantity: int) -> list[StockLevel]:
    """New levels with `quantity` reserved units available again (ValueError if fewer are reserved)."""
    i = _reserved(stock, sku, facility_id, quantity, "release")
    level = stock[i]
    return _replace(
        stock,
        i,
        StockLevel(sku=sku, facility_id=facility_id, on_hand=level.on_hand, reserved=level.reserved - quantity),
    )


def ship(stock: Sequence[StockLevel], sku: str, facility_id: str, quantity: int) -> list[StockLevel]:
    """New levels after `quantity` reserved units left the facility: on_hand and reserved both drop.

    Only reserved units ship (ValueError if fewer are reserved)."""
    i = _reserved(stock, sku, facility_id, quantity, "ship")
    level = stock[i]
    return _replace(
        stock,
        i,
        StockLevel(
            sku=sku, facility_id=facility_id, on_hand=level.on_hand - quantity, reserved=level.reserved - quantity
        ),
    )
