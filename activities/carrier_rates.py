"""EasyPost rates as domain.labels sees them, the one the merchant's label rules choose, and why.

EasyPost sends money as decimal strings; `minor_units` turns them into integer minor units
without going through float.
"""

from __future__ import annotations

from temporalio.exceptions import ApplicationError

from domain.labels import LabelRules, NoRate, RateChoice, RateOption, choose_rate
from domain.money import Money
from workflows.messages import ActivityErrorType


def rate_option(rate) -> RateOption | None:
    """An EasyPost Rate as domain.labels sees it; None when it cannot be priced."""
    try:
        days = getattr(rate, "delivery_days", None)
        return RateOption(
            rate_id=rate.id,
            carrier=rate.carrier,
            service=rate.service,
            cost=Money(amount=minor_units(rate.rate), currency=rate.currency),
            delivery_days=days if isinstance(days, int) and days >= 0 else None,
        )
    except (AttributeError, TypeError, ValueError):
        return None


def rate_options(shipment) -> list[RateOption]:
    return [o for o in map(rate_option, shipment.rates or []) if o is not None]


def chosen_rate(rules: LabelRules, shipment):
    """The EasyPost Rate the rules choose among the shipment's; none qualifies: a permanent refusal."""
    choice = choose_rate(rules, rate_options(shipment))
    if isinstance(choice, NoRate):
        raise ApplicationError(
            f"no rate meets the merchant's label rules: {choice.reason}",
            {"code": choice.code},
            type=ActivityErrorType.CARRIER_REJECTED,
            non_retryable=True,
        )
    return next(r for r in shipment.rates if r.id == choice.chosen.rate_id)


def explain_choice(rules: LabelRules, shipment, bought: RateOption) -> tuple[str, list[RateOption]]:
    """Why the bought rate, and the other rates the rules allow (cheapest first). A shipment an
    earlier attempt bought keeps its rate even if the rules have changed since."""
    choice = choose_rate(rules, rate_options(shipment))
    if isinstance(choice, RateChoice) and choice.chosen.rate_id == bought.rate_id:
        return choice.reason, choice.alternatives
    allowed = [choice.chosen, *choice.alternatives] if isinstance(choice, RateChoice) else []
    others = sorted((r for r in allowed if r.rate_id != bought.rate_id), key=lambda r: (r.cost.amount, r.rate_id))
    return "bought by an earlier attempt; the label rules have changed since", others


def minor_units(decimal_text: str) -> int:
    """EasyPost sends money as decimal strings ("6.07"); never go through float."""
    whole, _, frac = str(decimal_text).partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])
