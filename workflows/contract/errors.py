"""Error types: what the API maps to HTTP statuses, and what the workflows and the worker tell apart."""

from __future__ import annotations


# Error types raised by update validators; the API maps them to HTTP statuses.
class ErrorType:
    IDEMPOTENCY_CONFLICT = "IdempotencyConflict"
    WRONG_STATE = "WrongState"
    UNKNOWN_LINE = "UnknownLine"
    ALREADY_INSPECTED = "AlreadyInspected"
    INVALID_INSPECTION = "InvalidInspection"
    INVALID_PICKUP = "InvalidPickup"
    PICKUP_REFUSED = "PickupRefused"
