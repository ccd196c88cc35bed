"""The inventory ledger's vocabulary: which movement each step of an item's path makes.

A movement moves `quantity` units of a SKU from one (location, condition) to
another. Locations are facility ids, IN_TRANSIT (between facilities) or None
(outside our stock: with the shopper before receipt, or gone after recycling,
donation, disposal or liquidation). Conditions are grades (A..D) until an item
is ready to sell again: SELLABLE (restocked as it is) or REFURBISHED.

A level is what moved in minus what moved out (`levels`), so the ledger is
append-only and a level is never edited. Pure: no I/O and no clock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from domain.disposition import DispositionKind
from domain.returns import Grade

IN_TRANSIT = "in_transit"
SELLABLE = "sellable"
REFURBISHED = "refurbished"


class MovementKind(StrEnum):
    RECEIVED = "received"
    SENT_TO_FACILITY = "sent_to_facility"
    RECEIVED_AT_FACILITY = "received_at_facility"
    RESTOCKED = "restocked"
    REFURBISHED = "refurbished"
    RECYCLED = "recycled"
    DONATED = "donated"
    DISPOSED = "disposed"
    LIQUIDATED = "liquidated"


# The last movement of an item, by what was decided for it (refurbish ends in REFURBISHED stock).
FINAL_MOVEMENT: dict[DispositionKind, MovementKind] = {
    DispositionKind.RESTOCK: MovementKind.RESTOCKED,
    DispositionKind.REFURBISH: MovementKind.REFURBISHED,
    DispositionKind.RECYCLE: MovementKind.RECYCLED,
    DispositionKind.DONATE: MovementKind.DONATED,
    DispositionKind.DISPOSE: MovementKind.DISPOSED,
    DispositionKind.LIQUIDATE: MovementKind.LIQUIDATED,
}
CERTIFIED: dict[DispositionKind, str] = {DispositionKind.RECYCLE: "recycling", DispositionKind.DONATE: "donation"}


class Movement(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: MovementKind
    sku: str
    quantity: int = Field(ge=1)
    from_location: str | None
    from_condition: str | None
    to_location: str | None
    to_condition: str | None


def received(sku: str, quantity: int, warehouse: str, grade: Grade) -> Movement:
    return Movement(
        kind=MovementKind.RECEIVED,
        sku=sku,
        quantity=quantity,
        from_location=None,
        from_condition=None,
        to_location=warehouse,
        to_condition=grade.value,
    )


def sent(sku: str, quantity: int, origin: str, grade: Grade) -> Movement:
    return Movement(
        kind=MovementKind.SENT_TO_FACILITY,
        sku=sku,
        quantity=quantity,
        from_location=origin,
        from_condition=grade.value,
        to_location=IN_TRANSIT,
        to_condition=grade.value,
    )


def arrived(sku: str, quantity: int, facility: str, grade: Grade) -> Movement:
    return Movement(
        kind=MovementKind.RECEIVED_AT_FACILITY,
        sku=sku,
        quantity=quantity,
        from_location=IN_TRANSIT,
        from_condition=grade.value,
        to_location=facility,
        to_condition=grade.value,
    )


def final(disposition: DispositionKind, sku: str, quantity: int, facility: str, grade: Grade) -> Movement:
    """The item's last movement at its facility: into sellable stock, or out of stock for good."""
    kind = FINAL_MOVEMENT[DispositionKind(disposition)]
    to_condition = {MovementKind.RESTOCKED: SELLABLE, MovementKind.REFURBISHED: REFURBISHED}.get(kind)
    return Movement(
        kind=kind,
        sku=sku,
        quantity=quantity,
        from_location=facility,
        from_condition=grade.value,
        to_location=facility if to_condition else None,
        to_condition=to_condition,
    )


def levels(movements: Iterable[Movement]) -> dict[tuple[str, str, str], int]:
    """Units on hand by (sku, location, condition): in minus out; only non-zero levels, IN_TRANSIT included."""
    level: dict[tuple[str, str, str], int] = defaultdict(int)
    for m in movements:
        if m.from_location is not None:
            level[(m.sku, m.from_location, m.from_condition or "")] -= m.quantity
        if m.to_location is not None:
            level[(m.sku, m.to_location, m.to_condition or "")] += m.quantity
    return {k: v for k, v in level.items() if v != 0}
