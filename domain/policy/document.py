"""The whole policy document a merchant PUTs (and versions), and the checks across its parts.

Invalid documents raise pydantic's ValidationError (a ValueError) with one error
per problem, each located at its field (markets[1].code, rules[2].priority, ...).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.policy.parts import (
    DEFAULT_TRANSIT_ALLOWANCE_DAYS,
    DEFAULT_WINDOW_DAYS,
    PRECEDENCE_FIELDS,
    Fee,
    LoyaltyTier,
    Market,
    ProductRule,
    ReviewRules,
    loc_text,
)
from domain.validation import (
    MAX_DAYS,
    MAX_NAMES,
    MAX_RULES,
    CurrencyCode,
    Loc,
    MinorUnits,
    currency_code,
    invalid,
    repeats,
)

__all__ = ["ReturnPolicy"]

Problem = tuple[Loc, str, Any]


class ReturnPolicy(BaseModel):
    """The whole policy document a merchant PUTs. No markets: any destination, the default window."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    markets: list[Market] = Field(default_factory=list, max_length=MAX_NAMES)
    currency: CurrencyCode | None = Field(
        default=None,
        description="ISO 4217: what flat amounts are in where no market matches (a market's own currency applies within it)",
    )
    default_window_days: int = Field(default=DEFAULT_WINDOW_DAYS, ge=0, le=MAX_DAYS)
    default_transit_allowance_days: int = Field(default=DEFAULT_TRANSIT_ALLOWANCE_DAYS, ge=0, le=365)
    rules: list[ProductRule] = Field(default_factory=list, max_length=MAX_RULES)
    return_shipping_fee: Fee | None = None
    store_credit_bonus_percent: int = Field(default=0, ge=0, le=100)
    keep_item_below: MinorUnits | None = Field(default=None, description="minor units of the item's paid value")
    keep_item_below_label_cost: bool = False
    review: ReviewRules = Field(default_factory=ReviewRules)
    tiers: list[LoyaltyTier] = Field(default_factory=list, max_length=MAX_NAMES)

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str | None) -> str | None:
        return None if v is None else currency_code(v)

    @model_validator(mode="after")
    def _consistent(self) -> ReturnPolicy:
        problems = _repeated_markets(self.markets) + _rule_problems(self.rules) + _tier_problems(self)
        if problems:
            raise invalid("ReturnPolicy", problems)
        return self

    def flat_amounts(self) -> list[Loc]:
        """Where the document holds flat amounts (minor units of some currency)."""
        out: list[Loc] = []
        if self.return_shipping_fee is not None and self.return_shipping_fee.kind == "flat":
            out.append(("return_shipping_fee", "amount"))
        out += [
            ("rules", i, "restocking_fee", "amount")
            for i, r in enumerate(self.rules)
            if r.restocking_fee is not None and r.restocking_fee.kind == "flat"
        ]
        if self.keep_item_below is not None:
            out.append(("keep_item_below",))
        if self.review.order_value_above is not None:
            out.append(("review", "order_value_above"))
        return out

    def check_new_version(self) -> None:
        """What a newly saved version must also satisfy: flat amounts name their currency (ValidationError)."""
        if self.currency is None and (found := self.flat_amounts()):
            where = ", ".join(loc_text(loc) for loc in found)
            raise invalid(
                "ReturnPolicy",
                [
                    (
                        ("currency",),
                        (
                            f"say which currency the flat amounts ({where}) are in where no market matches the destination; "
                            "they are only applied to orders in that currency (a market's own currency applies within it)"
                        ),
                        None,
                    )
                ],
            )

    def amounts_currency(self, market: Market | None) -> str | None:
        """The currency of the flat amounts for a destination in `market` (None: no market matched)."""
        return market.currency if market is not None else self.currency

    def market_for(self, country: str) -> Market | None:
        """The most specific market covering the country (NL before EU); None when none does."""
        covering = [m for m in self.markets if country.upper() in m.countries]
        return min(covering, key=lambda m: len(m.countries), default=None)

    def tier_named(self, name: str | None) -> LoyaltyTier | None:
        if name is None:
            return None
        return next((t for t in self.tiers if t.name.casefold() == name.casefold()), None)


def _repeated_markets(markets: list[Market]) -> list[Problem]:
    return [
        (("markets", i, "code"), f"market {markets[i].code!r} is already markets[{first}]", markets[i].code)
        for i, first in repeats(m.code for m in markets).items()
    ]


def _rule_problems(rules: list[ProductRule]) -> list[Problem]:
    """Repeated rule ids, and overlapping rules whose precedence is unclear (see the package docstring)."""
    problems: list[Problem] = []
    again = repeats(r.id for r in rules)
    for i, rule in enumerate(rules):
        if i in again:
            problems.append((("rules", i, "id"), f"rule id {rule.id!r} is already used by rules[{again[i]}]", rule.id))
        for j in range(i):
            other = rules[j]
            if not rule.match.can_overlap(other.match):
                continue
            clashing = [
                f
                for f in PRECEDENCE_FIELDS
                if getattr(rule, f) is not None
                and getattr(other, f) is not None
                and getattr(rule, f) != getattr(other, f)
            ]
            if clashing and (rule.priority is None or other.priority is None or rule.priority == other.priority):
                problems.append(
                    (
                        ("rules", i, "priority"),
                        (
                            f"overlapping rules {other.id!r} and {rule.id!r} can match the same item and set "
                            f"{' and '.join(clashing)} differently; they need a priority (different ones; higher wins)"
                        ),
                        rule.priority,
                    )
                )
    return problems


def _tier_problems(policy: ReturnPolicy) -> list[Problem]:
    """Repeated tier names (ignoring case), and fee waivers naming a tier the policy does not define."""
    tiers = policy.tiers
    problems: list[Problem] = [
        (("tiers", i, "name"), f"tier {tiers[i].name!r} is already tiers[{first}]", tiers[i].name)
        for i, first in repeats(t.name.casefold() for t in tiers).items()
    ]
    tier_names = {t.name.casefold() for t in tiers}
    fees: list[tuple[Loc, Fee | None]] = [(("return_shipping_fee",), policy.return_shipping_fee)]
    fees += [(("rules", i, "restocking_fee"), r.restocking_fee) for i, r in enumerate(policy.rules)]
    for path, fee in fees:
        for k, name in enumerate(fee.waived_for_tiers if fee else []):
            if name.casefold() not in tier_names:
                problems.append(((*path, "waived_for_tiers", k), f"unknown tier {name!r}; define it under tiers", name))
    return problems
