"""Turn SDK errors into Temporal's two kinds: retry later, or never (non-retryable).

Transient (network, timeouts, 429, 5xx): raised retryable, Temporal backs off.
Permanent (the service understood and said no: 400/401/402/403/404/422): raised
non-retryable with the provider's error code kept in the details.
"""

from __future__ import annotations

import easypost.errors as ep
import stripe
from temporalio.exceptions import ApplicationError

CARRIER_REJECTED = "CarrierRequestRejected"
PAYMENT_REJECTED = "PaymentRejected"
# A payout that would exceed what the order's payment captured (less what was already paid
# back), and a payment reference that is not the merchant's: never paid, never turned into
# store credit; the return goes to ops.
PAYOUT_BOUND = "PayoutExceedsCapture"
PAYMENT_NOT_OWNED = "PaymentNotOwned"
PERMANENT_ERROR_TYPES = (CARRIER_REJECTED, PAYMENT_REJECTED, PAYOUT_BOUND, PAYMENT_NOT_OWNED)

_PERMANENT_HTTP = {400, 401, 402, 403, 404, 405, 422}


def carrier_error(err: Exception) -> ApplicationError:
    status = getattr(err, "http_status", None)
    code = getattr(err, "code", None)
    message = f"EasyPost {status or 'error'} {code or ''}: {getattr(err, 'message', None) or err}".strip()
    if isinstance(err, ep.ApiError) and status in _PERMANENT_HTTP:
        return ApplicationError(message, {"code": code, "http_status": status}, type=CARRIER_REJECTED, non_retryable=True)
    return ApplicationError(message, {"code": code, "http_status": status}, type="CarrierUnavailable")


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
    if transient:
        return ApplicationError(message, {"code": code, "http_status": status}, type="PaymentUnavailable")
    return ApplicationError(message, {"code": code, "http_status": status}, type=PAYMENT_REJECTED, non_retryable=True)


# The shopper's mail server said no for good (5xx: no such mailbox, message refused): the
# label email is given up at once; the label stays in the portal. 4xx and network errors retry.
EMAIL_REJECTED = "EmailRejected"
