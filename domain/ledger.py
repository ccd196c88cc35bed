"""Store credit as a ledger: balances are derived from entries, never stored or edited.

Amounts are signed integer minor units: an issue adds credit (>= 0; a return graded
D can settle at zero), a redeem takes it away (< 0). Each currency is its own
balance: a customer can hold EUR and USD credit side by side.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.money import Money
from domain.validation import currency_code


class Entry(BaseModel):
    model_config = ConfigDict(frozen=True)

    amount: int
    currency: str = Field(min_length=3, max_length=3)
    kind: Literal["issue", "redeem"]

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        return currency_code(v)  # Money's rule, so an entry's currency always makes a valid Money

    @model_validator(mode="after")
    def _sign_matches_kind(self) -> Entry:
        if self.kind == "issue" and self.amount < 0:
            raise ValueError("an issue entry adds credit: amount must be >= 0")
        if self.kind == "redeem" and self.amount >= 0:
            raise ValueError("a redeem entry takes credit: amount must be < 0")
        return self


class InsufficientCredit(Exception):
    """A redeem asked for more than the balance in its currency."""

    def __init__(self, balance: Money) -> None:
        super().__init__(f"insufficient store credit: the balance is {balance.display()}")
        self.balance = balance


def balance(entries: Iterable[Entry], currency: str) -> Money:
    """The sum of the entries in `currency`; other currencies are ignored."""
    currency = Money.zero(currency).currency
    total = sum(e.amount for e in entries if e.currency == currency)
    if total < 0:  # only possible if something bypassed check_redeem: say so, don't clamp
        raise ValueError(f"store-credit ledger is negative in {currency} ({total}); it has been corrupted")
    return Money(amount=total, currency=currency)


def balances(entries: Iterable[Entry]) -> list[Money]:
    """One balance per currency that appears in the ledger (zero included), by currency code."""
    entries = list(entries)
    return [balance(entries, c) for c in sorted({e.currency for e in entries})]


def check_redeem(entries: Iterable[Entry], amount: Money) -> None:
    """Raises unless `amount` can be redeemed: ValueError if it is not positive,
    InsufficientCredit (carrying the balance) if it exceeds the balance in its currency."""
    if amount.amount <= 0:
        raise ValueError("a redeem amount must be greater than zero")
    available = balance(entries, amount.currency)
    if amount.amount > available.amount:
        raise InsufficientCredit(available)
