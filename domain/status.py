"""A return's lifecycle: statuses and the transitions the workflow may make."""

from __future__ import annotations

from enum import StrEnum


class ReturnStatus(StrEnum):
    REQUESTED = "requested"
    PENDING_REVIEW = "pending_review"
    REJECTED = "rejected"
    LABEL_CREATED = "label_created"
    # Sent to one of the merchant's stores: no label; waits for the shopper to hand it in (a store receipt).
    AWAITING_HAND_IN = "awaiting_hand_in"
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    RECEIVED = "received"
    INSPECTED = "inspected"
    SETTLING = "settling"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES

    @property
    def is_cancellable(self) -> bool:
        """Cancel is allowed until the carrier first scans the parcel (or a store receives it)."""
        return self in (
            ReturnStatus.REQUESTED,
            ReturnStatus.PENDING_REVIEW,
            ReturnStatus.LABEL_CREATED,
            ReturnStatus.AWAITING_HAND_IN,
        )


FINAL_STATUSES = frozenset(
    {ReturnStatus.REJECTED, ReturnStatus.COMPLETED, ReturnStatus.CANCELLED, ReturnStatus.EXPIRED}
)

_S = ReturnStatus
ALLOWED_TRANSITIONS: dict[ReturnStatus, frozenset[ReturnStatus]] = {
    # SETTLING straight from REQUESTED: a keep-the-item return ships nothing.
    # AWAITING_HAND_IN instead of LABEL_CREATED: the shopper brings it to a store, no label is bought.
    _S.REQUESTED: frozenset(
        {_S.REJECTED, _S.PENDING_REVIEW, _S.LABEL_CREATED, _S.AWAITING_HAND_IN, _S.SETTLING, _S.CANCELLED}
    ),
    _S.PENDING_REVIEW: frozenset({_S.REJECTED, _S.LABEL_CREATED, _S.AWAITING_HAND_IN, _S.SETTLING, _S.CANCELLED}),
    _S.LABEL_CREATED: frozenset({_S.IN_TRANSIT, _S.DELIVERED, _S.RECEIVED, _S.CANCELLED, _S.EXPIRED}),
    _S.AWAITING_HAND_IN: frozenset({_S.RECEIVED, _S.CANCELLED, _S.EXPIRED}),
    _S.IN_TRANSIT: frozenset({_S.DELIVERED, _S.RECEIVED}),
    _S.DELIVERED: frozenset({_S.RECEIVED}),
    _S.RECEIVED: frozenset({_S.INSPECTED}),
    _S.INSPECTED: frozenset({_S.SETTLING}),
    _S.SETTLING: frozenset({_S.COMPLETED}),
    _S.REJECTED: frozenset(),
    _S.COMPLETED: frozenset(),
    _S.CANCELLED: frozenset(),
    _S.EXPIRED: frozenset(),
}


class InvalidTransition(ValueError):
    pass


def check_transition(current: ReturnStatus, target: ReturnStatus) -> ReturnStatus:
    if target not in ALLOWED_TRANSITIONS[current]:
        raise InvalidTransition(f"a return cannot go from {current.value} to {target.value}")
    return target
