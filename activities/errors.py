"""Turn SDK errors into Temporal's two kinds: retry later, or never (non-retryable).

Transient (network, timeouts, 429, 5xx): raised retryable, Temporal backs off; after an EasyPost
429 the next attempt waits what its Retry-After asked (activities/carrier_pace.py).
Permanent (the service understood and said no: 400/401/402/403/404/422): raised
non-retryable with the provider's error code kept in the details.
"""

from __future__ import annotations

from datetime import timedelta

import easypost.errors as ep
import stripe
from temporalio.exceptions import ApplicationError

from activities.carrier_pace import CarrierBusy, retry_after_seen
from workflows.messages import ActivityErrorType

_PERMANENT_HTTP = {400, 401, 402, 403, 404, 405, 422}


def carrier_error(err: Exception) -> ApplicationError:
    status = getattr(err, "http_status", None)
    code = getattr(err, "code", None)
    message = f"EasyPost {status or 'error'} {code or ''}: {getattr(err, 'message', None) or err}".strip()
    details = {"code": code, "http_status": status}
    if isinstance(err, ep.ApiError) and status in _PERMANENT_HTTP:
        return ApplicationError(message, details, type=ActivityErrorType.CARRIER_REJECTED, non_retryable=True)
    hold = err.wait if isinstance(err, CarrierBusy) else retry_after_seen() if status == 429 else None
    return ApplicationError(
        message,
        details,
        type=ActivityErrorType.CARRIER_UNAVAILABLE,
        next_retry_delay=timedelta(seconds=hold) if hold else None,
    )


def payment_error(err: stripe.StripeError) -> ApplicationError:
    status = getattr(err, "http_status", None)
    code = getattr(err, "code", None)
    message = f"Stripe {status or 'error'} {code or ''}: {err.user_message or str(err)}".strip()
    # 409: another attempt with the same Idempotency-Key is still running (say, one that timed
    # out on our side); asking again later gets its stored answer.
    transient = (
        isinstance(err, (stripe.RateLimitError, stripe.APIConnectionError))
        or status == 409
        or (isinstance(err, stripe.APIError) and (status is None or status >= 500))
    )
    details = {"code": code, "http_status": status}
    if transient:
        return ApplicationError(message, details, type=ActivityErrorType.PAYMENT_UNAVAILABLE)
    return ApplicationError(message, details, type=ActivityErrorType.PAYMENT_REJECTED, non_retryable=True)
