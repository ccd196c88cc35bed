"""The store-credit ledger: balances are derived from entries, never stored or edited.

(Not the inventory ledger of item movements, which is `domain.inventory`.)

Amounts are signed integer minor units: an issue adds credit (>= 0; a return graded
D can settle at zero), a redeem takes it away (< 0). Each currency is its own
balance: a customer can hold EUR and USD credit side by side.

Expiry, stated once (`balance`, `balances`, `check_redeem`, `expired_amount` and
`expiries` share it):
- An issue may carry `expires_at` (timezone-aware, kept in UTC). Credit is expired
  from that instant on: at `now >= expires_at` it no longer counts.
- A redemption uses the credit that expires first: the earliest `expires_at`
  among the credit still live when it was made (`created_at`), credit without
  expiry last, equal expiries in the order they were issued. So a redemption never
  uses expired credit, and no other order would leave more credit unexpired.
- Credit that expires unspent is not deleted and no entry is written for it: the
  expired amount is derived from the ledger and `now` like the balance
  (`expired_amount`, and `expiries` for the history). For every currency:
  balance + expired amount == sum of the entries.
- Which credit a redemption used depends on when things happened, so once any
  issue in a currency carries `expires_at`, every entry in that currency needs
  `created_at` and the caller must pass `now` (a ValueError says so otherwise;
  nothing is guessed). Entries may come in any order (newest first is fine): they
  are taken in `created_at` order, an issue before a redeem made at the same
  instant. `now` only decides what has expired; every entry counts, whatever its
  `created_at`.
- A currency without any `expires_at` keeps the plain rule: the balance is the sum
  of its entries, `now` and `created_at` play no part.

A ledger whose redemptions cannot be covered (only possible if something bypassed
`check_redeem`) is reported as corrupted (ValueError), never clamped.

Invalid entries raise pydantic's ValidationError; the expiry problems are located at
their field (expires_at, created_at).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from domain.clock import require_aware
from domain.money import Money
from domain.validation import currency_code, invalid

__all__ = [
    "Entry",
    "Expiry",
    "InsufficientCredit",
    "balance",
    "balances",
    "check_redeem",
    "expired_amount",
    "expiries",
]


class Entry(BaseModel):
    model_config = ConfigDict(frozen=True)

    amount: int
    currency: str = Field(min_length=3, max_length=3)
    kind: Literal["issue", "redeem"]
    created_at: AwareDatetime | None = Field(default=None, description="when the entry was made (UTC)")
    expires_at: AwareDatetime | None = Field(default=None, description="issues only: when the credit expires (UTC)")

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        return currency_code(v)  # Money's rule, so an entry's currency always makes a valid Money

    @field_validator("created_at", "expires_at")
    @classmethod
    def _utc(cls, v: datetime | None) -> datetime | None:
        return None if v is None else v.astimezone(UTC)

    @model_validator(mode="after")
    def _sign_matches_kind(self) -> Entry:
        if self.kind == "issue" and self.amount < 0:
            raise ValueError("an issue entry adds credit: amount must be >= 0")
        if self.kind == "redeem" and self.amount >= 0:
            raise ValueError("a redeem entry takes credit: amount must be < 0")
        if self.expires_at is not None:
            if self.kind == "redeem":
                raise invalid(
                    "Entry", [(("expires_at",), "only issued credit expires, not a redeem entry", self.expires_at)]
                )
            if self.created_at is not None and self.expires_at <= self.created_at:
                raise invalid(
                    "Entry",
                    [
                        (
                            ("expires_at",),
                            f"credit cannot expire before it is issued ({self.created_at.isoformat()})",
                            self.expires_at,
                        )
                    ],
                )
        return self


class Expiry(BaseModel):
    """Derived, never stored: credit of one issue that expired unspent, for the customer's history."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["expire"] = "expire"
    amount: Money  # what was left of the issue when it expired (> 0)
    expired_at: datetime  # the expires_at
    issued_at: datetime  # the created_at


class InsufficientCredit(Exception):
    """A redeem asked for more than the balance in its currency."""

    def __init__(self, balance: Money) -> None:
        super().__init__(f"insufficient store credit: the balance is {balance.display()}")
        self.balance = balance


# ---- derivation --------------------------------------------------------------------------


@dataclass
class _Lot:
    """What is left of one issue after the redemptions took credit from it."""

    order: int  # issue order in time: equal expiries are spent oldest issue first
    issued_at: datetime | None
    expires_at: datetime | None
    left: int

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


def _code(currency: str) -> str:
    return Money.zero(currency).currency


def _as_utc(now: datetime) -> datetime:
    return require_aware(now, "now").astimezone(UTC)


def _expiring(entries: list[Entry]) -> bool:
    return any(e.expires_at is not None for e in entries)


def _lots(entries: list[Entry], currency: str) -> list[_Lot]:
    """Every issue with what is left of it, redemptions taken in created_at order (see the module docstring)."""
    missing = [e for e in entries if e.created_at is None]
    if missing:
        raise ValueError(
            f"store credit in {currency} expires, so every {currency} entry needs created_at "
            f"({len(missing)} without): which credit a redemption used depends on when it was made"
        )
    timeline = sorted(enumerate(entries), key=lambda ie: (ie[1].created_at, ie[1].kind != "issue", ie[0]))
    lots: list[_Lot] = []
    for _, entry in timeline:
        if entry.kind == "issue":
            lots.append(_Lot(len(lots), entry.created_at, entry.expires_at, entry.amount))
            continue
        at = entry.created_at
        assert at is not None
        wanted = -entry.amount
        live = sorted(
            (lot for lot in lots if lot.left and not lot.expired(at)),
            key=lambda lot: (lot.expires_at is None, lot.expires_at or at, lot.order),
        )
        for lot in live:
            used = min(lot.left, wanted)
            lot.left -= used
            wanted -= used
            if not wanted:
                break
        if wanted:  # only possible if something bypassed check_redeem: say so, don't clamp
            raise ValueError(
                f"store-credit ledger is corrupted in {currency}: the redeem of {-entry.amount} at "
                f"{at.isoformat()} exceeds the unexpired credit by {wanted}"
            )
    return lots


def _split(entries: Iterable[Entry], currency: str, now: datetime | None) -> tuple[Money, Money]:
    """(balance, expired amount) in `currency` as of `now`."""
    currency = _code(currency)
    now = None if now is None else _as_utc(now)
    mine = [e for e in entries if e.currency == currency]
    if not _expiring(mine):
        total = sum(e.amount for e in mine)
        if total < 0:  # only possible if something bypassed check_redeem: say so, don't clamp
            raise ValueError(f"store-credit ledger is negative in {currency} ({total}); it has been corrupted")
        return Money(amount=total, currency=currency), Money.zero(currency)
    if now is None:
        raise ValueError(f"store credit in {currency} expires: pass `now` to know what is left")
    lots = _lots(mine, currency)
    live = sum(lot.left for lot in lots if not lot.expired(now))
    gone = sum(lot.left for lot in lots if lot.expired(now))
    return Money(amount=live, currency=currency), Money(amount=gone, currency=currency)


# ---- public ------------------------------------------------------------------------------


def balance(entries: Iterable[Entry], currency: str, now: datetime | None = None) -> Money:
    """The credit left in `currency` as of `now`; other currencies are ignored.

    Without expiry in that currency: the sum of its entries (`now` not needed).
    With expiry: the unexpired credit left after the redemptions; `now` is required.
    """
    return _split(entries, currency, now)[0]


def balances(entries: Iterable[Entry], now: datetime | None = None) -> list[Money]:
    """One balance per currency that appears in the ledger (zero included), by currency code."""
    entries = list(entries)
    return [balance(entries, c, now) for c in sorted({e.currency for e in entries})]


def expired_amount(entries: Iterable[Entry], currency: str, now: datetime) -> Money:
    """Credit in `currency` that expired unspent as of `now` (zero without expiry)."""
    return _split(entries, currency, now)[1]


def expiries(entries: Iterable[Entry], now: datetime) -> list[Expiry]:
    """Every issue's unspent credit that has expired as of `now`, oldest first (then by currency)."""
    now = _as_utc(now)
    entries = list(entries)
    found: list[Expiry] = []
    for currency in sorted({e.currency for e in entries}):
        mine = [e for e in entries if e.currency == currency]
        if not _expiring(mine):
            continue
        for lot in _lots(mine, currency):
            if lot.left and lot.expired(now):
                assert lot.expires_at is not None and lot.issued_at is not None
                found.append(
                    Expiry(
                        amount=Money(amount=lot.left, currency=currency),
                        expired_at=lot.expires_at,
                        issued_at=lot.issued_at,
                    )
                )
    return sorted(found, key=lambda x: (x.expired_at, x.amount.currency, x.issued_at))


def check_redeem(entries: Iterable[Entry], amount: Money, now: datetime | None = None) -> None:
    """Raises unless `amount` can be redeemed at `now`: ValueError if it is not positive,
    InsufficientCredit (carrying the balance) if it exceeds the balance in its currency.

    `now` is required once credit in that currency expires (see `balance`); the
    redeem entry written afterwards should carry `created_at=now`.
    """
    if amount.amount <= 0:
        raise ValueError("a redeem amount must be greater than zero")
    available = balance(entries, amount.currency, now)
    if amount.amount > available.amount:
        raise InsufficientCredit(available)
