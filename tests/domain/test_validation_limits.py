"""domain/validation.py's limits: what free text, times, ids and amounts from outside may be."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from domain.money import Money, MoneyIn
from domain.validation import (
    MAX_MONEY,
    TEXT_PATTERN,
    Id,
    Instant,
    MinorUnits,
    PastInstant,
    one_line,
    plain_text,
    text,
)


class Doc(BaseModel):
    name: text(40) = ""
    at: PastInstant | None = None
    window: Instant | None = None
    id: Id = "x"
    amount: MinorUnits = 0
    price: MoneyIn | None = None


def errors(**fields) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as err:
        Doc(**fields)
    return [(".".join(map(str, e["loc"])), e["msg"]) for e in err.value.errors()]


REFUSED = {
    "CR": "\r",
    "LF": "\n",
    "NUL": "\x00",
    "TAB": "\t",
    "ESC": "\x1b",
    "DEL": "\x7f",
    "NEL (C1)": "\x85",
    "line separator": "\u2028",
    "paragraph separator": "\u2029",
    "RTL override": "\u202e",
    "LTR embedding": "\u202a",
    "first-strong isolate": "\u2068",
    "lone surrogate": "\ud800",
}
WELCOME = [
    "Zoë",
    "山田太郎",
    "محمد\u200f",
    "👩\u200d👩\u200d👧",
    "O'Brien & Sons <b>",
    "'; DROP TABLE orders; --",
    "\u00a0x",
]


@pytest.mark.parametrize("kind", REFUSED)
def test_control_and_invisible_formatting_characters_are_refused(kind: str):
    [(field, message)] = errors(name=f"a{REFUSED[kind]}b")
    assert field == "name"
    if kind != "lone surrogate":  # which pydantic refuses itself, before our check
        assert f"U+{ord(REFUSED[kind]):04X} at 1" in message


@pytest.mark.parametrize("value", WELCOME)
def test_ordinary_text_of_any_script_is_kept_as_it_is(value: str):
    assert Doc(name=value).name == value


@given(st.text(max_size=30))
def test_the_documented_pattern_is_exactly_the_rule_enforced(value: str):
    documented = re.fullmatch(TEXT_PATTERN, value) is not None
    try:
        plain_text(value)
        enforced = True
    except Exception:
        enforced = False
    assert documented == enforced
    assert Doc.model_json_schema()["properties"]["name"]["pattern"] == TEXT_PATTERN


@given(st.text(max_size=50))
def test_one_line_makes_any_stored_text_header_safe(value: str):
    line = one_line(value)
    assert plain_text(line) == line and one_line(line) == line
    assert not line.startswith(" ") and "  " not in line


def test_text_over_its_length_is_refused():
    assert errors(name="x" * 41) == [("name", "String should have at most 40 characters")]


def test_times_need_a_zone_a_sane_year_and_orders_cannot_be_in_the_future():
    now = datetime.now(UTC)
    assert Doc(at=now + timedelta(minutes=9)).at is not None  # a merchant clock a little ahead
    assert errors(at=now + timedelta(minutes=11))[0][0] == "at"
    assert "in the future" in errors(at="2031-01-10T10:00:00Z")[0][1]
    assert errors(at="2026-01-01T00:00:00") == [("at", "Input should have timezone info")]
    for far in (
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "1999-12-31T23:59:59Z",
        "2100-01-01T00:00:00Z",
    ):
        assert errors(window=far) == [("window", "must be between 2000 and 2100")], far
    assert Doc(window=datetime(2099, 12, 31, 23, tzinfo=timezone(timedelta(hours=5)))).window is not None


def test_ids_share_one_pattern_and_length():
    for good in ("ret_0a1b2c", "o-1001", "wh.demo:nl", "A" * 128):
        assert Doc(id=good).id == good
    for bad in ("", "a b", "-x", ".x", "a/b", "a%2F", "ü", "x" * 129, "a\nb"):
        assert errors(id=bad)[0][0] == "id", bad


def test_amounts_from_outside_are_bounded_and_money_sums_inside_are_not():
    assert Doc(amount=MAX_MONEY).amount == MAX_MONEY
    assert errors(amount=MAX_MONEY + 1)[0][0] == "amount"
    assert errors(amount=-1)[0][0] == "amount"
    assert errors(price={"amount": 2**70, "currency": "USD"})[0][0] == "price.amount"
    assert Doc(price=Money(amount=500, currency="usd")).price == Money(amount=500, currency="USD")
    assert Money(amount=MAX_MONEY, currency="USD") + Money(amount=MAX_MONEY, currency="USD") == Money(
        amount=2 * MAX_MONEY, currency="USD"
    )
