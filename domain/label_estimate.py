"""What a return label will likely cost: the policy's keep-the-item "below the label cost" compares with it.

The rule, stated once (`label_cost_estimate`), in minor units of the order's currency:
- The merchant's recently bought return labels priced in the order's currency (a return's parcels
  together): the median of them (the lower middle one of an even count). What labels cost is what
  the merchant pays, whatever it charges the shopper.
- None bought yet in that currency: the policy's flat return-shipping fee, when it is priced in the
  order's currency (the market's currency, else the policy's `currency`): the merchant's own figure
  for a return's shipping.
- Neither: no estimate (None), and "below the label cost" keeps nothing.

Pure: the caller reads the recent labels.
"""

from __future__ import annotations

from collections.abc import Sequence

from domain.money import Money
from domain.policy import ReturnPolicy

__all__ = ["RECENT_LABELS", "label_cost_estimate"]

RECENT_LABELS = 20  # how many of the merchant's latest returns with a label are looked at


def label_cost_estimate(
    policy: ReturnPolicy, destination_country: str, currency: str, recent: Sequence[Money]
) -> int | None:
    """The estimate for a return to `destination_country` of an order in `currency`; `recent`: label costs, newest first."""
    currency = currency.upper()
    costs = sorted(m.amount for m in recent[:RECENT_LABELS] if m.currency == currency)
    if costs:
        return costs[(len(costs) - 1) // 2]
    fee = policy.return_shipping_fee
    if fee is not None and fee.kind == "flat" and fee.amount > 0:
        if policy.amounts_currency(policy.market_for(destination_country)) == currency:
            return fee.amount
    return None
