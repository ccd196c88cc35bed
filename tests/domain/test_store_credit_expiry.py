"""Store-credit expiry: credit that expires unspent drops out of the balance, redemptions use
the credit that expires first, and a ledger without expiry works exactly as before."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from domain.money import Money
from domain.store_credit import (
    Entry,
    Expiry,
    InsufficientCredit,
    balance,
    balances,
    check_redeem,
    expired_amount,
    expiries,
)

SETTINGS = settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
FEWER = settings(SETTINGS, max_examples=50)

T0 = datetime(2025, 1, 1, tzinfo=UTC)
CURRENCIES = ["EUR", "USD"]


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def issue(amount: int, at: float, expires: float | None = None, currency: str = "EUR") -> Entry:
    return Entry(
        amount=amount,
        currency=currency,
        kind="issue",
        created_at=day(at),
        expires_at=None if expires is None else day(expires),
    )


def redeem(amount: int, at: float, currency: str = "EUR") -> Entry:
    return Entry(amount=-amount, currency=currency, kind="redeem", created_at=day(at))


def eur(amount: int) -> Money:
    return Money(amount=amount, currency="EUR")


# ---- entries -------------------------------------------------------------------------------


def test_an_issue_may_expire_and_times_are_kept_in_utc():
    cet = timezone(timedelta(hours=1))
    e = Entry(
        amount=500,
        currency="EUR",
        kind="issue",
        created_at=datetime(2025, 1, 1, 10, tzinfo=cet),
        expires_at=datetime(2025, 4, 1, 10, tzinfo=cet),
    )
    assert e.created_at == datetime(2025, 1, 1, 9, tzinfo=UTC) and e.created_at.tzinfo is UTC
    assert e.expires_at == datetime(2025, 4, 1, 9, tzinfo=UTC) and e.expires_at.tzinfo is UTC
    assert Entry.model_validate_json(e.model_dump_json()) == e


@pytest.mark.parametrize(
    "kwargs,field,problem",
    [
        ({"kind": "issue", "amount": 5, "expires_at": datetime(2025, 1, 1)}, "expires_at", "timezone"),
        ({"kind": "issue", "amount": 5, "created_at": datetime(2025, 1, 1)}, "created_at", "timezone"),
        ({"kind": "redeem", "amount": -5, "expires_at": day(30)}, "expires_at", "only issued credit expires"),
        (
            {"kind": "issue", "amount": 5, "created_at": day(3), "expires_at": day(3)},
            "expires_at",
            "cannot expire before",
        ),
        (
            {"kind": "issue", "amount": 5, "created_at": day(3), "expires_at": day(2)},
            "expires_at",
            "cannot expire before",
        ),
    ],
)
def test_invalid_expiry_names_the_field(kwargs, field, problem):
    with pytest.raises(ValidationError) as err:
        Entry(currency="EUR", **kwargs)
    found = [(".".join(map(str, e["loc"])), e["msg"]) for e in err.value.errors()]
    assert any(where == field and problem in msg for where, msg in found), found


# ---- tables --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "entries,now,expected_balance,expected_expired",
    [
        # credit counts until the instant it expires, then not at all
        ([issue(1000, 0, 30)], day(29.99), 1000, 0),
        ([issue(1000, 0, 30)], day(30), 0, 1000),
        # only what is left of it expires
        ([issue(1000, 0, 30), redeem(300, 5)], day(10), 700, 0),
        ([issue(1000, 0, 30), redeem(300, 5)], day(40), 0, 700),
        ([issue(1000, 0, 30), redeem(1000, 5)], day(40), 0, 0),
        # a redemption uses the credit that expires first, whatever the issue order...
        ([issue(100, 0), issue(100, 1, 10), redeem(50, 5)], day(20), 100, 50),
        ([issue(100, 0, 20), issue(100, 1, 10), redeem(100, 2)], day(15), 100, 0),
        ([issue(100, 0, 20), issue(100, 1, 10), redeem(150, 2)], day(15), 50, 0),
        # ... among the credit still live when it is made (never expired credit)
        ([issue(100, 0, 10), issue(100, 0, 20), redeem(50, 15)], day(16), 50, 100),
        ([issue(100, 0, 10), issue(100, 0, 20), redeem(50, 15)], day(25), 0, 150),
        ([issue(100, 0, 10), issue(100, 0), redeem(50, 15)], day(25), 50, 100),
        # a redemption at the very instant credit expires cannot use it
        ([issue(100, 0, 10), issue(100, 0), redeem(100, 10)], day(10), 0, 100),
        # equal expiries: the earlier issue first (the amounts left are the same either way)
        ([issue(100, 0, 10), issue(100, 1, 10), redeem(150, 2)], day(5), 50, 0),
        # an issue and a redeem at the same instant: the issue comes first
        ([issue(100, 0, 10), redeem(100, 0)], day(20), 0, 0),
        # credit without expiry in the same currency never expires
        ([issue(100, 0), issue(40, 0, 5)], day(1000), 100, 40),
        # zero credit (a grade D return) expiring is no expiry to speak of
        ([issue(0, 0, 5)], day(10), 0, 0),
    ],
)
def test_balance_and_expired_amount(entries, now, expected_balance, expected_expired):
    assert balance(entries, "EUR", now) == eur(expected_balance)
    assert expired_amount(entries, "EUR", now) == eur(expected_expired)
    newest_first = list(reversed(entries))  # the API reads entries newest first
    assert balance(newest_first, "EUR", now) == eur(expected_balance)
    assert expired_amount(newest_first, "EUR", now) == eur(expected_expired)


def test_the_order_of_redemptions_in_time_decides_not_their_place_in_the_list():
    # The same redemption before or after the first credit expired leaves different balances.
    early = [issue(100, 0, 10), issue(100, 0, 20), redeem(100, 5)]
    late = [issue(100, 0, 10), issue(100, 0, 20), redeem(100, 15)]
    assert balance(early, "EUR", day(16)) == eur(100)
    assert balance(late, "EUR", day(16)) == eur(0)
    assert expired_amount(late, "EUR", day(16)) == eur(100)


def test_expiries_are_derived_history_items():
    entries = [
        issue(1000, 0, 30),
        redeem(300, 5),
        issue(200, 1, 10, "USD"),
        issue(50, 2, 60),
        issue(70, 3, 8, "USD"),
        redeem(70, 4, "USD"),
        issue(999, 4),
    ]
    assert expiries(entries, day(40)) == [
        Expiry(amount=Money(amount=200, currency="USD"), expired_at=day(10), issued_at=day(1)),
        Expiry(amount=eur(700), expired_at=day(30), issued_at=day(0)),
    ]
    assert expiries(entries, day(5)) == []
    assert expiries([issue(10, 0), redeem(5, 1)], day(99)) == []  # no expiry: nothing to derive
    assert all(x.kind == "expire" for x in expiries(entries, day(99)))


def test_balances_per_currency_with_expiry():
    entries = [issue(100, 0, 10), issue(500, 0, currency="USD")]
    assert balances(entries, day(20)) == [eur(0), Money(amount=500, currency="USD")]
    with pytest.raises(ValueError, match="pass `now`"):
        balances(entries)


def test_now_is_needed_only_where_credit_expires():
    entries = [issue(100, 0, 10), issue(500, 0, currency="USD"), Entry(amount=7, currency="JPY", kind="issue")]
    assert balance(entries, "USD") == Money(amount=500, currency="USD")
    assert balance(entries, "JPY") == Money(amount=7, currency="JPY")
    with pytest.raises(ValueError, match="pass `now`"):
        balance(entries, "EUR")
    with pytest.raises(ValueError, match="pass `now`"):
        check_redeem(entries, eur(1))
    with pytest.raises(ValueError, match="timezone-aware"):
        balance(entries, "EUR", datetime(2025, 1, 2))
    with pytest.raises(ValueError, match="timezone-aware"):
        expiries(entries, datetime(2025, 1, 2))
    with pytest.raises(ValueError, match="timezone-aware"):
        balance(entries, "USD", datetime(2025, 1, 2))  # a naive now is refused even where it is not needed


def test_with_expiry_every_entry_of_that_currency_needs_its_time():
    undated = Entry(amount=-10, currency="EUR", kind="redeem")
    with pytest.raises(ValueError, match="created_at"):
        balance([issue(100, 0, 10), undated], "EUR", day(1))
    # other currencies are not affected
    assert balance([issue(100, 0, 10), Entry(amount=5, currency="USD", kind="issue")], "USD") == Money(
        amount=5, currency="USD"
    )


def test_a_redemption_the_unexpired_credit_cannot_cover_is_reported_as_corruption():
    # 100 issued, expired on day 10; a redeem on day 15 bypassed check_redeem.
    with pytest.raises(ValueError, match="corrupted in EUR"):
        balance([issue(100, 0, 10), redeem(50, 15)], "EUR", day(20))
    with pytest.raises(ValueError, match="corrupted in EUR"):
        expiries([issue(100, 0, 10), redeem(50, 15)], day(20))


@pytest.mark.parametrize(
    "entries,now,amount,short_of",
    [
        ([issue(1000, 0, 30)], day(29), 1000, None),
        ([issue(1000, 0, 30)], day(30), 1, 0),  # expired credit can never be redeemed
        ([issue(1000, 0, 30), issue(200, 1)], day(31), 201, 200),
        ([issue(1000, 0, 30), issue(200, 1)], day(31), 200, None),
        ([issue(1000, 0, 30), redeem(900, 2)], day(3), 101, 100),
        ([issue(1000, 0, 30, "USD")], day(3), 1, 0),  # credit in another currency does not count
    ],
)
def test_check_redeem_with_expiry(entries, now, amount, short_of):
    if short_of is None:
        check_redeem(entries, eur(amount), now)
        return
    with pytest.raises(InsufficientCredit) as err:
        check_redeem(entries, eur(amount), now)
    assert err.value.balance == eur(short_of)
    assert eur(short_of).display() in str(err.value)


# ---- properties ------------------------------------------------------------------------------

# A session of operations on one customer's credit, one per day (strictly later each time):
# ("issue", amount, days until it expires or None, currency) or ("redeem", amount, None, currency).
operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("issue"),
            st.integers(0, 5_000),
            st.one_of(st.none(), st.integers(1, 20)),
            st.sampled_from(CURRENCIES),
        ),
        st.tuples(st.just("redeem"), st.integers(0, 6_000), st.none(), st.sampled_from(CURRENCIES)),
    ),
    max_size=40,
)


class Model:
    """An independent running model: credit lots spent as each redemption happens
    (earliest expiry first, no expiry last), never recomputed from the ledger."""

    def __init__(self) -> None:
        self.lots: dict[str, list[list]] = {c: [] for c in CURRENCIES}  # [expires_at | None, left, issued]

    def live(self, currency: str, at: datetime) -> int:
        return sum(left for expires, left, _ in self.lots[currency] if expires is None or expires > at)

    def issue(self, currency: str, amount: int, expires: datetime | None) -> None:
        self.lots[currency].append([expires, amount, amount])

    def redeem(self, currency: str, amount: int, at: datetime) -> None:
        live = [lot for lot in self.lots[currency] if lot[0] is None or lot[0] > at]
        for lot in sorted(live, key=lambda lot: (lot[0] is None, lot[0] or at)):  # sorted is stable: issue order
            used = min(lot[1], amount)
            lot[1] -= used
            amount -= used
        assert amount == 0


def simulate(ops) -> tuple[list[Entry], Model, datetime]:
    """Runs the operations through check_redeem, checking each step against the model."""
    ledger: list[Entry] = []
    model = Model()
    at = T0
    for kind, amount, expires_in, currency in ops:
        at += timedelta(days=1)
        if kind == "issue":
            expires = None if expires_in is None else at + timedelta(days=expires_in)
            ledger.append(Entry(amount=amount, currency=currency, kind="issue", created_at=at, expires_at=expires))
            model.issue(currency, amount, expires)
        else:
            try:
                check_redeem(ledger, Money(amount=amount, currency=currency), at)
            except InsufficientCredit as err:
                # refused exactly when it exceeds the unexpired credit, stating that balance
                assert amount > model.live(currency, at) == err.balance.amount
                assert err.balance.currency == currency
            except ValueError:
                assert amount == 0
            else:
                assert 0 < amount <= model.live(currency, at)
                ledger.append(Entry(amount=-amount, currency=currency, kind="redeem", created_at=at))
                model.redeem(currency, amount, at)
        for c in CURRENCIES:
            assert balance(ledger, c, at).amount == model.live(c, at) >= 0
    return ledger, model, at


def plain_sum(ledger: list[Entry], currency: str) -> int:
    return sum(e.amount for e in ledger if e.currency == currency)


@given(operations)
@SETTINGS
def test_checked_redemptions_only_ever_use_unexpired_credit(ops):
    simulate(ops)


@given(operations, st.integers(0, 80))
@SETTINGS
def test_balance_plus_expired_is_the_sum_of_the_entries_and_expiry_never_adds(ops, later):
    ledger, model, last = simulate(ops)
    now = last + timedelta(days=later)
    for c in CURRENCIES:
        left, gone = balance(ledger, c, now).amount, expired_amount(ledger, c, now).amount
        assert left == model.live(c, now) >= 0 and gone >= 0
        assert left + gone == plain_sum(ledger, c)
        assert left <= plain_sum(ledger, c)  # expiry never increases a balance
        # without the expiries the same ledger has the old balance, never less than with them
        unexpiring = [e.model_copy(update={"expires_at": None}) for e in ledger]
        assert balance(unexpiring, c).amount == plain_sum(ledger, c) >= left
    shown = expiries(ledger, now)
    for c in CURRENCIES:
        assert sum(x.amount.amount for x in shown if x.amount.currency == c) == expired_amount(ledger, c, now).amount
    assert all(x.amount.amount > 0 and x.expired_at <= now for x in shown)


@given(operations, st.lists(st.integers(0, 80), min_size=2, max_size=5))
@FEWER
def test_as_time_passes_the_balance_only_falls(ops, offsets):
    ledger, _, last = simulate(ops)
    for c in CURRENCIES:
        seen = [balance(ledger, c, last + timedelta(days=d)).amount for d in sorted(offsets)]
        assert seen == sorted(seen, reverse=True)


@given(operations, st.randoms(use_true_random=False))
@FEWER
def test_the_order_of_the_entries_in_the_list_does_not_matter(ops, rnd):
    ledger, _, last = simulate(ops)
    shuffled = list(ledger)
    rnd.shuffle(shuffled)
    now = last + timedelta(days=7)
    assert balances(shuffled, now) == balances(ledger, now)
    assert expiries(shuffled, now) == expiries(ledger, now)


@given(operations)
@FEWER
def test_before_anything_expires_the_balance_is_the_old_sum(ops):
    ledger, _, _ = simulate(ops)
    for c in CURRENCIES:
        assert balance(ledger, c, T0).amount == plain_sum(ledger, c)  # every expiry is after T0


old_entries = st.lists(
    st.one_of(
        st.builds(
            lambda a, c: Entry(amount=a, currency=c, kind="issue"), st.integers(0, 10**9), st.sampled_from(CURRENCIES)
        ),
        st.builds(
            lambda a, c: Entry(amount=-a, currency=c, kind="redeem"), st.integers(1, 10**9), st.sampled_from(CURRENCIES)
        ),
    ),
    max_size=30,
)


@given(old_entries, st.one_of(st.none(), st.integers(-10_000, 10_000).map(day)), st.booleans())
@SETTINGS
def test_without_expiry_the_old_rule_holds_whatever_now_and_the_times(ledger, now, dated):
    if dated:  # created_at alone changes nothing
        ledger = [e.model_copy(update={"created_at": day(-i)}) for i, e in enumerate(ledger)]
    for c in CURRENCIES:
        total = plain_sum(ledger, c)
        if total >= 0:
            assert balance(ledger, c, now).amount == total == balance(ledger, c).amount
            assert expired_amount(ledger, c, now or T0).amount == 0
        else:
            with pytest.raises(ValueError, match="negative"):
                balance(ledger, c, now)
    assert expiries(ledger, now or T0) == []


# Optimality, by brute force on small ledgers: no way of spending the credit (any split of each
# redemption over the credit live at its time) leaves more unexpired credit than the rule does.

small_ledgers = st.lists(
    st.tuples(st.sampled_from(["issue", "redeem"]), st.integers(1, 3), st.one_of(st.none(), st.integers(1, 4))),
    min_size=1,
    max_size=6,
)


def best_balance(ledger: list[Entry], now: datetime) -> int | None:
    """The largest unexpired credit any feasible spending leaves at `now` (None: none is feasible)."""
    lots: list[tuple[datetime | None, int]] = []
    best: int | None = None

    def spend(i: int, left: tuple[int, ...]) -> None:
        nonlocal best
        if i == len(ledger):
            live = sum(n for (expires, _), n in zip(lots, left, strict=True) if expires is None or expires > now)
            best = live if best is None else max(best, live)
            return
        entry = ledger[i]
        if entry.kind == "issue":
            lots.append((entry.expires_at, entry.amount))
            spend(i + 1, (*left, entry.amount))
            lots.pop()
            return
        usable = [j for j, (expires, _) in enumerate(lots) if expires is None or expires > entry.created_at]
        for split in itertools.product(*(range(left[j] + 1) for j in usable)):
            if sum(split) == -entry.amount:
                after = list(left)
                for j, used in zip(usable, split, strict=True):
                    after[j] -= used
                spend(i + 1, tuple(after))

    spend(0, ())
    return best


@given(small_ledgers, st.integers(0, 12))
@SETTINGS
def test_spending_the_earliest_expiring_credit_first_leaves_the_most(steps, now_day):
    ledger = []
    for n, (kind, amount, expires_in) in enumerate(steps, start=1):
        if kind == "issue":
            ledger.append(issue(amount, n, None if expires_in is None else n + expires_in))
        else:
            ledger.append(redeem(amount, n))
    if all(e.expires_at is None for e in ledger):
        return  # the old rule, a plain sum whatever the times (test_without_expiry_the_old_rule_holds...)
    now = day(now_day)
    best = best_balance(ledger, now)
    if best is None:  # no spending covers the redemptions: the ledger is corrupted whatever the rule
        with pytest.raises(ValueError, match="corrupted"):
            balance(ledger, "EUR", now)
    else:
        assert balance(ledger, "EUR", now).amount == best


def test_a_random_long_session_stays_consistent():
    """One long, seeded session (beyond hypothesis' list sizes)."""
    rnd = random.Random(7)
    ops = [
        ("issue", rnd.randint(0, 5_000), rnd.choice([None, rnd.randint(1, 30)]), rnd.choice(CURRENCIES))
        if rnd.random() < 0.4
        else ("redeem", rnd.randint(1, 3_000), None, rnd.choice(CURRENCIES))
        for _ in range(400)
    ]
    ledger, model, last = simulate(ops)
    for c in CURRENCIES:
        assert balance(ledger, c, last + timedelta(days=365)).amount == model.live(c, last + timedelta(days=365))
