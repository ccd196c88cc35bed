"""Which provider errors are retried and which are final (the workflow's fallback depends on it)."""

from __future__ import annotations

import easypost.errors as ep
import pytest
import stripe

from activities.errors import carrier_error, payment_error
from workflows.messages import ActivityErrorType


@pytest.mark.parametrize(
    "err,final",
    [
        (stripe.RateLimitError("slow down", http_status=429), False),
        (stripe.APIConnectionError("reset"), False),
        (stripe.APIError("boom", http_status=500), False),
        # A concurrent attempt holds the Idempotency-Key: ask again later, never give up.
        (stripe.APIError("in use", http_status=409, code="idempotency_key_in_use"), False),
        (
            stripe.InvalidRequestError("already refunded", param=None, code="charge_already_refunded", http_status=400),
            True,
        ),
        (
            stripe.InvalidRequestError(
                "no such payment", param="payment_intent", code="resource_missing", http_status=404
            ),
            True,
        ),
        (stripe.AuthenticationError("bad key", http_status=401), True),
        (stripe.IdempotencyError("different params", http_status=400), True),
    ],
)
def test_payment_errors(err, final):
    mapped = payment_error(err)
    assert mapped.non_retryable is final
    assert (mapped.type == ActivityErrorType.PAYMENT_REJECTED) is final


@pytest.mark.parametrize(
    "err,final",
    [
        (ep.RateLimitError("slow", http_status=429), False),
        (ep.InternalServerError("boom", http_status=500), False),
        (ep.ServiceUnavailableError("down", http_status=503), False),
        (ep.TimeoutError("timeout"), False),
        (ep.InvalidRequestError("bad address", http_status=422, code="ADDRESS.VERIFY.FAILURE"), True),
        (ep.UnauthorizedError("bad key", http_status=401), True),
        (ep.PaymentError("no funds", http_status=402), True),
    ],
)
def test_carrier_errors(err, final):
    mapped = carrier_error(err)
    assert mapped.non_retryable is final
    assert (mapped.type == ActivityErrorType.CARRIER_REJECTED) is final
