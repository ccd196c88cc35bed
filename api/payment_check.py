"""An order's `payment.reference`, checked with Stripe when the order is registered (PUT /v1/orders/{id}).

The payment must be the merchant's (its `metadata["merchant_id"]`, see domain/payout.py), exist,
have succeeded, and be in the order's currency; otherwise 422 naming `payment.reference`. A payment
that is another merchant's answers exactly as one that does not exist, so nothing about other
merchants' payments can be learned this way. Stripe unreachable or failing: 503, retry later; never
a 500. The payments activity checks all of it again before paying (activities/payments.py).
"""

from __future__ import annotations

import logging

import stripe
from starlette.concurrency import run_in_threadpool

from activities.merchant_accounts import is_own_account
from activities.payment_facts import StripeSettings, read_payment, stripe_client
from api.errors import ApiError
from domain.payout import PaymentFacts, payment_problem

log = logging.getLogger("returnflow.api")

FIELD = "payment.reference"
TIMEOUT_SECONDS = 10


def _read(settings: StripeSettings, reference: str) -> PaymentFacts | None:
    return read_payment(stripe_client(settings, timeout=TIMEOUT_SECONDS), reference)


async def check_payment_reference(settings: StripeSettings, merchant_id: str, reference: str, currency: str) -> None:
    """Raise ApiError 422 when the reference may not be paid against for this merchant's order, 503 when
    Stripe does not answer. `settings`: the merchant's Stripe account (activities/merchant_accounts.py:
    its own where it set a key, else the platform's)."""
    try:
        payment = await run_in_threadpool(_read, settings, reference)
    except (stripe.AuthenticationError, stripe.PermissionError) as err:
        if not is_own_account(settings):
            log.warning("payment check failed: Stripe refused the platform's key (%s)", getattr(err, "code", None))
            raise ApiError(503, "payments_unavailable", "the payment provider is unavailable; retry later") from err
        raise ApiError(
            422,
            "payment_account_refused",
            f"{FIELD}: Stripe refused your own secret key; set a working one (or clear it) with "
            "PUT /v1/merchant/credentials",
            field=FIELD,
        ) from err
    except stripe.StripeError as err:
        log.warning("payment check failed: Stripe %s %s", getattr(err, "http_status", None), getattr(err, "code", None))
        raise ApiError(503, "payments_unavailable", "the payment provider is unavailable; retry later") from err
    problem = payment_problem(payment, merchant_id=merchant_id, currency=currency)
    if problem is None:
        return
    if problem.code in ("not_found", "not_owned"):
        code, message = "payment_not_found", f"no payment {reference!r} of yours was found at Stripe"
    else:
        code, message = f"payment_{problem.code}", problem.message
    raise ApiError(422, code, f"{FIELD}: {message}", field=FIELD, details=[{"field": FIELD, "message": message}])
