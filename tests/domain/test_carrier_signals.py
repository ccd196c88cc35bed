"""Which carrier tracking updates the API signals to a return's workflow (domain.carrier.worth_signalling).

The property that matters: a skipped update never changes what the return would do. The workflow, fed the update
at any status at or after the recorded one, must move nowhere and flag nothing."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.carrier import EXCEPTIONS, TRACKING_PROGRESS, is_first_scan, status_after_tracking, worth_signalling
from domain.status import ALLOWED_TRANSITIONS, ReturnStatus

S = ReturnStatus
TRACKING = list(TRACKING_PROGRESS) + list(EXCEPTIONS)


@pytest.mark.parametrize(
    ("recorded", "tracking", "last", "expected"),
    [
        (S.LABEL_CREATED, "pre_transit", None, False),  # nothing scanned yet: the label stays as it is
        (S.LABEL_CREATED, "in_transit", "pre_transit", True),  # the first scan
        (S.IN_TRANSIT, "out_for_delivery", "in_transit", False),  # still on its way
        (S.IN_TRANSIT, "delivered", "in_transit", True),
        (S.LABEL_CREATED, "delivered", None, True),  # scans missed: straight to delivered
        (S.DELIVERED, "in_transit", "delivered", False),  # late, out of order
        (S.RECEIVED, "delivered", None, False),  # the dock was quicker
        (S.IN_TRANSIT, "in_transit", "in_transit", False),  # a repeat
        (S.LABEL_CREATED, "unknown", None, False),
        (S.IN_TRANSIT, "return_to_sender", "in_transit", True),  # exceptions always go to a person
        (S.LABEL_CREATED, "cancelled", None, True),  # a relabel
        (S.CANCELLED, "in_transit", None, True),  # sent after the cancel: ops must know
        (S.CANCELLED, "pre_transit", None, False),
        (S.COMPLETED, "delivered", "in_transit", False),
        (S.REQUESTED, "out_for_delivery", None, True),  # recorded before the label: the workflow judges
    ],
)
def test_only_updates_that_can_change_the_return_are_signalled(recorded, tracking, last, expected):
    assert worth_signalling(recorded, tracking, last) is expected


def _later_or_same(status: ReturnStatus) -> set[ReturnStatus]:
    """Every status the workflow may be at when the projection says `status` (it lags, never leads)."""
    seen, todo = {status}, [status]
    while todo:
        for nxt in ALLOWED_TRANSITIONS[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


@given(st.sampled_from(list(S)), st.sampled_from(TRACKING), st.none() | st.sampled_from(TRACKING))
def test_a_skipped_update_would_have_moved_nothing_wherever_the_workflow_really_is(recorded, tracking, last):
    if worth_signalling(recorded, tracking, last) or tracking == last:
        return  # signalled; or a repeat of the last status signalled, which the workflow has seen already
    assert tracking not in EXCEPTIONS
    for actual in _later_or_same(recorded):
        assert status_after_tracking(actual, tracking) is None
        if actual == S.CANCELLED:
            assert not is_first_scan(tracking)
