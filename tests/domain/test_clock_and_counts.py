"""The argument checks the domain shares: a time must carry its offset, a count must be at least one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.clock import require_aware
from domain.validation import require_positive


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
