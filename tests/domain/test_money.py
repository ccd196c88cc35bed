import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from domain.money import Money


def test_currency_is_normalised_and_validated():
    assert Money(amount=5, currency="eur").currency == "EUR"
    with pytest.raises(ValidationError):
        Money(amount=5, currency="E1R")
    with pytest.raises(ValidationError):
        Money(amount=-1, currency="EUR")


def test_adding_different_currencies_is_refused():
    with pytest.raises(ValueError, match="currency mismatch"):
        Money(amount=1, currency="EUR") + Money(amount=1, currency="USD")


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=100))
def test_percent_rounds_down_and_never_exceeds_the_amount(amount, pct):
    part = Money(amount=amount, currency="USD").percent(pct)
    assert 0 <= part.amount <= amount
    assert part.amount * 100 <= amount * pct < (part.amount + 1) * 100


def test_percent_outside_0_100_is_refused():
    with pytest.raises(ValueError):
        Money(amount=100, currency="USD").percent(101)


@given(st.lists(st.integers(min_value=0, max_value=10**9), max_size=20))
def test_total_is_the_sum(amounts):
    assert Money.total([Money(amount=a, currency="USD") for a in amounts], "USD").amount == sum(amounts)


@pytest.mark.parametrize(
    "amount,currency,text",
    [
        (595, "EUR", "5.95 EUR"),
        (5, "USD", "0.05 USD"),
        (500, "JPY", "500 JPY"),
        (1234, "KWD", "1.234 KWD"),
        (0, "GBP", "0.00 GBP"),
    ],
)
def test_display_uses_the_currencys_minor_unit(amount, currency, text):
    assert Money(amount=amount, currency=currency).display() == text
