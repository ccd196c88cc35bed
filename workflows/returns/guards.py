"""The updates' validators: a request the return cannot take now is refused before it enters the
history, with an error type the API maps to an HTTP answer (api/returns_gateway.py)."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain import carrier as carrier_rules
    from domain.status import ReturnStatus as S
    from workflows.messages import (
        CancelRequest,
        ErrorType,
        PickupStatus,
        PickupWindow,
        ReplacementStatus,
        ReviewDecision,
        SubmitReturn,
    )
    from workflows.returns.patches import Patch
    from workflows.returns.state import ReturnState


def _refuse(message: str, kind: ErrorType = ErrorType.WRONG_STATE) -> ApplicationError:
    return ApplicationError(message, type=kind)


def check_submit(state: ReturnState, req: SubmitReturn) -> None:
    if req.request_fingerprint != state.inp.request_fingerprint:
        raise _refuse("this return id was created by a different request", ErrorType.IDEMPOTENCY_CONFLICT)


def check_review(state: ReturnState, decision: ReviewDecision) -> None:
    if state.status != S.PENDING_REVIEW or state.review is not None:
        raise _refuse(f"the return is {state.status.value}; only a return held for review can be reviewed")


def check_schedule_pickup(state: ReturnState, window: PickupWindow) -> None:
    if state.status != S.LABEL_CREATED or carrier_rules.is_first_scan(state.tracking_status):
        raise _refuse(
            f"the return is {state.status.value}; a pickup can be booked only before the carrier has the parcel"
        )
    if state.label.pickup is not None and state.label.pickup.status == PickupStatus.SCHEDULED:
        raise _refuse(f"pickup {state.label.pickup.pickup_id} is already scheduled; cancel it first")
    if window.max_datetime <= window.min_datetime or window.max_datetime <= workflow.now():
        raise _refuse("the pickup window must end after it starts, and in the future", ErrorType.INVALID_PICKUP)
    # A validator's refusal is never in the history: returns that booked more before this rule replay as they ran.
    _refuse_past_the_cap(state)


def _refuse_past_the_cap(state: ReturnState) -> None:
    if state.pickups_booked >= carrier_rules.MOST_PICKUPS_PER_RETURN:
        raise _refuse(
            f"this return has booked {state.pickups_booked} pickups, the most one return may book; "
            f"drop the parcel off with its label or QR code instead",
            ErrorType.TOO_MANY_PICKUPS,
        )


def check_cancel_pickup(state: ReturnState) -> None:
    pickup = state.label.pickup if state.label else None
    if pickup is None or pickup.status != PickupStatus.SCHEDULED or carrier_rules.is_first_scan(state.tracking_status):
        said = "no pickup is booked" if pickup is None else f"the pickup is {pickup.status}"
        raise _refuse(f"{said}; only a scheduled pickup not yet made can be cancelled")


def check_cancel(state: ReturnState, req: CancelRequest) -> None:
    if state.cancel is not None:
        return  # already being cancelled: this one answers with the same outcome
    if state.exchange is not None and any(r.status == ReplacementStatus.SHIPPED for r in state.exchange.replacements):
        raise _refuse(
            "the replacement has already been sent to the shopper; the return can no longer be cancelled: "
            "the original is expected back"
        )
    if not state.status.is_cancellable or carrier_rules.is_first_scan(state.tracking_status):
        raise _refuse(f"the return is {state.status.value}; it can be cancelled only until the carrier scans it")


def still_bookable(state: ReturnState) -> None:
    """Checked again once the label lock is held: the return may have changed while waiting for it,
    and a booking that held the lock meanwhile (`run`'s own) may have scheduled a pickup."""
    if state.cancel is not None or state.status != S.LABEL_CREATED:
        said = "being cancelled" if state.cancel else state.status.value
        raise _refuse(f"the return is {said}; no pickup was booked")
    pickup = state.label.pickup
    # Patched: a history that booked a second pickup here replays as it ran.
    if pickup is not None and pickup.status == PickupStatus.SCHEDULED and state.patched(Patch.ONE_PICKUP_AT_A_TIME):
        raise _refuse(f"pickup {pickup.pickup_id} is already scheduled; cancel it first")
    # Bookings validated together all passed the validator's count; the one past the cap is refused here. Patched:
    # a history that booked past the cap here replays as it ran.
    if state.pickups_booked >= carrier_rules.MOST_PICKUPS_PER_RETURN and state.patched(Patch.PICKUP_BOOKING_CAP):
        _refuse_past_the_cap(state)
