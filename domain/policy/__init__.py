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

Where things are: `parts` and `document` (the document and its validation), `quote` (the
question and the answer), `item` and `evaluation` (the quote, step by step), `wording` (the
sentences shoppers read, in their language: `Words`), `phrases` (their pieces and the short labels:
`reason_label`, `resolution_label`, `label`), `review_wording` (the reviewer's sentences, English).
Everything public is importable from here.
"""

from domain.policy.document import ReturnPolicy
from domain.policy.evaluation import evaluate
from domain.policy.parts import (
    ALL_RESOLUTIONS,
    DEFAULT_TRANSIT_ALLOWANCE_DAYS,
    DEFAULT_WINDOW_DAYS,
    EU_COUNTRIES,
    EU_STATUTORY_WITHDRAWAL_DAYS,
    KNOWN_MARKET_CODES,
    Fee,
    LoyaltyTier,
    Market,
    ProductRule,
    ReviewRules,
    RuleMatch,
)
from domain.policy.phrases import Gettext, Label, label, reason_label, resolution_label
from domain.policy.quote import ItemQuote, Quote, ReturnContext
from domain.policy.wording import RECORDED, Words
from domain.returns import MERCHANT_FAULT_REASONS

__all__ = [
    "ALL_RESOLUTIONS",
    "DEFAULT_TRANSIT_ALLOWANCE_DAYS",
    "DEFAULT_WINDOW_DAYS",
    "EU_COUNTRIES",
    "EU_STATUTORY_WITHDRAWAL_DAYS",
    "KNOWN_MARKET_CODES",
    "MERCHANT_FAULT_REASONS",
    "RECORDED",
    "Fee",
    "Gettext",
    "ItemQuote",
    "Label",
    "LoyaltyTier",
    "Market",
    "ProductRule",
    "Quote",
    "ReturnContext",
    "ReturnPolicy",
    "ReviewRules",
    "RuleMatch",
    "Words",
    "evaluate",
    "label",
    "reason_label",
    "resolution_label",
]
