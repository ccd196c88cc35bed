"""The question a policy answers (`ReturnContext`: the order and the shopper) and its answer (`Quote`)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.money import Money
from domain.returns import OrderFacts, Resolution
from domain.validation import country_code

__all__ = ["ItemQuote", "Quote", "ReturnContext"]


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
