"""`choose_rate`: the rate a return label is bought at, by the merchant's rules (the rule is stated
once, in the package docstring), or `NoRate` with the reason in words.

Pure: no I/O and no clock; the same rules and rates always give the same choice,
whatever order the rates come in (a workflow can call this).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.labels.rules import LabelRules, RateOption, name_key

__all__ = ["LabelChoice", "NoRate", "NoRateCode", "RateChoice", "choose_rate"]

NoRateCode = Literal["no_rates", "carrier_not_allowed", "over_budget"]


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
        limits = [
            f"carriers {', '.join(rules.carriers)}" if rules.carriers else "",
            f"services {', '.join(rules.services)}" if rules.services else "",
        ]
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
                of_theirs = (
                    "its only allowed rate" if len(theirs) == 1 else f"cheapest of its {len(theirs)} allowed rates"
                )
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
