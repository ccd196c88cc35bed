"""A merchant's label rules (`LabelRules`) and the rates a carrier quotes (`RateOption`).

The rule they are applied by is stated once, in the package docstring (`domain.labels`).
Invalid rules raise pydantic's ValidationError (a ValueError), one error per problem
located at its field (carriers[1], preferred_carriers, ...).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.money import Money, MoneyIn
from domain.validation import MAX_NAMES, Loc, Name, invalid, repeats

__all__ = ["LabelRules", "RateOption", "Selection", "name_key"]

_FORBID = ConfigDict(frozen=True, extra="forbid")

Selection = Literal["cheapest", "fastest_within_budget", "preferred_carrier"]


def name_key(name: str) -> str:
    """Carrier and service names compare ignoring case and surrounding spaces ("USPS" == " usps")."""
    return name.strip().casefold()


def _names(field: str, v: list[str], what: str, empty_means: str) -> list[str]:
    """Non-blank and not repeated (ignoring case); stored without surrounding spaces."""
    keys = [name_key(name) for name in v]
    again = repeats(keys)
    problems: list[tuple[Loc, str, Any]] = []
    for i, name in enumerate(v):
        if not keys[i]:
            problems.append(((i,), f"a {what} name cannot be blank (leave the list empty {empty_means})", name))
        elif i in again:
            problems.append(((i,), f"{what} {name.strip()!r} is already {field}[{again[i]}]", name))
    if problems:
        raise invalid("LabelRules", problems)
    return [name.strip() for name in v]


class RateOption(BaseModel):
    """One rate a carrier quoted for the shipment."""

    model_config = _FORBID

    rate_id: str = Field(min_length=1)
    carrier: str = Field(min_length=1)
    service: str = Field(min_length=1)
    cost: Money
    delivery_days: int | None = Field(default=None, ge=0)

    def describe(self) -> str:
        """For people: "USPS Priority at 7.58 USD"."""
        return f"{self.carrier} {self.service} at {self.cost.display()}"


class LabelRules(BaseModel):
    """Which rates a merchant's return labels may use, and how one is chosen (see the module docstring)."""

    model_config = _FORBID

    carriers: list[Name] = Field(default_factory=list, max_length=MAX_NAMES, description="allowed carriers; empty: any")
    services: list[Name] = Field(default_factory=list, max_length=MAX_NAMES, description="allowed services; empty: any")
    max_cost: MoneyIn | None = Field(default=None, description="the most a label may cost; None: no limit")
    selection: Selection = "cheapest"
    preferred_carriers: list[Name] = Field(
        default_factory=list,
        max_length=MAX_NAMES,
        description="most preferred first; used (and required) by selection preferred_carrier",
    )

    @field_validator("carriers")
    @classmethod
    def _carriers(cls, v: list[str]) -> list[str]:
        return _names("carriers", v, "carrier", "to allow every carrier")

    @field_validator("services")
    @classmethod
    def _services(cls, v: list[str]) -> list[str]:
        return _names("services", v, "service", "to allow every service")

    @field_validator("preferred_carriers")
    @classmethod
    def _preferred(cls, v: list[str]) -> list[str]:
        return _names("preferred_carriers", v, "carrier", "unless selection is preferred_carrier")

    @model_validator(mode="after")
    def _consistent(self) -> LabelRules:
        problems: list[tuple[Loc, str, Any]] = []
        if self.selection == "preferred_carrier" and not self.preferred_carriers:
            problems.append(
                (("preferred_carriers",), "selection preferred_carrier needs at least one preferred carrier", [])
            )
        allowed = {name_key(c) for c in self.carriers}
        # A preferred carrier that is not allowed could never be chosen: surely a slip.
        problems += [
            (
                ("preferred_carriers", i),
                f"preferred carrier {c!r} is not an allowed carrier ({', '.join(self.carriers)})",
                c,
            )
            for i, c in enumerate(self.preferred_carriers)
            if allowed and name_key(c) not in allowed
        ]
        if problems:
            raise invalid("LabelRules", problems)
        return self

    def allows(self, rate: RateOption) -> bool:
        carriers = {name_key(c) for c in self.carriers}
        services = {name_key(s) for s in self.services}
        return (not carriers or name_key(rate.carrier) in carriers) and (
            not services or name_key(rate.service) in services
        )

    def within_budget(self, rate: RateOption) -> bool:
        return self.max_cost is None or (
            rate.cost.currency == self.max_cost.currency and rate.cost.amount <= self.max_cost.amount
        )
