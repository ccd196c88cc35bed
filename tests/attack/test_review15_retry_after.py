"""Review of issue #15 (carrier pace): a Retry-After EasyPost (or whatever answers at its address) sends is input.

`retry_after` clamped what it read to [0, 600] s, but `float("nan")` passes both clamps: the 429's hold became
NaN, and `carrier_error` then failed on `timedelta(seconds=nan)` with a ValueError, so the activity failed with
"cannot convert float NaN to integer" instead of the carrier's retryable CARRIER_UNAVAILABLE error (its message
and details lost). An unreadable value is treated as none: the default hold."""

from __future__ import annotations

from datetime import timedelta

import easypost.errors as ep
import pytest

from activities.carrier_pace import DEFAULT_HOLD_SECONDS, LONGEST_HOLD_SECONDS, Pace, hooks, retry_after
from activities.errors import carrier_error
from workflows.messages import ActivityErrorType


@pytest.mark.parametrize("value", ["nan", "NaN", "-nan"])
def test_a_nan_retry_after_is_unreadable(value):
    assert retry_after({"Retry-After": value}) is None


@pytest.mark.parametrize(("value", "seconds"), [("-5", 0.0), ("inf", LONGEST_HOLD_SECONDS), ("1e400", 600.0)])
def test_retry_after_stays_within_its_bounds(value, seconds):
    assert retry_after({"Retry-After": value}) == seconds


def test_a_429_with_a_nan_retry_after_is_still_the_carriers_retryable_error_with_the_default_hold():
    now = [100.0]
    pace = Pace(clock=lambda: now[0], sleep=lambda s: None)
    before, after = hooks(pace)
    before()
    after(http_status=429, headers={"Retry-After": "nan"})
    assert pace.hold_remaining() == pytest.approx(DEFAULT_HOLD_SECONDS)  # the account waits, as for no header
    err = carrier_error(ep.ApiError("rate limited", http_status=429))
    assert err.type == ActivityErrorType.CARRIER_UNAVAILABLE and not err.non_retryable
    assert err.next_retry_delay == timedelta(seconds=DEFAULT_HOLD_SECONDS)
