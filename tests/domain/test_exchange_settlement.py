"""The exchange's settlement rule as the workflow uses it: `replacement_total` and `settle_difference`,
which must agree with what `plan_exchange` says for the same prices."""

from __future__ import annotations

from typing import get_args

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.exchange import (
    Catalog,
    DifferenceSettlement,
    ExchangeRequest,
    StockLevel,
    Variant,
    plan_exchange,
    replacement_total,
    settle_difference,
)
from domain.facilities import Capability, Facility, FacilityKind, GeoPoint
from domain.money import Money

SETTINGS = settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
AMSTERDAM = GeoPoint(lat=52.3676, lon=4.9041)
ADDRESS = {"street1": "Hoofdweg 12", "city": "Amsterdam", "zip": "1058 AA", "country": "NL"}


def eur(amount: int) -> Money:
    return Money(amount=amount, currency="EUR")


def test_the_settlement_values_are_the_stored_strings():
    assert get_args(DifferenceSettlement) == ("charge", "refund", "store_credit", "none")


@pytest.mark.parametrize(
    "price,returned,fallback,expected",
    [
        (12_000, 10_000, "refund", ("charge", 2_000)),
        (12_000, 10_000, "store_credit", ("charge", 2_000)),
        (8_000, 10_000, "refund", ("refund", 2_000)),
        (8_000, 10_000, "store_credit", ("store_credit", 2_000)),
        (10_000, 10_000, "refund", ("none", 0)),
        (0, 0, "store_credit", ("none", 0)),
    ],
)
def test_the_shopper_pays_above_gets_back_below_by_their_second_choice(price, returned, fallback, expected):
    settle, difference = settle_difference(eur(price), eur(returned), fallback)
    assert (settle, difference) == (expected[0], eur(expected[1]))


def test_a_difference_across_currencies_is_refused():
    with pytest.raises(ValueError, match="USD"):
        settle_difference(Money(amount=100, currency="USD"), eur(100), "refund")


def test_replacements_cost_unit_price_times_quantity_together():
    assert replacement_total([(eur(1_000), 2), (eur(250), 3)], "EUR") == eur(2_750)
    assert replacement_total([], "eur") == Money.zero("EUR")


@SETTINGS
@given(
    price=st.integers(0, 50_000),
    quantity=st.integers(1, 5),
    returned=st.integers(0, 200_000),
    fallback=st.sampled_from(["refund", "store_credit"]),
)
def test_settling_agrees_with_the_plan(price, quantity, returned, fallback):
    """The workflow settles by `settle_difference(replacement_total(...))`; the plan said the same."""
    catalog = Catalog(variants=[Variant(sku="NEW", product_id="p", price=eur(price))])
    warehouse = Facility(
        id="wh",
        kind=FacilityKind.WAREHOUSE,
        name="Warehouse",
        address=ADDRESS,
        location=AMSTERDAM,
        capabilities=[Capability.RESTOCK],
        daily_capacity=100,
        cost_per_unit=0,
        currency="EUR",
    )
    stock = [StockLevel(sku="NEW", facility_id="wh", on_hand=10)]
    request = ExchangeRequest(line_id="L1", replacement_sku="NEW", quantity=quantity, fallback=fallback)
    plan = plan_exchange(
        request, eur(returned), catalog, stock, [warehouse], AMSTERDAM, "EUR", returned_quantity=quantity
    )
    total = replacement_total([(eur(price), quantity)], "EUR")
    assert settle_difference(total, eur(returned), fallback) == (plan.settle_difference, plan.difference)
