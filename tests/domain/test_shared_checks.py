"""What the domain's modules share: a time must carry its offset, a count must be at least one, a repeated
name points at its first use, an amount is shown one way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.clock import require_aware
from domain.money import money_text
from domain.validation import repeats, require_positive


def test_an_aware_time_is_given_back_as_it_is():
    at = datetime(2026, 10, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    assert require_aware(at, "now") is at
    assert require_aware(at.astimezone(UTC), "now") == at


def test_a_naive_time_is_refused_by_name():
    with pytest.raises(ValueError, match="^shipped_at must be timezone-aware$"):
        require_aware(datetime(2026, 10, 1, 12), "shipped_at")


@pytest.mark.parametrize("value", [0, -1])
def test_a_count_below_one_is_refused_by_name(value):
    with pytest.raises(ValueError, match=f"^units must be at least 1, not {value}$"):
        require_positive(value, "units")
    assert require_positive(1, "units") == 1


def test_a_repeat_points_at_the_first_one():
    assert repeats(["a", "b", "a", "c", "b", "a"]) == {2: 0, 4: 1, 5: 0}
    assert repeats([]) == {} and repeats("abc") == {}


def test_an_amount_is_shown_as_money_shows_it():
    assert money_text(595, "eur") == "5.95 EUR"
    assert money_text(500, "JPY") == "500 JPY"
