"""The parts of a policy document (markets, product rules, fees, tiers, review rules), each checked on
its own; `document.ReturnPolicy` holds them and checks them against each other.

The rules they encode are stated once, in the package docstring (`domain.policy`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from domain.returns import MERCHANT_FAULT_REASONS, Resolution, ReturnLine, ReturnReason
from domain.validation import (
    MAX_DAYS,
    MAX_NAMES,
    CurrencyCode,
    Loc,
    MinorUnits,
    Name,
    Priority,
    currency_code,
    invalid,
    problem,
    text,
)

__all__ = [
    "ALL_RESOLUTIONS",
    "DEFAULT_TRANSIT_ALLOWANCE_DAYS",
    "DEFAULT_WINDOW_DAYS",
    "EU_COUNTRIES",
    "EU_STATUTORY_WITHDRAWAL_DAYS",
    "KNOWN_MARKET_CODES",
    "PRECEDENCE_FIELDS",
    "Fee",
    "LoyaltyTier",
    "Market",
    "ProductRule",
    "ReviewRules",
    "RuleMatch",
    "loc_text",
]

DEFAULT_WINDOW_DAYS = 30
DEFAULT_TRANSIT_ALLOWANCE_DAYS = 7
EU_STATUTORY_WITHDRAWAL_DAYS = 14

EU_COUNTRIES: frozenset[str] = frozenset(
    {
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
    }
)

KNOWN_MARKET_CODES: dict[str, frozenset[str]] = {
    "EU": EU_COUNTRIES,
    "US": frozenset({"US"}),
    "GB": frozenset({"GB"}),
    "CA": frozenset({"CA"}),
    "AU": frozenset({"AU"}),
    **{country: frozenset({country}) for country in sorted(EU_COUNTRIES)},
}

ALL_RESOLUTIONS: tuple[Resolution, ...] = tuple(Resolution)

# Fields where two matching rules could disagree; the rest combine (any / union).
PRECEDENCE_FIELDS = ("window_days", "restocking_fee", "resolutions")

_FORBID = ConfigDict(frozen=True, extra="forbid")


def _canonical_resolutions(value: list[Resolution], what: str) -> list[Resolution]:
    if not value:
        raise problem(f"{what} must allow at least one resolution (use final_sale to make items non-returnable)")
    return [r for r in ALL_RESOLUTIONS if r in set(value)]


def loc_text(loc: Loc) -> str:
    """A field path as a merchant writes it: rules[2].restocking_fee.amount."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class Fee(BaseModel):
    """A fee: flat (minor units; per unit returned for a restocking fee, once for shipping) or a percent.

    Merchant-fault reasons always waive it, whether or not they are in
    `waived_for_reasons`.
    """

    model_config = _FORBID

    kind: Literal["flat", "percent"]
    amount: MinorUnits = Field(default=0, description="minor units, for a flat fee")
    percent: int = Field(default=0, ge=0, le=100, description="0..100, for a percent fee")
    waived_for_reasons: list[ReturnReason] = Field(
        default_factory=lambda: sorted(MERCHANT_FAULT_REASONS, key=list(ReturnReason).index), max_length=MAX_NAMES
    )
    waived_for_resolutions: list[Resolution] = Field(default_factory=list, max_length=MAX_NAMES)
    waived_for_tiers: list[Name] = Field(default_factory=list, max_length=MAX_NAMES)

    @model_validator(mode="after")
    def _kind_matches_the_amount(self) -> Fee:
        if self.kind == "flat" and self.percent:
            raise invalid("Fee", [(("percent",), "a flat fee takes `amount`, not `percent`", self.percent)])
        if self.kind == "percent" and self.amount:
            raise invalid("Fee", [(("amount",), "a percent fee takes `percent`, not `amount`", self.amount)])
        return self


class Market(BaseModel):
    """Rules for shoppers in one destination: a country, or a region such as "EU"."""

    model_config = _FORBID

    code: Name
    window_days: int = Field(default=DEFAULT_WINDOW_DAYS, ge=0, le=MAX_DAYS)
    transit_allowance_days: int = Field(default=DEFAULT_TRANSIT_ALLOWANCE_DAYS, ge=0, le=365)
    currency: CurrencyCode
    resolutions: list[Resolution] = Field(default_factory=lambda: list(ALL_RESOLUTIONS), max_length=MAX_NAMES)

    @field_validator("code")
    @classmethod
    def _known_code(cls, v: str) -> str:
        code = v.strip().upper()
        if code not in KNOWN_MARKET_CODES:
            raise problem(f"unknown market {v!r}; use one of {', '.join(sorted(KNOWN_MARKET_CODES))}")
        return code

    @field_validator("window_days")
    @classmethod
    def _eu_minimum(cls, v: int, info: ValidationInfo) -> int:
        code = info.data.get("code")
        if code is not None and KNOWN_MARKET_CODES[code] <= EU_COUNTRIES and v < EU_STATUTORY_WITHDRAWAL_DAYS:
            raise problem(
                f"{v} days is below the EU statutory {EU_STATUTORY_WITHDRAWAL_DAYS}-day withdrawal period: "
                f"market {code} must give at least {EU_STATUTORY_WITHDRAWAL_DAYS} days for a change of mind"
            )
        return v

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        return currency_code(v)

    @field_validator("resolutions")
    @classmethod
    def _resolutions(cls, v: list[Resolution]) -> list[Resolution]:
        return _canonical_resolutions(v, "a market")

    @property
    def countries(self) -> frozenset[str]:
        return KNOWN_MARKET_CODES[self.code]


class RuleMatch(BaseModel):
    """Which lines a rule applies to: every given criterion must match; within one, any value does.

    SKUs compare exactly; categories and tags ignore case. Prices are the unit
    price in minor units, both bounds inclusive. No criteria at all: every line.
    """

    model_config = _FORBID

    skus: list[Name] = Field(default_factory=list, max_length=MAX_NAMES)
    categories: list[Name] = Field(default_factory=list, max_length=MAX_NAMES)
    tags: list[Name] = Field(default_factory=list, max_length=MAX_NAMES)
    price_min: MinorUnits | None = None
    price_max: MinorUnits | None = None

    @model_validator(mode="after")
    def _range(self) -> RuleMatch:
        if self.price_min is not None and self.price_max is not None and self.price_min > self.price_max:
            raise invalid(
                "RuleMatch", [(("price_max",), f"{self.price_max} is below price_min {self.price_min}", self.price_max)]
            )
        return self

    def matches(self, line: ReturnLine, tags: list[str]) -> bool:
        if self.skus and line.sku not in self.skus:
            return False
        if self.categories and line.category.casefold() not in {c.casefold() for c in self.categories}:
            return False
        if self.tags and not {t.casefold() for t in self.tags} & {t.casefold() for t in tags}:
            return False
        if self.price_min is not None and line.unit_price < self.price_min:
            return False
        return self.price_max is None or line.unit_price <= self.price_max

    def can_overlap(self, other: RuleMatch) -> bool:
        """Could one line match both? (A line has one SKU, one category, one price; tags can be many.)"""
        if self.skus and other.skus and not set(self.skus) & set(other.skus):
            return False
        mine, theirs = {c.casefold() for c in self.categories}, {c.casefold() for c in other.categories}
        if mine and theirs and not mine & theirs:
            return False
        low = max(self.price_min or 0, other.price_min or 0)
        highs = [p for p in (self.price_max, other.price_max) if p is not None]
        return not highs or low <= min(highs)


class ProductRule(BaseModel):
    """What applies to the lines `match` selects. See the package docstring for precedence."""

    model_config = _FORBID

    id: text(100, 1)
    description: text(500) = Field(default="", description="shopper-readable; shown when the rule fires")
    priority: Priority | None = None
    match: RuleMatch = Field(default_factory=RuleMatch)
    final_sale: bool = False
    window_days: int | None = Field(default=None, ge=0, le=MAX_DAYS)
    exchange_only: bool = False
    inspection_required: bool = False
    photos_required_for: list[ReturnReason] = Field(default_factory=list, max_length=MAX_NAMES)
    restocking_fee: Fee | None = None
    resolutions: list[Resolution] | None = Field(default=None, max_length=MAX_NAMES)

    @field_validator("resolutions")
    @classmethod
    def _resolutions(cls, v: list[Resolution] | None) -> list[Resolution] | None:
        return None if v is None else _canonical_resolutions(v, "a rule")

    @model_validator(mode="after")
    def _exchange_only_allows_exchange(self) -> ProductRule:
        if self.exchange_only and self.resolutions is not None and Resolution.EXCHANGE not in self.resolutions:
            raise invalid(
                "ProductRule", [(("resolutions",), "an exchange_only rule must allow exchange", self.resolutions)]
            )
        return self


class LoyaltyTier(BaseModel):
    model_config = _FORBID

    name: text(64, 1)
    extra_window_days: int = Field(default=0, ge=0, le=MAX_DAYS)
    waive_fees: bool = False  # restocking and return shipping
    instant_refund: bool = False


class ReviewRules(BaseModel):
    """Hold a return for manual review when any of these hold."""

    model_config = _FORBID

    order_value_above: MinorUnits | None = Field(default=None, description="minor units; strictly above")
    reasons: list[ReturnReason] = Field(default_factory=list, max_length=MAX_NAMES)
