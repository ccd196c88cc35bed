"""Why a return is held for review (`Quote.review_reasons`): sentences for the merchant's reviewer,
always English and never translated (the shopper never reads them). Part of what workflows record.
"""

from __future__ import annotations

from domain.money import money_text
from domain.policy.parts import Market
from domain.returns import ReturnReason


def market_in_other_currency(currency: str, market: Market) -> str:
    return (
        f"The order is in {currency} but market {market.code} is priced in {market.currency}: "
        "flat fees and amount thresholds were not applied."
    )


def flat_amounts_in_other_currency(currency: str, country: str, amounts_currency: str | None) -> str:
    priced = f"are priced in {amounts_currency}" if amounts_currency else "name no currency"
    return (
        f"The order is in {currency}, no market covers {country} and the policy's flat amounts "
        f"{priced}: flat fees and amount thresholds were not applied."
    )


def order_value_above(order_value: int, threshold: int, currency: str) -> str:
    return (
        f"The order value {money_text(order_value, currency)} is above the review threshold of "
        f"{money_text(threshold, currency)}."
    )


def reviewed_reason(reason: ReturnReason) -> str:
    return f"Returns for reason {reason.value!r} are reviewed by hand."
