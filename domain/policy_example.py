"""The demo merchant's return policy: the JSON a merchant would PUT to /v1/policy.

Amounts are minor units of each market's currency (595 = 5.95 EUR in NL and the
EU, 5.95 USD in the US), and of `currency` elsewhere (EUR). It must validate, as a
new version too: tests/domain/test_policy.py checks it.
"""

from __future__ import annotations

import copy
from typing import Any

EXAMPLE_POLICY: dict[str, Any] = {
    "markets": [
        {"code": "NL", "window_days": 30, "transit_allowance_days": 3, "currency": "EUR"},
        # EU shoppers: never below the statutory 14-day withdrawal period; we give 30.
        {"code": "EU", "window_days": 30, "transit_allowance_days": 7, "currency": "EUR"},
        {"code": "US", "window_days": 30, "transit_allowance_days": 10, "currency": "USD"},
    ],
    "currency": "EUR",  # flat amounts where no market matches: orders in other currencies pay no flat fee
    "default_window_days": 30,
    "rules": [
        {
            "id": "gift-cards",
            "description": "Gift cards are final sale and can't be returned.",
            "match": {"categories": ["gift_cards"]},
            "final_sale": True,
        },
        {
            "id": "final-sale-tag",
            "description": "Items marked final sale can't be returned.",
            "match": {"tags": ["final_sale"]},
            "final_sale": True,
        },
        {
            "id": "swimwear-hygiene",
            "description": "Swimwear is a hygiene item: we inspect it on arrival, and need photos if it is defective.",
            "match": {"categories": ["swimwear"]},
            "inspection_required": True,
            "photos_required_for": ["defective"],
        },
        {
            "id": "electronics-restocking",
            "description": "Electronics carry a 15% restocking fee, waived for store credit and exchanges.",
            "match": {"categories": ["electronics"]},
            "restocking_fee": {
                "kind": "percent",
                "percent": 15,
                "waived_for_resolutions": ["store_credit", "exchange"],
            },
        },
    ],
    "return_shipping_fee": {
        "kind": "flat",
        "amount": 595,
        "waived_for_resolutions": ["store_credit", "exchange"],
        "waived_for_tiers": ["gold"],
    },
    "store_credit_bonus_percent": 10,
    "keep_item_below": 500,
    "keep_item_below_label_cost": False,
    "review": {"order_value_above": 50_000, "reasons": ["not_as_described"]},
    "tiers": [
        {"name": "silver", "extra_window_days": 15},
        {"name": "gold", "extra_window_days": 30, "waive_fees": True, "instant_refund": True},
    ],
}


def example_policy() -> dict[str, Any]:
    """A fresh copy of EXAMPLE_POLICY (callers may change theirs)."""
    return copy.deepcopy(EXAMPLE_POLICY)
