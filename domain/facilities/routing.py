"""Which facility an item (or a whole return) goes to.

Routing rule, stated once (`route_item` and `receiving_warehouse` share it):
- Only facilities that qualify are considered: they have the capability, accept
  the item's category (an empty `categories` list accepts every category;
  categories compare ignoring case and surrounding spaces) and have at least
  `units` of today's capacity left (daily_capacity minus what `load` books).
- Nearest wins, by great-circle distance (haversine, rounded to the metre).
- Facilities within TIE_KM (0.5 km) of the nearest qualifying one count as equally
  near; among those the lower cost per unit wins, then the smaller id. (The window
  is measured from the nearest, so the winner is never more than TIE_KM farther
  than the nearest qualifying facility.)
- Costs in different currencies are not compared: when the equally-near
  facilities do not all use one currency, the nearest of them wins (then the
  smaller id). A `FacilityRegistry` enforces one currency, so this is a fallback.
- When nothing qualifies the item is held (`Held`, with the reason in words and
  a code), never an error: the caller flags the return NeedsAttention.

Pure: no I/O and no clock. What is already booked today (`Load`) is an argument,
so the same facts always route the same way (a workflow can call this).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.facilities.registry import Capability, Facility, FacilityKind
from domain.geo import GeoPoint, distance_km
from domain.money import Money
from domain.validation import require_positive

__all__ = [
    "TIE_KM",
    "Held",
    "HeldCode",
    "Load",
    "RouteDecision",
    "Routed",
    "book",
    "capacity_left",
    "receiving_warehouse",
    "route_item",
]

TIE_KM = 0.5

# Units already booked today per facility id (facilities not in it: nothing booked).
Load = Mapping[str, int]


def capacity_left(facility: Facility, load: Load) -> int:
    """Units the facility can still take today (never below zero)."""
    booked = load.get(facility.id, 0)
    if booked < 0:
        raise ValueError(f"load[{facility.id!r}] is {booked}: booked units cannot be negative")
    return max(facility.daily_capacity - booked, 0)


def book(load: Load, facility_id: str, units: int) -> dict[str, int]:
    """A new load with `units` more booked at the facility (for routing several items in turn)."""
    require_positive(units, "units")
    return {**load, facility_id: load.get(facility_id, 0) + units}


HeldCode = Literal["no_capable_facility", "category_not_accepted", "no_capacity"]


class Routed(BaseModel):
    model_config = ConfigDict(frozen=True)

    outcome: Literal["routed"] = "routed"
    facility_id: str
    distance_km: float
    cost: Money  # cost_per_unit x units, in the facility's currency


class Held(BaseModel):
    """No facility qualifies: the item waits for a person (NeedsAttention), it does not fail."""

    model_config = ConfigDict(frozen=True)

    outcome: Literal["held"] = "held"
    code: HeldCode
    reason: str  # in words, for the timeline and the ops screen


RouteDecision = Annotated[Routed | Held, Field(discriminator="outcome")]


def _choose(candidates: Iterable[Facility], origin: GeoPoint) -> tuple[Facility, float] | None:
    """The routing rule (see the module docstring) over facilities that already qualify."""
    measured = [(f, distance_km(origin, f.location)) for f in candidates]
    if not measured:
        return None
    nearest = min(d for _, d in measured)
    near = [(f, d) for f, d in measured if d <= nearest + TIE_KM]
    if len({f.currency for f, _ in near}) == 1:
        return min(near, key=lambda fd: (fd[0].cost_per_unit, fd[0].id))
    return min(near, key=lambda fd: (fd[1], fd[0].id))


def _described(category: str) -> str:
    return f"{category.strip()!r} items" if category.strip() else "uncategorised items"


def route_item(
    facilities: Sequence[Facility],
    capability: Capability,
    category: str,
    units: int,
    origin: GeoPoint,
    load: Load,
) -> Routed | Held:
    """Where `units` of an item of `category` go to be handled with `capability`, from `origin`.

    `capability`: a Capability; for an item's disposition, `domain.disposition.capability_for(kind)`.
    `origin`: where the item is now (the receiving warehouse). Never routes to a
    facility lacking the capability, not accepting the category or without `units`
    capacity left today; `Held` when none qualifies.
    """
    require_positive(units, "units")
    capability = Capability(capability)
    capable = [f for f in facilities if f.can(capability)]
    if not capable:
        return Held(code="no_capable_facility", reason=f"no facility can {capability.verb} items")
    accepting = [f for f in capable if f.accepts(category)]
    if not accepting:
        return Held(
            code="category_not_accepted",
            reason=f"no facility that can {capability.verb} items accepts {_described(category)}",
        )
    left = {f.id: capacity_left(f, load) for f in accepting}
    chosen = _choose((f for f in accepting if left[f.id] >= units), origin)
    if chosen is None:
        most = max(left.values())
        return Held(
            code="no_capacity",
            reason=(
                f"every facility that can {capability.verb} {_described(category)} is full today: "
                f"{units} unit{'s' if units != 1 else ''} to place, at most {most} left at any of them"
            ),
        )
    facility, distance = chosen
    return Routed(facility_id=facility.id, distance_km=distance, cost=facility.unit_cost(units))


def receiving_warehouse(
    facilities: Sequence[Facility],
    shopper: GeoPoint,
    load: Load,
    units: int,
    categories: Collection[str] = (),
) -> Facility | None:
    """The warehouse a shopper's return label is addressed to; None when none qualifies.

    A warehouse-kind facility that can restock, accepts every category in
    `categories` (none given: not checked) and has `units` capacity left today,
    chosen by the routing rule from the shopper's location.
    """
    require_positive(units, "units")
    qualifying = [
        f
        for f in facilities
        if f.kind is FacilityKind.WAREHOUSE
        and f.can(Capability.RESTOCK)
        and all(f.accepts(c) for c in categories)
        and capacity_left(f, load) >= units
    ]
    chosen = _choose(qualifying, shopper)
    return None if chosen is None else chosen[0]
