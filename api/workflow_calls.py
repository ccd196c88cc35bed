"""Talking to return workflows from the API, with Temporal's errors turned into HTTP ones."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import timedelta
from typing import TypeVar

from temporalio.client import (
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import ApiError
from workflows.messages import ErrorType

T = TypeVar("T")

# How long an update waits for a worker before the API answers 503.
UPDATE_RPC_TIMEOUT = timedelta(seconds=25)

_STATUS_BY_ERROR = {
    ErrorType.IDEMPOTENCY_CONFLICT: (409, "idempotency_conflict"),
    ErrorType.WRONG_STATE: (409, "wrong_state"),
    ErrorType.ALREADY_INSPECTED: (409, "already_inspected"),
    ErrorType.UNKNOWN_LINE: (422, "unknown_line"),
    ErrorType.INVALID_INSPECTION: (422, "invalid_inspection"),
    ErrorType.INVALID_PICKUP: (422, "invalid_pickup"),
    ErrorType.PICKUP_REFUSED: (422, "pickup_refused"),
}


async def call(update: Awaitable[T], closed_status: str | None = None, timeout_is_error: bool = True) -> T:
    """Await a workflow update; a refusal by its validator becomes the matching 4xx.

    Updates need a worker: when none answers within the RPC timeout the caller gets a
    503 to retry (or, with `timeout_is_error=False`, the timeout to handle itself).
    """
    try:
        return await update
    except WorkflowUpdateRPCTimeoutOrCancelledError as err:
        if not timeout_is_error:
            raise
        raise ApiError(503, "workers_unavailable", "no worker answered in time; retry") from err
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        if isinstance(cause, ApplicationError) and cause.type in _STATUS_BY_ERROR:
            status, code = _STATUS_BY_ERROR[cause.type]
            extra = {"return_status": closed_status} if code == "wrong_state" and closed_status else {}
            raise ApiError(status, code, cause.message, **extra) from err
        # Anything else the workflow refused with: say what, never a 500.
        message = getattr(cause, "message", None) or str(cause or err)
        raise ApiError(409, "update_failed", f"the return did not take the request: {message}"[:500]) from err
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            # The workflow has closed: nothing about this return can change any more.
            raise ApiError(409, "wrong_state", f"the return is {closed_status or 'closed'}; it can no longer change",
                           return_status=closed_status or "closed") from err
        if err.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
            raise ApiError(503, "temporal_unavailable", "the workflow service is unreachable; retry later") from err
        raise
