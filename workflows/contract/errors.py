"""Error types: what the API maps to HTTP statuses, and what the workflows and the worker tell apart."""

from __future__ import annotations

from enum import StrEnum


class ErrorType(StrEnum):
    """Raised by the return workflow's update validators and handlers; the API maps them to HTTP statuses."""

    IDEMPOTENCY_CONFLICT = "IdempotencyConflict"
    WRONG_STATE = "WrongState"
    UNKNOWN_LINE = "UnknownLine"
    ALREADY_INSPECTED = "AlreadyInspected"
    INVALID_INSPECTION = "InvalidInspection"
    INVALID_PICKUP = "InvalidPickup"
    PICKUP_REFUSED = "PickupRefused"
    TOO_MANY_PICKUPS = "TooManyPickups"  # the return booked domain.carrier.MOST_PICKUPS_PER_RETURN already


class ActivityErrorType(StrEnum):
    """The `type` of the ApplicationErrors activities raise (activities/errors.py maps SDK errors to them)."""

    CARRIER_REJECTED = "CarrierRequestRejected"  # EasyPost understood and said no (4xx)
    CARRIER_UNAVAILABLE = "CarrierUnavailable"
    PAYMENT_REJECTED = "PaymentRejected"
    PAYMENT_UNAVAILABLE = "PaymentUnavailable"
    # A payout above what the order's payment captured (less what was already paid back), or on a
    # payment that is not the merchant's: never paid, never turned into store credit; ops decide.
    PAYOUT_EXCEEDS_CAPTURE = "PayoutExceedsCapture"
    PAYMENT_NOT_OWNED = "PaymentNotOwned"
    REFUND_PENDING = "RefundPending"  # asked again with backoff until Stripe settles it
    VOID_PENDING = "VoidPending"  # asked again with backoff until the carrier settles the label refund
    EXCHANGE_REJECTED = "ExchangeRejected"
    NO_ROUTE = "NoRoute"
    # The shopper's mail server said no for good (5xx): the label email is given up at once.
    EMAIL_REJECTED = "EmailRejected"
    EMAIL_UNAVAILABLE = "EmailUnavailable"
    LABEL_UNAVAILABLE = "LabelUnavailable"
    LABEL_NOT_RECORDED = "LabelNotRecorded"
    RETURN_NOT_FOUND = "ReturnNotFound"
    MERCHANT_ENDPOINT_FAILED = "MerchantEndpointFailed"


# Never retried, whatever the activity (workflows.activity_options).
PERMANENT_ACTIVITY_ERRORS = (
    ActivityErrorType.CARRIER_REJECTED,
    ActivityErrorType.PAYMENT_REJECTED,
    ActivityErrorType.PAYOUT_EXCEEDS_CAPTURE,
    ActivityErrorType.PAYMENT_NOT_OWNED,
)
# Retried on purpose while the outside world catches up: waiting, not failing (the worker's trouble watch).
WAITING_ACTIVITY_ERRORS = frozenset({ActivityErrorType.REFUND_PENDING, ActivityErrorType.VOID_PENDING})
