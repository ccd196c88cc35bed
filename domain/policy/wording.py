"""What a quote says, in the shopper's words (`rules_fired`, `reasons`) and the reviewer's (`review_reasons`).

Only sentences live here; what is decided is `evaluation`'s. The wording is part of what a
workflow recorded: changing a sentence changes the quote a replayed return sees.
"""

from __future__ import annotations

from datetime import datetime

from domain.money import money_text
from domain.policy.parts import EU_STATUTORY_WITHDRAWAL_DAYS, LoyaltyTier, Market
from domain.returns import Resolution, ReturnReason

REASON_PHRASE = {
    ReturnReason.TOO_SMALL: "the item is too small",
    ReturnReason.TOO_LARGE: "the item is too large",
    ReturnReason.DEFECTIVE: "the item is defective",
    ReturnReason.NOT_AS_DESCRIBED: "the item is not as described",
    ReturnReason.WRONG_ITEM: "you received the wrong item",
    ReturnReason.DAMAGED_IN_TRANSIT: "the item was damaged in transit",
    ReturnReason.CHANGED_MIND: "you changed your mind",
    ReturnReason.ARRIVED_LATE: "the item arrived late",
}
RESOLUTION_PHRASE = {
    Resolution.REFUND: "a refund",
    Resolution.STORE_CREDIT: "store credit",
    Resolution.EXCHANGE: "an exchange",
}
PLACE_NAMES = {
    "EU": "the EU",
    "US": "the United States",
    "GB": "the United Kingdom",
    "CA": "Canada",
    "AU": "Australia",
    "AT": "Austria",
    "BE": "Belgium",
    "BG": "Bulgaria",
    "HR": "Croatia",
    "CY": "Cyprus",
    "CZ": "Czechia",
    "DK": "Denmark",
    "EE": "Estonia",
    "FI": "Finland",
    "FR": "France",
    "DE": "Germany",
    "GR": "Greece",
    "HU": "Hungary",
    "IE": "Ireland",
    "IT": "Italy",
    "LV": "Latvia",
    "LT": "Lithuania",
    "LU": "Luxembourg",
    "MT": "Malta",
    "NL": "the Netherlands",
    "PL": "Poland",
    "PT": "Portugal",
    "RO": "Romania",
    "SK": "Slovakia",
    "SI": "Slovenia",
    "ES": "Spain",
    "SE": "Sweden",
}


def or_list(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def resolutions_text(resolutions: list[Resolution]) -> str:
    """ "a refund, store credit or an exchange"."""
    return or_list([RESOLUTION_PHRASE[r] for r in resolutions])


# ---- why a fee is waived (the end of a sentence) ---------------------------------------------


def because_of_reason(reason: ReturnReason) -> str:
    return f"because {REASON_PHRASE[reason]}"


def because_of_resolution(resolution: Resolution) -> str:
    return f"because you chose {RESOLUTION_PHRASE[resolution]}"


def as_member(tier: LoyaltyTier) -> str:
    return f"as a {tier.name} member"


# ---- one item ------------------------------------------------------------------------------


def final_sale_waived(reason: ReturnReason) -> str:
    return f"Final-sale terms don't apply because {REASON_PHRASE[reason]}."


FINAL_SALE = "This item is final sale and can't be returned."


def final_sale_reason(sku: str) -> str:
    return f"{sku} is final sale and can't be returned."


def rule_window(days: int) -> str:
    return f"Items like this one can be returned within {days} days."


EU_MINIMUM = f"EU law gives you at least {EU_STATUTORY_WITHDRAWAL_DAYS} days to return this item."


def window_ended(days: int, ends: datetime) -> str:
    return f"The {days}-day return window ended on {ends.date().isoformat()}."


def rule_resolutions(resolutions: list[Resolution]) -> str:
    return f"This item can be returned for {resolutions_text(resolutions)}."


EXCHANGE_ONLY = "This item can only be exchanged."
INSPECTED = "This item is inspected when it arrives, before the return is settled."


def photos_needed(reason: ReturnReason) -> str:
    return f"Please add photos: they are needed when {REASON_PHRASE[reason]}."


def percent_restocking_fee(percent: int) -> str:
    return f"A {percent}% restocking fee applies to this item."


def flat_restocking_fee(amount: int, currency: str) -> str:
    return f"A restocking fee of {money_text(amount, currency)} per item applies."


def no_restocking_fee(why: str) -> str:
    return f"No restocking fee {why}."


def flat_amount_not_charged(what: str, amounts_currency: str | None, currency: str) -> str:
    """Why a flat `what` ("restocking fee", "return shipping fee") is not charged, for the shopper."""
    if amounts_currency is None:
        return f"No {what}: the policy does not say which currency it is in, and this order is in {currency}."
    return f"No {what}: it is priced in {amounts_currency}, and this order is in {currency}."


def keep_below(amount: int, currency: str) -> str:
    return f"Keep this item: items under {money_text(amount, currency)} don't need to be sent back."


KEEP_BELOW_LABEL_COST = "Keep this item: sending it back would cost more than it is worth."


# ---- the whole return ------------------------------------------------------------------------

NO_ITEMS = "The return has no items."


def window_days(market: Market | None, days: int) -> str:
    where = f" to {PLACE_NAMES.get(market.code, market.code)}" if market else ""
    return f"Returns{where} can be made within {days} days of delivery."


def no_delivery_date(allowance: int) -> str:
    return f"We have no delivery date, so the window starts {allowance} days after the order was placed."


def tier_extra_days(tier: LoyaltyTier) -> str:
    return f"As a {tier.name} member you get {tier.extra_window_days} extra days to return."


def resolution_not_offered(resolution: Resolution, sku: str, allowed: list[Resolution]) -> str:
    if allowed:
        wanted = RESOLUTION_PHRASE[resolution]
        return f"{wanted[0].upper()}{wanted[1:]} is not available for {sku}; choose {resolutions_text(allowed)}."
    return f"{sku} can't be returned here: no refund, store credit or exchange is offered for it."


def free_return_shipping(why: str) -> str:
    return f"Free return shipping {why}."


def percent_return_shipping(percent: int) -> str:
    return f"Return shipping costs {percent}% of the items' price, taken off what you get back."


def flat_return_shipping(amount: int, currency: str) -> str:
    return f"Return shipping costs {money_text(amount, currency)}, taken off what you get back."


def store_credit_bonus(percent: int) -> str:
    return f"Store credit comes with a {percent}% bonus."


def instant_refund(tier: LoyaltyTier) -> str:
    return f"As a {tier.name} member you are refunded instantly."


# ---- for the reviewer ------------------------------------------------------------------------


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
