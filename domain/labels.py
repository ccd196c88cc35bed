"""A merchant's return-label rules, and which of a carrier's rates they choose.

`LabelRules` says which carriers and services a merchant allows (empty: any),
how much a label may cost at most, and how to choose among what is left.
`choose_rate` applies them to the rates EasyPost quoted for one shipment.

Pure: no I/O and no clock; the same rules and rates always give the same choice,
whatever order the rates come in (a workflow can call this).

The rule, stated once:
- A rate is *allowed* when its carrier is in `carriers` and its service in
  `services` (an empty list allows any). Names compare ignoring case and
  surrounding spaces.
- An allowed rate *qualifies* when it is within `max_cost` (cost <= max_cost).
  A rate priced in another currency than `max_cost` does not qualify: costs in
  different currencies are never compared.
- Without a budget the rates are compared in one currency: the one most allowed
  rates are priced in (ties: the alphabetically first code). EasyPost quotes a
  shipment's rates in one currency, so this is a fallback.
- `cheapest`: the lowest cost; ties go to fewer delivery days (unknown days count
  as slowest), then carrier and service name, then rate id.
- `fastest_within_budget`: the fewest delivery days (unknown: slowest); ties go
  to the lower cost, then carrier and service name, then rate id.
- `preferred_carrier`: the first carrier in `preferred_carriers` with a
  qualifying rate, and its cheapest (as above); when no preferred carrier has
  one, the cheapest qualifying rate of any allowed carrier.
- The choice lists every other qualifying rate as `alternatives`, cheapest first
  (in the compared currency). A rate id counts once.
- When nothing qualifies the answer is `NoRate` with a code and the reason in
  words, never an error: `no_rates` (nothing quoted), `carrier_not_allowed`
  (no quoted rate has an allowed carrier and service) or `over_budget` (allowed
  rates exist, none within the budget).

Invalid rules raise pydantic's ValidationError (a ValueError), one error per
problem located at its field (carriers[1], preferred_carriers, ...).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.money import Money, MoneyIn
from domain.validation import MAX_NAMES, Loc, Name, invalid

__all__ = [
    "LabelChoice",
    "LabelRules",
    "NoRate",
    "NoRateCode",
    "RateChoice",
    "RateOption",
    "Selection",
    "choose_rate",
    "name_key",
]

_FORBID = ConfigDict(frozen=True, extra="forbid")

Selection = Literal["cheapest", "fastest_within_budget", "preferred_carrier"]
NoRateCode = Literal["no_rates", "carrier_not_allowed", "over_budget"]


def name_key(name: str) -> str:
    """Carrier and service names compare ignoring case and surrounding spaces ("USPS" == " usps")."""
    return name.strip().casefold()


def _names(field: str, v: list[str], what: str, empty_means: str) -> list[str]:
    """Non-blank and not repeated (ignoring case); stored without surrounding spaces."""
    first: dict[str, int] = {}
    problems: list[tuple[Loc, str, Any]] = []
    for i, name in enumerate(v):
        key = name_key(name)
        if not key:
            problems.append(((i,), f"a {what} name cannot be blank (leave the list empty {empty_means})", name))
        elif key in first:
            problems.append(((i,), f"{what} {name.strip()!r} is already {field}[{first[key]}]", name))
        first.setdefault(key, i)
    if problems:
        raise invalid("LabelRules", problems)
    return [name.strip() for name in v]


class LabelRules(BaseModel):
    """Which rates a merchant's return labels may use, and how one is chosen (see the module docstring)."""

    model_config = _FORBID

    carriers: list[Name] = Field(default_factory=list, max_length=MAX_NAMES, description="allowed carriers; empty: any")
    services: list[Name] = Field(default_factory=list, max_length=MAX_NAMES, description="allowed services; empty: any")
    max_cost: MoneyIn | None = Field(default=None, description="the most a label may cost; None: no limit")
    selection: Selection = "cheapest"
    preferred_carriers: list[Name] = Field(
        default_factory=list, max_length=MAX_NAMES,
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
            (("preferred_carriers", i), f"preferred carrier {c!r} is not an allowed carrier ({', '.join(self.carriers)})", c)
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


class RateChoice(BaseModel):
    model_config = ConfigDict(frozen=True)

    outcome: Literal["chosen"] = "chosen"
    chosen: RateOption
    alternatives: list[RateOption]  # every other qualifying rate, cheapest first
    reason: str  # in words, for the timeline


class NoRate(BaseModel):
    """Nothing qualifies: the return waits for a person (or other rules), it does not fail."""

    model_config = ConfigDict(frozen=True)

    outcome: Literal["none"] = "none"
    code: NoRateCode
    reason: str  # in words: the cheapest rate and the budget


LabelChoice = Annotated[RateChoice | NoRate, Field(discriminator="outcome")]


# ---- ordering ------------------------------------------------------------------------

_SLOWEST = float("inf")  # unknown delivery days sort after every known number


def _days(rate: RateOption) -> float:
    return _SLOWEST if rate.delivery_days is None else rate.delivery_days


def _names_key(rate: RateOption) -> tuple[str, str, str]:
    return name_key(rate.carrier), name_key(rate.service), rate.rate_id


def _cheapest_key(rate: RateOption) -> tuple:
    return (rate.cost.amount, _days(rate), *_names_key(rate))


def _fastest_key(rate: RateOption) -> tuple:
    return (_days(rate), rate.cost.amount, *_names_key(rate))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _among(how: str, n: int, budget: str) -> str:
    """E.g. "cheapest of 4 allowed rates within the 10.00 USD budget", or "the only allowed rate"."""
    return f"the only allowed rate{budget}" if n == 1 else f"{how} of {n} allowed rates{budget}"


def _cheapest_in(rates: Sequence[RateOption]) -> RateOption:
    """The cheapest, compared in the currency most of them use (see the module docstring)."""
    currency = _compared_currency(rates)
    return min((r for r in rates if r.cost.currency == currency), key=_cheapest_key)


def _compared_currency(rates: Sequence[RateOption]) -> str:
    counts = Counter(r.cost.currency for r in rates)
    return min(counts, key=lambda c: (-counts[c], c))


def _unique(rates: Sequence[RateOption]) -> list[RateOption]:
    """A rate id counts once (the cheapest rate under it, so input order never matters)."""
    by_id: dict[str, RateOption] = {}
    for rate in rates:
        known = by_id.get(rate.rate_id)
        if known is None or _cheapest_key(rate) + (rate.cost.currency,) < _cheapest_key(known) + (known.cost.currency,):
            by_id[rate.rate_id] = rate
    return list(by_id.values())


# ---- the choice ----------------------------------------------------------------------


def _no_rate(rules: LabelRules, rates: list[RateOption], allowed: list[RateOption]) -> NoRate:
    if not rates:
        return NoRate(code="no_rates", reason="the carrier quoted no rates for this shipment")
    if not allowed:
        limits = [f"carriers {', '.join(rules.carriers)}" if rules.carriers else "",
                  f"services {', '.join(rules.services)}" if rules.services else ""]  # fmt: skip
        allowed_text = "; ".join(x for x in limits if x)
        return NoRate(
            code="carrier_not_allowed",
            reason=(
                f"none of the {_plural(len(rates), 'quoted rate')} is allowed "
                f"(allowed: {allowed_text}); the cheapest quoted is {_cheapest_in(rates).describe()}"
            ),
        )
    budget = rules.max_cost
    assert budget is not None  # without a budget every allowed rate qualifies
    same = [r for r in allowed if r.cost.currency == budget.currency]
    if not same:
        return NoRate(
            code="over_budget",
            reason=(
                f"none of the {_plural(len(allowed), 'allowed rate')} is priced in {budget.currency} like the "
                f"{budget.display()} budget; the cheapest is {_cheapest_in(allowed).describe()}"
            ),
        )
    return NoRate(
        code="over_budget",
        reason=(
            f"the cheapest allowed rate, {_cheapest_in(same).describe()}, is over the {budget.display()} budget"
            + (f" (none of the {len(allowed)} allowed rates is within it)" if len(allowed) > 1 else "")
        ),
    )


def _pick(rules: LabelRules, qualifying: list[RateOption]) -> tuple[RateOption, str]:
    """The chosen rate and why, in words (`qualifying`: non-empty, in one currency)."""
    n = len(qualifying)
    budget = f" within the {rules.max_cost.display()} budget" if rules.max_cost else ""
    if rules.selection == "fastest_within_budget":
        fastest = min(qualifying, key=_fastest_key)
        if fastest.delivery_days is None:
            return fastest, _among("cheapest", n, budget) + " (none states its delivery days)"
        return fastest, _among("fastest", n, budget) + f" ({_plural(fastest.delivery_days, 'day')})"
    if rules.selection == "preferred_carrier":
        for rank, carrier in enumerate(rules.preferred_carriers, start=1):
            theirs = [r for r in qualifying if name_key(r.carrier) == name_key(carrier)]
            if theirs:
                passed = rules.preferred_carriers[: rank - 1]
                before = f"{', '.join(passed)}: no allowed rate{budget}; " if passed else ""
                of_theirs = "its only allowed rate" if len(theirs) == 1 else f"cheapest of its {len(theirs)} allowed rates"
                return min(theirs, key=_cheapest_key), f"{before}preferred carrier {carrier} (#{rank}): {of_theirs}"
        return min(qualifying, key=_cheapest_key), (
            f"no preferred carrier ({', '.join(rules.preferred_carriers)}) has an allowed rate{budget}: "
            + _among("cheapest", n, budget)
        )
    return min(qualifying, key=_cheapest_key), _among("cheapest", n, budget)


def choose_rate(rules: LabelRules, rates: Sequence[RateOption]) -> RateChoice | NoRate:
    """The rate to buy a return label at, by the merchant's rules (see the module docstring)."""
    rates = _unique(rates)
    allowed = [r for r in rates if rules.allows(r)]
    qualifying = [r for r in allowed if rules.within_budget(r)]
    if not qualifying:
        return _no_rate(rules, rates, allowed)
    currency = _compared_currency(qualifying)
    compared = [r for r in qualifying if r.cost.currency == currency]
    chosen, reason = _pick(rules, compared)
    if len(compared) < len(qualifying):
        others = len(qualifying) - len(compared)
        reason += f" in {currency} ({_plural(others, 'rate')} in other currencies not compared)"
    alternatives = sorted((r for r in compared if r.rate_id != chosen.rate_id), key=_cheapest_key)
    return RateChoice(chosen=chosen, alternatives=alternatives, reason=reason)
