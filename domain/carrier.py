"""What a carrier tracking status means for a return (EasyPost's vocabulary)."""

from __future__ import annotations

from domain.status import ReturnStatus

# Carrier pickups one return may book, counting the first and every rebooking after a cancel: a rebooked day or two,
# never a loop of bookings on the merchant's carrier account by whoever holds the return link.
MOST_PICKUPS_PER_RETURN = 3

# EasyPost tracker statuses, in the order a parcel normally moves through them.
TRACKING_PROGRESS = ("unknown", "pre_transit", "in_transit", "out_for_delivery", "delivered")

# Statuses off the normal path, and what they mean for the return (the workflow's path for each:
# `cancelled` before any scan buys a new label; the others go to ops, the return keeps waiting).
EXCEPTIONS: dict[str, str] = {
    "return_to_sender": "the carrier is sending the parcel back to the shopper; contact them about sending it again",
    "failure": "the carrier could not deliver the parcel; find out where it is",
    "cancelled": "the carrier cancelled the shipment after it moved; find out where the parcel is",
    "available_for_pickup": "the parcel waits at a carrier pickup point",
}


def is_first_scan(tracking_status: str) -> bool:
    """A parcel counts as scanned once the carrier has it (anything past pre_transit)."""
    return tracking_status in ("in_transit", "out_for_delivery", "delivered", "available_for_pickup")


def status_after_tracking(current: ReturnStatus, tracking_status: str) -> ReturnStatus | None:
    """The return status a tracking update moves to, or None if it changes nothing.

    Never moves backwards: an out-of-order `in_transit` after `delivered` is ignored.
    """
    if tracking_status in ("in_transit", "out_for_delivery", "available_for_pickup"):
        target = ReturnStatus.IN_TRANSIT
    elif tracking_status == "delivered":
        target = ReturnStatus.DELIVERED
    else:
        return None
    order = [ReturnStatus.LABEL_CREATED, ReturnStatus.IN_TRANSIT, ReturnStatus.DELIVERED]
    if current not in order or order.index(target) <= order.index(current):
        return None
    return target


# Statuses recorded before the label's own write: the workflow may have moved on to anything; let it judge.
_BEFORE_THE_LABEL = (ReturnStatus.REQUESTED, ReturnStatus.PENDING_REVIEW, ReturnStatus.AWAITING_HAND_IN)


def worth_signalling(recorded: ReturnStatus, tracking_status: str, last_signalled: str | None) -> bool:
    """Whether a tracking update can change what a return does, so the API signals its workflow (a billed action)
    only then; every update is kept on the return's tracking either way.

    `last_signalled` is the status last signalled for the same parcel (tracker): a replacement label's or another
    parcel's is news. `recorded` is the status the workflow last wrote. It is never ahead of the workflow and statuses only move
    forward, so a lagging record can only make this signal more, never miss a move. Exceptions always go (a person
    or a relabel may follow); after a cancel, a first scan goes (the parcel was sent anyway).
    """
    if tracking_status in ("unknown", last_signalled):
        return False
    if tracking_status in EXCEPTIONS or recorded in _BEFORE_THE_LABEL:
        return True
    if recorded == ReturnStatus.CANCELLED:
        return is_first_scan(tracking_status)
    return status_after_tracking(recorded, tracking_status) is not None
