"""A merchant's facilities: what each one is, can do and accepts, checked as a whole registry.

Invalid facilities raise pydantic's ValidationError (a ValueError) with one error
per problem, each located at its field (location.lat, capabilities[2],
daily_capacity, facilities[1].id, ...).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from domain.facilities.hours import OpeningHours, overlaps
from domain.geo import GeoPoint
from domain.money import Money
from domain.validation import (
    MAX_ITEMS,
    MAX_NAMES,
    CountryCode,
    CurrencyCode,
    Id,
    Loc,
    MinorUnits,
    Name,
    Units,
    category_key,
    country_code,
    currency_code,
    invalid,
    problem,
    repeats,
    text,
)

__all__ = ["Capability", "Facility", "FacilityAddress", "FacilityKind", "FacilityRegistry", "OpeningHours"]

_FORBID = ConfigDict(frozen=True, extra="forbid")


class FacilityKind(StrEnum):
    WAREHOUSE = "warehouse"
    REFURBISHMENT_CENTRE = "refurbishment_centre"
    RECYCLER = "recycler"
    DONATION_PARTNER = "donation_partner"
    LIQUIDATOR = "liquidator"
    # One of the merchant's own shops: shoppers hand returns in there (its staff scan the return's code
    # with a store key), so a store receives returns whatever its capabilities; with none it handles no items.
    STORE = "store"


class Capability(StrEnum):
    """What a facility can do with an item. A disposition needs one: `domain.disposition.capability_for`.
    (Receiving returns from shoppers is not one: it is what a `store` is, so routing never sends items to a
    store for it.)"""

    RESTOCK = "restock"
    REFURBISH = "refurbish"
    RECYCLE = "recycle"
    DONATE = "donate"
    DISPOSE = "dispose"
    LIQUIDATE = "liquidate"

    @property
    def verb(self) -> str:
        return "dispose of" if self is Capability.DISPOSE else self.value


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
    categories: list[Name] = Field(
        default_factory=list, max_length=MAX_NAMES, description="accepted categories; empty: every category"
    )
    daily_capacity: Units = Field(description="units a day")
    cost_per_unit: MinorUnits = Field(description="minor units of `currency`")
    currency: CurrencyCode
    opening_hours: list[OpeningHours] | None = Field(
        default=None,
        max_length=MAX_NAMES,
        description="when shoppers can come (a store's hours, shown in the store list); none: not said",
        exclude_if=lambda v: v is None,  # facilities saved before stores existed read and write as they did
    )

    @field_validator("capabilities")
    @classmethod
    def _capabilities(cls, v: list[Capability], info: ValidationInfo) -> list[Capability]:
        if not v and info.data.get("kind") is not FacilityKind.STORE:
            raise problem("a facility needs at least one capability (only a store may have none: it receives)")
        problems: list[tuple[Loc, str, Any]] = [
            ((i,), f"{v[i].value!r} is already capabilities[{first}]", v[i]) for i, first in repeats(v).items()
        ]
        if problems:
            raise invalid("Facility", problems)
        return v

    @field_validator("categories")
    @classmethod
    def _categories(cls, v: list[str]) -> list[str]:
        keys = [category_key(c) for c in v]
        again = repeats(keys)
        problems: list[tuple[Loc, str, Any]] = []
        for i, category in enumerate(v):
            if not keys[i]:
                problems.append(
                    ((i,), "a category cannot be blank (leave the list empty to accept every category)", category)
                )
            elif i in again:
                problems.append(((i,), f"category {category!r} is already categories[{again[i]}]", category))
        if problems:
            raise invalid("Facility", problems)
        return [c.strip() for c in v]

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        return currency_code(v)

    @field_validator("opening_hours")
    @classmethod
    def _opening_hours(cls, v: list[OpeningHours] | None) -> list[OpeningHours] | None:
        if v and (problems := overlaps(v)):
            raise invalid("Facility", problems)
        return v

    @property
    def is_store(self) -> bool:
        return self.kind is FacilityKind.STORE

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
        again = repeats(f.id for f in self.facilities)
        currency = self.facilities[0].currency if self.facilities else ""
        for i, facility in enumerate(self.facilities):
            if i in again:
                already = f"facility id {facility.id!r} is already facilities[{again[i]}]"
                problems.append((("facilities", i, "id"), already, facility.id))
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
