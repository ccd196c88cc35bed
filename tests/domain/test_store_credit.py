"""The store-credit ledger: balances are sums per currency, and a checked redeem never overdraws."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from domain.money import Money
from domain.store_credit import (
    Entry,
    InsufficientCredit,
    balance,
    balances,
    check_redeem,
)

CURRENCIES = ["EUR", "USD", "JPY"]


def issue(amount: int, currency: str = "EUR") -> Entry:
    return Entry(amount=amount, currency=currency, kind="issue")


def redeem(amount: int, currency: str = "EUR") -> Entry:
    return Entry(amount=-amount, currency=currency, kind="redeem")


def eur(amount: int) -> Money:
    return Money(amount=amount, currency="EUR")


@pytest.mark.parametrize(
    "entries,currency,expected",
    [
        ([], "EUR", 0),
        ([issue(1000)], "EUR", 1000),
        ([issue(1000), redeem(300)], "EUR", 700),
        ([issue(1000), redeem(1000)], "EUR", 0),
        ([issue(1000), issue(500, "USD")], "USD", 500),
        ([issue(1000), issue(500, "USD")], "JPY", 0),
        ([issue(0)], "EUR", 0),  # a return graded D settles at zero
        ([issue(1000)], "eur", 1000),
    ],
)
def test_balance_is_the_sum_in_that_currency(entries, currency, expected):
    assert balance(entries, currency) == Money(amount=expected, currency=currency)


def test_balances_lists_every_currency_held_including_spent_ones():
    entries = [issue(500, "USD"), issue(1000), redeem(1000), issue(7, "JPY")]
    assert balances(entries) == [eur(0), Money(amount=7, currency="JPY"), Money(amount=500, currency="USD")]
    assert balances([]) == []


def test_a_negative_ledger_is_reported_not_clamped():
    with pytest.raises(ValueError, match="negative"):
        balance([issue(100), redeem(101)], "EUR")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"amount": -1, "currency": "EUR", "kind": "issue"},
        {"amount": 0, "currency": "EUR", "kind": "redeem"},
        {"amount": 5, "currency": "EUR", "kind": "redeem"},
        {"amount": 5, "currency": "E1R", "kind": "issue"},
        {"amount": 5, "currency": "EURO", "kind": "issue"},
        {"amount": 5, "currency": "EUR", "kind": "refund"},
    ],
)
def test_entries_are_validated(kwargs):
    with pytest.raises(ValidationError):
        Entry(**kwargs)


def test_entry_currency_is_upper_case():
    assert Entry(amount=1, currency="usd", kind="issue").currency == "USD"


@pytest.mark.parametrize(
    "entries,amount,short_of",
    [
        ([issue(1000)], eur(1000), None),
        ([issue(1000)], eur(1), None),
        ([issue(1000), redeem(400)], eur(600), None),
        ([issue(1000)], eur(1001), 1000),
        ([issue(1000), redeem(400)], eur(601), 600),
        ([], eur(1), 0),
        ([issue(5000, "USD")], eur(1), 0),  # credit in another currency does not count
    ],
)
def test_check_redeem(entries, amount, short_of):
    if short_of is None:
        check_redeem(entries, amount)
        return
    with pytest.raises(InsufficientCredit) as err:
        check_redeem(entries, amount)
    assert err.value.balance == Money(amount=short_of, currency=amount.currency)
    assert err.value.balance.display() in str(err.value)


def test_redeeming_nothing_is_refused():
    with pytest.raises(ValueError, match="greater than zero"):
        check_redeem([issue(1000)], eur(0))


# ---- properties -----------------------------------------------------------------------
entries = st.one_of(
    st.builds(issue, st.integers(0, 10**9), st.sampled_from(CURRENCIES)),
    st.builds(redeem, st.integers(1, 10**9), st.sampled_from(CURRENCIES)),
)
operations = st.lists(
    st.tuples(st.sampled_from(["issue", "redeem"]), st.integers(0, 50_000), st.sampled_from(CURRENCIES)), max_size=60
)


@given(st.lists(entries, max_size=40))
def test_balance_equals_the_sum_of_entries_per_currency(ledger):
    for currency in CURRENCIES:
        total = sum(e.amount for e in ledger if e.currency == currency)
        if total >= 0:
            assert balance(ledger, currency).amount == total
        else:
            with pytest.raises(ValueError):
                balance(ledger, currency)


@given(operations)
def test_checked_redeems_never_take_a_balance_below_zero(ops):
    ledger: list[Entry] = []
    model = dict.fromkeys(CURRENCIES, 0)  # an independent running total
    for kind, amount, currency in ops:
        if kind == "issue":
            ledger.append(issue(amount, currency))
            model[currency] += amount
            continue
        wanted = Money(amount=amount, currency=currency)
        try:
            check_redeem(ledger, wanted)
        except InsufficientCredit as err:
            assert amount > model[currency] and err.balance.amount == model[currency]
            continue
        except ValueError:
            assert amount == 0
            continue
        assert 0 < amount <= model[currency]
        ledger.append(redeem(amount, currency))
        model[currency] -= amount
        for c in CURRENCIES:
            assert balance(ledger, c).amount == model[c] >= 0


@given(st.lists(st.integers(1, 10**9), min_size=1, max_size=10), st.sampled_from(CURRENCIES))
def test_redeeming_exactly_the_balance_leaves_zero(issued, currency):
    ledger = [issue(a, currency) for a in issued] + [issue(12_345, "EUR" if currency != "EUR" else "USD")]
    held = balance(ledger, currency)
    check_redeem(ledger, held)
    ledger.append(redeem(held.amount, currency))
    assert balance(ledger, currency).amount == 0
    with pytest.raises(InsufficientCredit):
        check_redeem(ledger, Money(amount=1, currency=currency))
    assert balance(ledger, "EUR" if currency != "EUR" else "USD").amount == 12_345  # the other currency is untouched
