"""A merchant's return policy, and the quote it gives for a return.

The policy is a document a merchant PUTs (and versions): markets by destination,
product rules, fees, resolutions, loyalty tiers, keep-the-item and review rules.
`evaluate` turns it, the order's facts and the requested lines into a `Quote`:
per item, eligible or not and why, the fees, what the shopper gets, and the rules
that fired, in sentences a shopper can read.

Pure: no I/O and no clock. The evaluation time is an argument, so the API's quote
and the workflow's decision are the same for the same input.

Money: every amount in a policy is integer minor units. Rounding rule, stated once
(it is Money.percent's): a percentage is taken of the line's paid value
(unit_price x quantity) and rounded DOWN to the minor unit; so a percent fee or a
store-credit bonus is never more than its exact value.

Decisions (see also the docstrings below):
- Precedence: for window_days, restocking_fee and resolutions the matching rule
  with the highest priority wins (a rule without a priority ranks below any rule
  with one). Two rules that can match the same item and set one of these to
  different values must both have a priority, and different ones, or the policy
  is invalid. Flags combine instead: final_sale, exchange_only and
  inspection_required apply if any matching rule sets them, and
  photos_required_for is the union.
- Final sale does not stop a merchant-fault return (defective, wrong item, ...):
  a shopper can always send back what the merchant got wrong.
- Merchant-fault reasons never pay a fee, whatever the fee's waiver lists say.
- The window counts from delivery, or from placement + the market's transit
  allowance when the order has no delivery date; the last moment is inclusive.
  A shopper in the EU always gets at least 14 days (statutory withdrawal period),
  whatever a rule says; EU markets with a shorter window are rejected outright.
- Every amount in a quote is for the requested resolution: the restocking fee is
  the one charged (or waived) for it, refund_amount = paid - restocking fee, and
  store_credit_amount = refund_amount + bonus, the bonus being
  store_credit_bonus_percent of refund_amount (rounded down), given only when
  store credit is allowed for the item (otherwise store_credit_amount equals
  refund_amount). An exchange is worth refund_amount.
- Return shipping is charged once per return, only if something is shipped (not
  all items kept); a percent shipping fee is of the shipped items' paid value. It
  is waived when any shipped item's reason waives it. A flat restocking fee is
  per unit returned, never more than the line's paid value.
- Tiers are matched by name ignoring case; a tier the policy does not define
  gives nothing, and fee waivers may only name defined tiers.
- Keep-the-item looks at the item's paid value (before fees), so that waiving a
  fee can never turn a kept item into one that must be shipped back at a cost;
  items that need inspection are never kept.
- Flat amounts (flat fees, keep_item_below, review.order_value_above) are minor
  units of the market's currency, or of the policy's `currency` when no market
  matches. They apply only to an order in that currency: an order in another
  one (or, where no market matches, any order under a policy that names no
  `currency`) pays no flat fee and meets no amount threshold; the quote says
  which fee was not charged and why (rules_fired), and the return is held for
  review. Percentages still apply. A new policy version with flat amounts must
  name its `currency` (`check_new_version`, PUT /v1/policy); versions saved
  before it are still read, their flat amounts applying only within markets.
  (Returns created before this rule carry `ReturnContext.strict_flat_amounts`
  False and keep the old one: no market, the order's currency.)
- Ineligible items are quoted at zero; settlement_amount is zero unless the whole
  quote is eligible.

Invalid documents raise pydantic's ValidationError (a ValueError) with one error
per problem, each located at its field (markets[1].code, rules[2].priority, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from domain.money import Money
from domain.returns import (
    MERCHANT_FAULT_REASONS,
    OrderFacts,
    Resolution,
    ReturnLine,
    ReturnReason,
)
from domain.validation import (
    MAX_DAYS,
    MAX_NAMES,
    MAX_RULES,
    CurrencyCode,
    Loc,
    MinorUnits,
    Name,
    Priority,
    country_code,
    currency_code,
    invalid,
    problem,
    text,
)

__all__ = [
    "DEFAULT_TRANSIT_ALLOWANCE_DAYS",
    "DEFAULT_WINDOW_DAYS",
    "EU_COUNTRIES",
    "EU_STATUTORY_WITHDRAWAL_DAYS",
    "KNOWN_MARKET_CODES",
    "MERCHANT_FAULT_REASONS",
    "Fee",
    "ItemQuote",
    "LoyaltyTier",
    "Market",
    "ProductRule",
    "Quote",
    "ReturnContext",
    "ReturnPolicy",
    "ReviewRules",
    "RuleMatch",
    "evaluate",
]

DEFAULT_WINDOW_DAYS = 30
DEFAULT_TRANSIT_ALLOWANCE_DAYS = 7
EU_STATUTORY_WITHDRAWAL_DAYS = 14

EU_COUNTRIES: frozenset[str] = frozenset(
    {
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
        "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
    }
)  # fmt: skip

KNOWN_MARKET_CODES: dict[str, frozenset[str]] = {
    "EU": EU_COUNTRIES,
    "US": frozenset({"US"}),
    "GB": frozenset({"GB"}),
    "CA": frozenset({"CA"}),
    "AU": frozenset({"AU"}),
    **{country: frozenset({country}) for country in sorted(EU_COUNTRIES)},
}

_PLACE_NAMES = {
    "EU": "the EU", "US": "the United States", "GB": "the United Kingdom", "CA": "Canada", "AU": "Australia",
    "AT": "Austria", "BE": "Belgium", "BG": "Bulgaria", "HR": "Croatia", "CY": "Cyprus", "CZ": "Czechia",
    "DK": "Denmark", "EE": "Estonia", "FI": "Finland", "FR": "France", "DE": "Germany", "GR": "Greece",
    "HU": "Hungary", "IE": "Ireland", "IT": "Italy", "LV": "Latvia", "LT": "Lithuania", "LU": "Luxembourg",
    "MT": "Malta", "NL": "the Netherlands", "PL": "Poland", "PT": "Portugal", "RO": "Romania",
    "SK": "Slovakia", "SI": "Slovenia", "ES": "Spain", "SE": "Sweden",
}  # fmt: skip

ALL_RESOLUTIONS: tuple[Resolution, ...] = tuple(Resolution)

_REASON_PHRASE = {
    ReturnReason.TOO_SMALL: "the item is too small",
    ReturnReason.TOO_LARGE: "the item is too large",
    ReturnReason.DEFECTIVE: "the item is defective",
    ReturnReason.NOT_AS_DESCRIBED: "the item is not as described",
    ReturnReason.WRONG_ITEM: "you received the wrong item",
    ReturnReason.DAMAGED_IN_TRANSIT: "the item was damaged in transit",
    ReturnReason.CHANGED_MIND: "you changed your mind",
    ReturnReason.ARRIVED_LATE: "the item arrived late",
}
_RESOLUTION_PHRASE = {Resolution.REFUND: "a refund", Resolution.STORE_CREDIT: "store credit", Resolution.EXCHANGE: "an exchange"}
_FORBID = ConfigDict(frozen=True, extra="forbid")


def _canonical_resolutions(value: list[Resolution], what: str) -> list[Resolution]:
    if not value:
        raise problem(f"{what} must allow at least one resolution (use final_sale to make items non-returnable)")
    return [r for r in ALL_RESOLUTIONS if r in set(value)]








# ---- the policy document ------------------------------------------------------------


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
    """What applies to the lines `match` selects. See the module docstring for precedence."""

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
            raise invalid("ProductRule", [(("resolutions",), "an exchange_only rule must allow exchange", self.resolutions)])
        return self


# Fields where two matching rules could disagree; the rest combine (any / union).
_PRECEDENCE_FIELDS = ("window_days", "restocking_fee", "resolutions")


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


class ReturnPolicy(BaseModel):
    """The whole policy document a merchant PUTs. No markets: any destination, the default window."""

    model_config = _FORBID

    markets: list[Market] = Field(default_factory=list, max_length=MAX_NAMES)
    currency: CurrencyCode | None = Field(
        default=None, description="ISO 4217: what flat amounts are in where no market matches (a market's own currency applies within it)"
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
        problems: list[tuple[Loc, str, Any]] = []
        seen_codes: dict[str, int] = {}
        for i, market in enumerate(self.markets):
            if market.code in seen_codes:
                problems.append(
                    (("markets", i, "code"), f"market {market.code!r} is already markets[{seen_codes[market.code]}]", market.code)
                )
            seen_codes.setdefault(market.code, i)

        seen_ids: dict[str, int] = {}
        for i, rule in enumerate(self.rules):
            if rule.id in seen_ids:
                problems.append(
                    (("rules", i, "id"), f"rule id {rule.id!r} is already used by rules[{seen_ids[rule.id]}]", rule.id)
                )
            seen_ids.setdefault(rule.id, i)
            for j in range(i):
                other = self.rules[j]
                if not rule.match.can_overlap(other.match):
                    continue
                clashing = [
                    f for f in _PRECEDENCE_FIELDS
                    if getattr(rule, f) is not None and getattr(other, f) is not None and getattr(rule, f) != getattr(other, f)
                ]  # fmt: skip
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

        tier_names: dict[str, int] = {}
        for i, tier in enumerate(self.tiers):
            key = tier.name.casefold()
            if key in tier_names:
                problems.append((("tiers", i, "name"), f"tier {tier.name!r} is already tiers[{tier_names[key]}]", tier.name))
            tier_names.setdefault(key, i)
        fees: list[tuple[Loc, Fee | None]] = [(("return_shipping_fee",), self.return_shipping_fee)]
        fees += [(("rules", i, "restocking_fee"), r.restocking_fee) for i, r in enumerate(self.rules)]
        for path, fee in fees:
            for k, name in enumerate(fee.waived_for_tiers if fee else []):
                if name.casefold() not in tier_names:
                    problems.append(((*path, "waived_for_tiers", k), f"unknown tier {name!r}; define it under tiers", name))
        if problems:
            raise invalid("ReturnPolicy", problems)
        return self

    def flat_amounts(self) -> list[Loc]:
        """Where the document holds flat amounts (minor units of some currency)."""
        out: list[Loc] = []
        if self.return_shipping_fee is not None and self.return_shipping_fee.kind == "flat":
            out.append(("return_shipping_fee", "amount"))
        out += [("rules", i, "restocking_fee", "amount") for i, r in enumerate(self.rules)
                if r.restocking_fee is not None and r.restocking_fee.kind == "flat"]  # fmt: skip
        if self.keep_item_below is not None:
            out.append(("keep_item_below",))
        if self.review.order_value_above is not None:
            out.append(("review", "order_value_above"))
        return out

    def check_new_version(self) -> None:
        """What a newly saved version must also satisfy: flat amounts name their currency (ValidationError)."""
        if self.currency is None and (found := self.flat_amounts()):
            where = ", ".join(_loc_text(loc) for loc in found)
            raise invalid("ReturnPolicy", [(("currency",), (
                f"say which currency the flat amounts ({where}) are in where no market matches the destination; "
                "they are only applied to orders in that currency (a market's own currency applies within it)"
            ), None)])  # fmt: skip

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


# ---- the question and the answer -----------------------------------------------------


class ReturnContext(BaseModel):
    """Everything about the order and the shopper the policy looks at; no customer identity."""

    model_config = ConfigDict(frozen=True)

    order: OrderFacts
    destination_country: str = Field(description="ISO 3166 alpha-2 of the shopper's address")
    customer_tier: str | None = None
    line_tags: dict[str, list[str]] = Field(default_factory=dict)
    order_value: int = Field(ge=0, description="minor units of the order currency, the whole order")
    label_cost_estimate: int | None = Field(default=None, ge=0, description="minor units of the order currency")
    strict_flat_amounts: bool = Field(
        default=False,
        description=(
            "True (the API sets it): where no market matches, flat amounts are in the policy's `currency` and apply "
            "to no order when it names none. False: the rule for returns created before policies named a currency "
            "(there, the order's currency), which workflows started then keep replaying."
        ),
    )

    @field_validator("destination_country")
    @classmethod
    def _alpha2(cls, v: str) -> str:
        return country_code(v)


class ItemQuote(BaseModel):
    model_config = ConfigDict(frozen=True)

    line_id: str
    eligible: bool
    reasons: list[str]  # why not eligible, shopper words; empty when eligible
    allowed_resolutions: list[Resolution]
    restocking_fee: Money  # charged for the requested resolution
    refund_amount: Money  # paid - restocking fee; also what an exchange is worth
    store_credit_amount: Money  # refund_amount + bonus when store credit is allowed, else refund_amount
    keep_item: bool
    inspection_required: bool
    photos_required: bool
    window_ends_at: datetime
    rules_fired: list[str]


class Quote(BaseModel):
    model_config = ConfigDict(frozen=True)

    items: list[ItemQuote]
    eligible: bool  # every item eligible and the requested resolution allowed for each
    reasons: list[str]
    resolution: Resolution
    needs_review: bool
    review_reasons: list[str]  # for the ops reviewer
    return_shipping_fee: Money
    refund_total: Money  # eligible items' refund_amount - return shipping fee, never < 0
    store_credit_total: Money  # eligible items' store_credit_amount - return shipping fee, never < 0
    settlement_amount: Money  # what the shopper gets for the requested resolution; 0 unless eligible
    keep_items: bool  # every eligible item kept: no label needed
    instant_refund: bool
    market: str | None
    rules_fired: list[str]


# ---- evaluation ----------------------------------------------------------------------


def _money_text(amount: int, currency: str) -> str:
    return Money(amount=amount, currency=currency).display()


def _or_list(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _aware(value: datetime | None, name: str) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"{name} must be timezone-aware")


def _waiver(fee: Fee, reasons: list[ReturnReason], resolution: Resolution, tier: LoyaltyTier | None) -> str | None:
    """Why the fee is waived (the end of a sentence), or None when it is charged."""
    for reason in reasons:
        if reason in MERCHANT_FAULT_REASONS or reason in fee.waived_for_reasons:
            return f"because {_REASON_PHRASE[reason]}"
    if resolution in fee.waived_for_resolutions:
        return f"because you chose {_RESOLUTION_PHRASE[resolution]}"
    if tier is not None and (tier.waive_fees or tier.name.casefold() in {t.casefold() for t in fee.waived_for_tiers}):
        return f"as a {tier.name} member"
    return None


def _winner(matched: list[tuple[int, ProductRule]], field: str) -> tuple[int, ProductRule] | None:
    """The matching rule that sets `field` with the highest priority (None lowest; then list order)."""
    setting = [(i, r) for i, r in matched if getattr(r, field) is not None]
    if not setting:
        return None
    return max(setting, key=lambda ir: (ir[1].priority is not None, ir[1].priority or 0, -ir[0]))


def _loc_text(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass(frozen=True)
class _Env:
    """What every line of one evaluation shares."""

    policy: ReturnPolicy
    ctx: ReturnContext
    market: Market | None
    tier: LoyaltyTier | None
    resolution: Resolution
    at: datetime
    currency: str
    amounts_apply: bool  # flat policy amounts are in the order's currency
    amounts_currency: str | None  # what they are in here; None: the policy does not say

    def unapplied(self, what: str) -> str:
        """Why a flat `what` ("restocking fee", "return shipping fee") is not charged, for the shopper."""
        if self.amounts_currency is None:
            return f"No {what}: the policy does not say which currency it is in, and this order is in {self.currency}."
        return f"No {what}: it is priced in {self.amounts_currency}, and this order is in {self.currency}."


def _quote_line(env: _Env, line: ReturnLine) -> ItemQuote:
    policy, ctx, currency = env.policy, env.ctx, env.currency
    tags = ctx.line_tags.get(line.line_id, [])
    paid = line.unit_price * line.quantity
    merchant_fault = line.reason in MERCHANT_FAULT_REASONS
    matched = [(i, r) for i, r in enumerate(policy.rules) if r.match.matches(line, tags)]
    effects: dict[int, list[str]] = {}  # rule index -> what it did, for rules_fired
    notes: list[str] = []  # sentences not owned by a rule
    reasons: list[str] = []

    def fired(index: int, sentence: str) -> None:
        effects.setdefault(index, []).append(sentence)

    # final sale
    final_sale = False
    for i, rule in matched:
        if rule.final_sale:
            if merchant_fault:
                notes.append(f"Final-sale terms don't apply because {_REASON_PHRASE[line.reason]}.")
            else:
                final_sale = True
                fired(i, "This item is final sale and can't be returned.")
    if final_sale:
        reasons.append(f"{line.sku} is final sale and can't be returned.")

    # window
    days = env.market.window_days if env.market else policy.default_window_days
    if won := _winner(matched, "window_days"):
        days = won[1].window_days  # type: ignore[assignment]
        fired(won[0], f"Items like this one can be returned within {days} days.")
    if env.tier is not None:
        days += env.tier.extra_window_days
    if ctx.destination_country in EU_COUNTRIES and days < EU_STATUTORY_WITHDRAWAL_DAYS:
        days = EU_STATUTORY_WITHDRAWAL_DAYS
        notes.append(f"EU law gives you at least {EU_STATUTORY_WITHDRAWAL_DAYS} days to return this item.")
    order = ctx.order
    if order.delivered_at is not None:
        start = order.delivered_at
    else:
        allowance = env.market.transit_allowance_days if env.market else policy.default_transit_allowance_days
        start = order.placed_at + timedelta(days=allowance)
    ends = start + timedelta(days=days)
    if env.at > ends:
        reasons.append(f"The {days}-day return window ended on {ends.date().isoformat()}.")
    eligible = not reasons

    # resolutions
    allowed = set(env.market.resolutions if env.market else ALL_RESOLUTIONS)
    if won := _winner(matched, "resolutions"):
        allowed &= set(won[1].resolutions or [])
        words = [_RESOLUTION_PHRASE[r] for r in won[1].resolutions or []]
        fired(won[0], f"This item can be returned for {_or_list(words)}.")
    exchange_only = [i for i, r in matched if r.exchange_only]
    if exchange_only:
        allowed &= {Resolution.EXCHANGE}
        for i in exchange_only:
            fired(i, "This item can only be exchanged.")
    allowed_resolutions = [r for r in ALL_RESOLUTIONS if r in allowed]

    # inspection and photos
    inspection = False
    for i, rule in matched:
        if rule.inspection_required:
            inspection = True
            fired(i, "This item is inspected when it arrives, before the return is settled.")
    photos = False
    for i, rule in matched:
        if line.reason in rule.photos_required_for:
            photos = True
            fired(i, f"Please add photos: they are needed when {_REASON_PHRASE[line.reason]}.")

    # restocking fee (on the paid value; see the rounding rule at the top)
    fee_amount = 0
    if (won := _winner(matched, "restocking_fee")) and eligible:
        index, fee = won[0], won[1].restocking_fee
        assert fee is not None
        if fee.kind == "percent":
            fired(index, f"A {fee.percent}% restocking fee applies to this item.")
        elif env.amounts_apply:
            fired(index, f"A restocking fee of {_money_text(fee.amount, currency)} per item applies.")
        why = _waiver(fee, [line.reason], env.resolution, env.tier)
        if why:
            notes.append(f"No restocking fee {why}.")
        elif fee.kind == "percent":
            fee_amount = Money(amount=paid, currency=currency).percent(fee.percent).amount
        elif env.amounts_apply:
            fee_amount = min(fee.amount * line.quantity, paid)
        elif fee.amount:
            fired(index, env.unapplied("restocking fee"))

    # what the shopper gets
    refund = paid - fee_amount if eligible else 0
    bonus = 0
    if eligible and Resolution.STORE_CREDIT in allowed and policy.store_credit_bonus_percent:
        bonus = Money(amount=refund, currency=currency).percent(policy.store_credit_bonus_percent).amount

    # keep the item (on the paid value, before fees)
    keep = False
    if eligible and not inspection:
        if policy.keep_item_below is not None and env.amounts_apply and paid < policy.keep_item_below:
            keep = True
            notes.append(
                f"Keep this item: items under {_money_text(policy.keep_item_below, currency)} don't need to be sent back."
            )
        elif policy.keep_item_below_label_cost and ctx.label_cost_estimate is not None and paid < ctx.label_cost_estimate:
            keep = True
            notes.append("Keep this item: sending it back would cost more than it is worth.")

    rules_fired: list[str] = []
    for i, rule in matched:
        if i in effects:
            rules_fired.extend([rule.description] if rule.description else effects[i])
    rules_fired.extend(notes)
    return ItemQuote(
        line_id=line.line_id,
        eligible=eligible,
        reasons=reasons,
        allowed_resolutions=allowed_resolutions,
        restocking_fee=Money(amount=fee_amount, currency=currency),
        refund_amount=Money(amount=refund, currency=currency),
        store_credit_amount=Money(amount=refund + bonus, currency=currency),
        keep_item=keep,
        inspection_required=inspection,
        photos_required=photos,
        window_ends_at=ends,
        rules_fired=_unique(rules_fired),
    )


def _unique(sentences: list[str]) -> list[str]:
    return list(dict.fromkeys(sentences))


def evaluate(policy: ReturnPolicy, ctx: ReturnContext, lines: list[ReturnLine], resolution: Resolution, at: datetime) -> Quote:
    """The policy's quote for returning `lines` for `resolution`, as of `at` (timezone-aware). Deterministic."""
    _aware(at, "the evaluation time")
    _aware(ctx.order.placed_at, "order.placed_at")
    _aware(ctx.order.delivered_at, "order.delivered_at")
    currency = Money.zero(ctx.order.currency).currency
    market = policy.market_for(ctx.destination_country)
    tier = policy.tier_named(ctx.customer_tier)
    amounts_currency = policy.amounts_currency(market)
    if amounts_currency is None and not ctx.strict_flat_amounts:
        amounts_currency = currency  # the rule a return created before policies named a currency keeps
    env = _Env(policy, ctx, market, tier, resolution, at, currency, amounts_currency == currency, amounts_currency)
    items = [_quote_line(env, line) for line in lines]

    notes: list[str] = []
    days = market.window_days if market else policy.default_window_days
    where = f" to {_PLACE_NAMES.get(market.code, market.code)}" if market else ""
    notes.append(f"Returns{where} can be made within {days} days of delivery.")
    if ctx.order.delivered_at is None:
        allowance = market.transit_allowance_days if market else policy.default_transit_allowance_days
        notes.append(f"We have no delivery date, so the window starts {allowance} days after the order was placed.")
    if tier is not None and tier.extra_window_days:
        notes.append(f"As a {tier.name} member you get {tier.extra_window_days} extra days to return.")

    reasons: list[str] = [] if lines else ["The return has no items."]
    for item, line in zip(items, lines, strict=True):
        reasons.extend(item.reasons)
        if item.eligible and resolution not in item.allowed_resolutions:
            wanted = _RESOLUTION_PHRASE[resolution]
            if item.allowed_resolutions:
                choices = _or_list([_RESOLUTION_PHRASE[r] for r in item.allowed_resolutions])
                reasons.append(f"{wanted[0].upper()}{wanted[1:]} is not available for {line.sku}; choose {choices}.")
            else:
                reasons.append(f"{line.sku} can't be returned here: no refund, store credit or exchange is offered for it.")
        notes.extend(item.rules_fired)
    reasons = _unique(reasons)
    eligible = not reasons

    eligible_items = [(q, l) for q, l in zip(items, lines, strict=True) if q.eligible]
    keep_items = bool(eligible_items) and all(q.keep_item for q, _ in eligible_items)
    shipped = [(q, l) for q, l in eligible_items if not q.keep_item]
    shipping = 0
    fee = policy.return_shipping_fee
    if fee is not None and shipped:
        why = _waiver(fee, [l.reason for _, l in shipped], resolution, tier)
        if why:
            notes.append(f"Free return shipping {why}.")
        elif fee.kind == "percent":
            shipped_value = sum(l.unit_price * l.quantity for _, l in shipped)
            shipping = Money(amount=shipped_value, currency=currency).percent(fee.percent).amount
            notes.append(f"Return shipping costs {fee.percent}% of the items' price, taken off what you get back.")
        elif env.amounts_apply:
            shipping = fee.amount
            notes.append(f"Return shipping costs {_money_text(shipping, currency)}, taken off what you get back.")
        elif fee.amount:
            notes.append(env.unapplied("return shipping fee"))

    if policy.store_credit_bonus_percent and any(Resolution.STORE_CREDIT in q.allowed_resolutions for q, _ in eligible_items):
        notes.append(f"Store credit comes with a {policy.store_credit_bonus_percent}% bonus.")
    instant = bool(tier and tier.instant_refund)
    if instant and tier is not None:
        notes.append(f"As a {tier.name} member you are refunded instantly.")

    refund_total = max(sum(q.refund_amount.amount for q, _ in eligible_items) - shipping, 0)
    credit_total = max(sum(q.store_credit_amount.amount for q, _ in eligible_items) - shipping, 0)
    settlement = (credit_total if resolution == Resolution.STORE_CREDIT else refund_total) if eligible else 0

    review: list[str] = []
    if not env.amounts_apply and market is not None:
        review.append(
            f"The order is in {currency} but market {market.code} is priced in {market.currency}: "
            "flat fees and amount thresholds were not applied."
        )
    elif not env.amounts_apply and policy.flat_amounts():
        priced = f"are priced in {amounts_currency}" if amounts_currency else "name no currency"
        review.append(
            f"The order is in {currency}, no market covers {ctx.destination_country} and the policy's flat amounts "
            f"{priced}: flat fees and amount thresholds were not applied."
        )
    threshold = policy.review.order_value_above
    if threshold is not None and env.amounts_apply and ctx.order_value > threshold:
        review.append(
            f"The order value {_money_text(ctx.order_value, currency)} is above the review threshold of "
            f"{_money_text(threshold, currency)}."
        )
    for reason in _unique([l.reason for l in lines if l.reason in policy.review.reasons]):
        review.append(f"Returns for reason {reason.value!r} are reviewed by hand.")

    def money(amount: int) -> Money:
        return Money(amount=amount, currency=currency)

    return Quote(
        items=items,
        eligible=eligible,
        reasons=reasons,
        resolution=resolution,
        needs_review=bool(review),
        review_reasons=review,
        return_shipping_fee=money(shipping),
        refund_total=money(refund_total),
        store_credit_total=money(credit_total),
        settlement_amount=money(settlement),
        keep_items=keep_items,
        instant_refund=instant,
        market=market.code if market else None,
        rules_fired=_unique(notes),
    )
