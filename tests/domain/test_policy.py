from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.policy import ReturnPolicy, evaluate
from domain.returns import OrderFacts, ReturnLine, ReturnReason

PLACED = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
LINE = ReturnLine(line_id="L1", sku="S", quantity=1, unit_price=1000, reason=ReturnReason.TOO_SMALL)


def order(delivered: datetime | None = None) -> OrderFacts:
    return OrderFacts(order_id="o1", currency="EUR", placed_at=PLACED, delivered_at=delivered)


def test_window_counts_from_delivery_when_known():
    delivered = PLACED + timedelta(days=10)
    decision = evaluate(order(delivered), [LINE], ReturnPolicy(window_days=30), delivered + timedelta(days=29))
    assert decision.approved and decision.window_ends_at == delivered + timedelta(days=30)


def test_window_falls_back_to_placement():
    decision = evaluate(order(), [LINE], ReturnPolicy(window_days=30), PLACED + timedelta(days=31))
    assert not decision.approved
    assert decision.reasons == ["the 30-day return window from purchase ended on 2026-10-31"]


def test_naive_time_is_refused():
    with pytest.raises(ValueError):
        evaluate(order(), [LINE], ReturnPolicy(), datetime(2026, 10, 2))


def test_empty_return_is_rejected():
    assert not evaluate(order(), [], ReturnPolicy(), PLACED).approved


@given(st.integers(min_value=0, max_value=400), st.integers(min_value=0, max_value=400))
def test_same_input_same_decision_and_boundary_is_inclusive(window, days_after):
    at = PLACED + timedelta(days=days_after)
    first = evaluate(order(), [LINE], ReturnPolicy(window_days=window), at)
    assert first == evaluate(order(), [LINE], ReturnPolicy(window_days=window), at)
    assert first.approved == (days_after <= window)


@given(st.integers(min_value=0, max_value=200), st.integers(min_value=0, max_value=200))
def test_a_longer_window_never_turns_approval_into_rejection(window, extra):
    at = PLACED + timedelta(days=window)
    assert evaluate(order(), [LINE], ReturnPolicy(window_days=window + extra), at).approved
