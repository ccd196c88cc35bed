import pytest

from domain.carrier import is_first_scan, status_after_tracking
from domain.status import (
    ALLOWED_TRANSITIONS,
    FINAL_STATUSES,
    InvalidTransition,
    ReturnStatus,
    check_transition,
)

S = ReturnStatus


def test_final_statuses_have_no_way_out():
    for status in FINAL_STATUSES:
        assert ALLOWED_TRANSITIONS[status] == frozenset()
        assert status.is_final


def test_every_status_has_a_transition_entry_and_reaches_a_final_one():
    for status in S:
        seen, frontier = set(), {status}
        while frontier:
            current = frontier.pop()
            seen.add(current)
            frontier |= set(ALLOWED_TRANSITIONS[current]) - seen
        assert seen & FINAL_STATUSES, status


@pytest.mark.parametrize(
    "current,target",
    [(S.COMPLETED, S.SETTLING), (S.IN_TRANSIT, S.CANCELLED), (S.REQUESTED, S.RECEIVED), (S.RECEIVED, S.COMPLETED)],
)
def test_illegal_transitions_are_refused(current, target):
    with pytest.raises(InvalidTransition):
        check_transition(current, target)


def test_cancellable_only_before_the_parcel_moves():
    assert {s for s in S if s.is_cancellable} == {S.REQUESTED, S.PENDING_REVIEW, S.LABEL_CREATED, S.AWAITING_HAND_IN}


@pytest.mark.parametrize(
    "current,tracking,expected",
    [
        (S.LABEL_CREATED, "pre_transit", None),
        (S.LABEL_CREATED, "in_transit", S.IN_TRANSIT),
        (S.LABEL_CREATED, "out_for_delivery", S.IN_TRANSIT),
        (S.LABEL_CREATED, "delivered", S.DELIVERED),
        (S.IN_TRANSIT, "delivered", S.DELIVERED),
        (S.DELIVERED, "in_transit", None),  # out of order: never backwards
        (S.IN_TRANSIT, "in_transit", None),
        (S.RECEIVED, "delivered", None),  # the dock already has it
        (S.LABEL_CREATED, "return_to_sender", None),
    ],
)
def test_tracking_moves_a_return_only_forwards(current, tracking, expected):
    assert status_after_tracking(current, tracking) == expected


def test_first_scan():
    assert not is_first_scan("pre_transit") and not is_first_scan("unknown")
    assert is_first_scan("in_transit") and is_first_scan("delivered")
