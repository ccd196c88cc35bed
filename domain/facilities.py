"""A merchant's facilities, and which one an item (or a whole return) goes to.

A facility is a place that takes returned items: a warehouse, a refurbishment
centre, a recycler, a donation partner or a liquidator. Each says what it can do
with an item (its capabilities), which product categories it accepts, how many
units it takes a day and what a unit costs it.

Pure: no I/O and no clock. What is already booked today (`Load`) is an argument,
so the same facts always route the same way (a workflow can call this).

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

Invalid facilities raise pydantic's ValidationError (a ValueError) with one error
per problem, each located at its field (location.lat, capabilities[2],
daily_capacity, facilities[1].id, ...).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from domain.money import Money
from domain.validation import (
    MAX_ITEMS,
    MAX_NAMES,
    CountryCode,
    CurrencyCode,
    Id,
    Latitude,
    Loc,
    Longitude,
    MinorUnits,
    Name,
    Units,
    category_key,
    country_code,
    currency_code,
    invalid,
    problem,
    text,
)

__all__ = [
    "EARTH_RADIUS_KM",
    "TIE_KM",
    "Capability",
    "Facility",
    "FacilityAddress",
    "FacilityKind",
    "FacilityRegistry",
    "GeoPoint",
    "Held",
    "HeldCode",
    "Load",
    "RouteDecision",
    "Routed",
    "book",
    "capacity_left",
    "distance_km",
    "receiving_warehouse",
    "route_item",
]

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)
TIE_KM = 0.5

_FORBID = ConfigDict(frozen=True, extra="forbid")


# Units already booked today per facility id (facilities not in it: nothing booked).
Load = Mapping[str, int]


class FacilityKind(StrEnum):
    WAREHOUSE = "warehouse"
    REFURBISHMENT_CENTRE = "refurbishment_centre"
    RECYCLER = "recycler"
    DONATION_PARTNER = "donation_partner"
    LIQUIDATOR = "liquidator"


class Capability(StrEnum):
    RESTOCK = "restock"
    REFURBISH = "refurbish"
    RECYCLE = "recycle"
    DONATE = "donate"
    DISPOSE = "dispose"
    LIQUIDATE = "liquidate"

    @property
    def verb(self) -> str:
        return "dispose of" if self is Capability.DISPOSE else self.value








class GeoPoint(BaseModel):
    """WGS 84 degrees: latitude -90..90, longitude -180..180."""

    model_config = _FORBID

    lat: Latitude
    lon: Longitude


class FacilityAddress(BaseModel):
    """A postal address in EasyPost's shape, so a label can be addressed with `label_address()`."""

    model_config = _FORBID

    name: text(200) | None = None
    company: text(200) | None = None
    street1: text(200, 1)
    street2: text(200) | None = None
    city: text(100, 1)
    state: text(100) | None = None
    zip: text(20, 1)
    country: CountryCode = Field(description="ISO 3166-1 alpha-2")
    phone: text(40) | None = None

    @field_validator("country")
    @classmethod
    def _alpha2(cls, v: str) -> str:
        return country_code(v)

    def label_address(self) -> dict[str, str]:
        """The address as a carrier takes it (no empty fields)."""
        return self.model_dump(exclude_none=True)


class Facility(BaseModel):
    """One place a merchant's returned items can go."""

    model_config = _FORBID

    id: Id
    kind: FacilityKind
    name: text(200, 1)
    address: FacilityAddress
    location: GeoPoint
    capabilities: list[Capability] = Field(max_length=MAX_NAMES)
    categories: list[Name] = Field(default_factory=list, max_length=MAX_NAMES, description="accepted categories; empty: every category")
    daily_capacity: Units = Field(description="units a day")
    cost_per_unit: MinorUnits = Field(description="minor units of `currency`")
    currency: CurrencyCode

    @field_validator("capabilities")
    @classmethod
    def _capabilities(cls, v: list[Capability]) -> list[Capability]:
        if not v:
            raise problem("a facility needs at least one capability")
        first: dict[Capability, int] = {}
        problems: list[tuple[Loc, str, Any]] = []
        for i, capability in enumerate(v):
            if capability in first:
                problems.append(((i,), f"{capability.value!r} is already capabilities[{first[capability]}]", capability))
            first.setdefault(capability, i)
        if problems:
            raise invalid("Facility", problems)
        return v

    @field_validator("categories")
    @classmethod
    def _categories(cls, v: list[str]) -> list[str]:
        first: dict[str, int] = {}
        problems: list[tuple[Loc, str, Any]] = []
        for i, category in enumerate(v):
            key = category_key(category)
            if not key:
                problems.append(((i,), "a category cannot be blank (leave the list empty to accept every category)", category))
            elif key in first:
                problems.append(((i,), f"category {category!r} is already categories[{first[key]}]", category))
            first.setdefault(key, i)
        if problems:
            raise invalid("Facility", problems)
        return [c.strip() for c in v]

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        return currency_code(v)

    def can(self, capability: Capability) -> bool:
        return capability in self.capabilities

    def accepts(self, category: str) -> bool:
        """Empty `categories`: everything. Otherwise the category must be listed (ignoring case)."""
        return not self.categories or category_key(category) in {category_key(c) for c in self.categories}

    def unit_cost(self, units: int) -> Money:
        return Money(amount=self.cost_per_unit * units, currency=self.currency)


class FacilityRegistry(BaseModel):
    """A merchant's facilities: ids unique, costs in one currency (so they can be compared)."""

    model_config = _FORBID

    facilities: list[Facility] = Field(default_factory=list, max_length=MAX_ITEMS)

    @model_validator(mode="after")
    def _consistent(self) -> FacilityRegistry:
        problems: list[tuple[Loc, str, Any]] = []
        first_id: dict[str, int] = {}
        currency = self.facilities[0].currency if self.facilities else ""
        for i, facility in enumerate(self.facilities):
            if facility.id in first_id:
                already = f"facility id {facility.id!r} is already facilities[{first_id[facility.id]}]"
                problems.append((("facilities", i, "id"), already, facility.id))
            first_id.setdefault(facility.id, i)
            if facility.currency != currency:
                problems.append(
                    (
                        ("facilities", i, "currency"),
                        f"{facility.currency} differs from facilities[0]'s {currency}: a merchant's costs are in one currency",
                        facility.currency,
                    )
                )
        if problems:
            raise invalid("FacilityRegistry", problems)
        return self

    def get(self, facility_id: str) -> Facility | None:
        return next((f for f in self.facilities if f.id == facility_id), None)


# ---- distance ------------------------------------------------------------------------


def distance_km(a: GeoPoint, b: GeoPoint) -> float:
    """Great-circle distance (haversine), in km rounded to the metre.

    Symmetric bit for bit (only absolute differences and commutative products are
    used) and exactly 0 from a point to itself.
    """
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat = abs(lat1 - lat2)
    dlon = abs(math.radians(a.lon) - math.radians(b.lon))
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    h = min(max(h, 0.0), 1.0)
    return round(2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h)), 3)


# ---- load ----------------------------------------------------------------------------


def capacity_left(facility: Facility, load: Load) -> int:
    """Units the facility can still take today (never below zero)."""
    booked = load.get(facility.id, 0)
    if booked < 0:
        raise ValueError(f"load[{facility.id!r}] is {booked}: booked units cannot be negative")
    return max(facility.daily_capacity - booked, 0)


def book(load: Load, facility_id: str, units: int) -> dict[str, int]:
    """A new load with `units` more booked at the facility (for routing several items in turn)."""
    if units < 1:
        raise ValueError(f"units must be at least 1, not {units}")
    return {**load, facility_id: load.get(facility_id, 0) + units}


# ---- decisions -----------------------------------------------------------------------

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


def _check_units(units: int) -> None:
    if units < 1:
        raise ValueError(f"units must be at least 1, not {units}")


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

    `capability`: a Capability, or a disposition.DispositionKind (same names).
    `origin`: where the item is now (the receiving warehouse). Never routes to a
    facility lacking the capability, not accepting the category or without `units`
    capacity left today; `Held` when none qualifies.
    """
    _check_units(units)
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
    _check_units(units)
    qualifying = [
        f for f in facilities
        if f.kind is FacilityKind.WAREHOUSE
        and f.can(Capability.RESTOCK)
        and all(f.accepts(c) for c in categories)
        and capacity_left(f, load) >= units
    ]  # fmt: skip
    chosen = _choose(qualifying, shopper)
    return None if chosen is None else chosen[0]
