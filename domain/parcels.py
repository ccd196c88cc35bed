"""How many parcels a return needs: items are packed in order into parcels up to a carrier weight limit.

Weights are estimates by category (ounces per unit; shops do not send weights yet), so
a return of a few items is one parcel and a bulk return gets several labels. A line
heavier than one parcel is split across parcels. Pure and deterministic: the workflow
plans with it.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from domain.returns import ReturnLine
from domain.validation import category_key

MAX_PARCEL_OZ = 800  # 50 lb: within every carrier's parcel limit
DEFAULT_UNIT_OZ = 16
UNIT_OZ_BY_CATEGORY = {"apparel": 12, "clothing": 12, "shoes": 40, "electronics": 32, "books": 16, "home": 48}


class ParcelItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    line_id: str
    quantity: int


class Parcel(BaseModel):
    model_config = ConfigDict(frozen=True)

    number: int  # 1-based
    items: list[ParcelItem]
    weight_oz: int


def unit_weight_oz(category: str) -> int:
    return UNIT_OZ_BY_CATEGORY.get(category_key(category), DEFAULT_UNIT_OZ)


def plan_parcels(lines: Sequence[ReturnLine], max_oz: int = MAX_PARCEL_OZ) -> list[Parcel]:
    """Parcels in order, each at most `max_oz` (a single unit heavier than that gets a parcel of its own)."""
    parcels: list[tuple[list[ParcelItem], int]] = []
    items: list[ParcelItem] = []
    weight = 0
    for line in lines:
        unit = unit_weight_oz(line.category)
        left = line.quantity
        while left:
            fits = max((max_oz - weight) // unit, 0)
            if fits == 0 and items:
                parcels.append((items, weight))
                items, weight = [], 0
                continue
            take = min(left, max(fits, 1))
            items.append(ParcelItem(line_id=line.line_id, quantity=take))
            weight += take * unit
            left -= take
    if items or not parcels:
        parcels.append((items, weight))
    return [Parcel(number=i + 1, items=its, weight_oz=w) for i, (its, w) in enumerate(parcels)]
