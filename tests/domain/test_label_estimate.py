"""The label cost estimate (domain/label_estimate.py) and the keep-the-item rule that compares with it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.label_estimate import label_cost_estimate
from domain.money import Money
from domain.policy import Fee, Market, ReturnContext, ReturnPolicy, evaluate
from domain.returns import OrderFacts, Resolution, ReturnLine, ReturnReason

US = Market(code="US", currency="USD")
SHIPPING = Fee(kind="flat", amount=595)


def usd(amount: int) -> Money:
    return Money(amount=amount, currency="USD")


@pytest.mark.parametrize(
    "policy,country,currency,recent,expected",
    [
        (ReturnPolicy(return_shipping_fee=SHIPPING, currency="USD"), "US", "USD", [], 595),  # the merchant's own figure
        (ReturnPolicy(markets=[US], return_shipping_fee=SHIPPING), "US", "USD", [], 595),  # in the market's currency
        (
            ReturnPolicy(markets=[US], return_shipping_fee=SHIPPING, currency="EUR"),
            "JP",
            "USD",
            [],
            None,
        ),  # priced in EUR there
        (ReturnPolicy(return_shipping_fee=SHIPPING), "US", "USD", [], None),  # no currency named: no figure
        (ReturnPolicy(return_shipping_fee=Fee(kind="percent", percent=10), currency="USD"), "US", "USD", [], None),
        (ReturnPolicy(), "US", "USD", [], None),
        # Labels bought lately say what labels cost: their median (the lower middle one), only in the order's currency.
        (ReturnPolicy(return_shipping_fee=SHIPPING, currency="USD"), "US", "USD", [usd(700), usd(450), usd(520)], 520),
        (ReturnPolicy(), "US", "USD", [usd(700), usd(450), usd(520), usd(480)], 480),
        (
            ReturnPolicy(return_shipping_fee=SHIPPING, currency="USD"),
            "US",
            "USD",
            [Money(amount=1, currency="EUR")],
            595,
        ),
        (ReturnPolicy(), "US", "usd", [usd(700)], 700),
    ],
)
def test_the_estimate(policy, country, currency, recent, expected):
    assert label_cost_estimate(policy, country, currency, recent) == expected


def test_only_the_latest_twenty_labels_count():
    assert label_cost_estimate(ReturnPolicy(), "US", "USD", [usd(100)] * 20 + [usd(9_999)] * 30) == 100


def test_a_3_dollar_item_with_5_95_return_shipping_is_kept_not_shipped():
    """Issue 11: with an estimate the policy's keep-the-item "below the label cost" fires."""
    policy = ReturnPolicy(keep_item_below_label_cost=True, return_shipping_fee=SHIPPING, currency="USD")
    placed = datetime(2026, 10, 1, tzinfo=UTC)
    ctx = ReturnContext(
        order=OrderFacts(order_id="o", currency="USD", placed_at=placed, delivered_at=placed + timedelta(days=2)),
        destination_country="US",
        order_value=300,
        label_cost_estimate=label_cost_estimate(policy, "US", "USD", []),
    )
    item = ReturnLine(
        line_id="L1", sku="SOCKS", quantity=1, unit_price=300, category="apparel", reason=ReturnReason.TOO_SMALL
    )
    q = evaluate(policy, ctx, [item], Resolution.REFUND, placed + timedelta(days=5))
    assert q.keep_items and q.items[0].keep_item
    assert q.return_shipping_fee.amount == 0 and q.settlement_amount == usd(300)  # no label, no fee: the 3.00 back
    assert "Keep this item: sending it back would cost more than it is worth." in q.rules_fired
