"""Stripe-shaped errors.

Every error body carries the same five keys (`type`, `code`, `message`, `param`, `doc_url`) so
clients can rely on their presence; stripe-python picks the exception class from the HTTP status
plus `type`/`code` (see STRIPE_REFUNDS.md §5).
"""

from __future__ import annotations

from typing import Any

DOC_BASE = "https://docs.stripe.com/error-codes"


class StripeError(Exception):
    """Raised anywhere in request handling; app.py turns it into a JSON response."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "type": self.type,
                "code": self.code,
                "message": self.message,
                "param": self.param,
                "doc_url": f"{DOC_BASE}/{self.code.replace('_', '-')}" if self.code else None,
            }
        }


def invalid(message: str, *, code: str | None = None, param: str | None = None) -> StripeError:
    return StripeError(400, message, code=code, param=param)


def missing_param(param: str) -> StripeError:
    return invalid(f"Missing required param: {param}.", code="parameter_missing", param=param)


def unknown_param(param: str) -> StripeError:
    return invalid(f"Received unknown parameter: {param}", code="parameter_unknown", param=param)


def invalid_integer(param: str) -> StripeError:
    return invalid(
        f"Invalid integer: {param} must be a positive integer.",
        code="parameter_invalid_integer",
        param=param,
    )


def no_such(kind: str, object_id: str, param: str | None = None) -> StripeError:
    # Stripe answers unknown ids with 404 + resource_missing and names the offending field.
    return StripeError(404, f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


def authentication(message: str) -> StripeError:
    # Real Stripe sends type invalid_request_error on 401; the SDK keys off the status.
    return StripeError(401, message, headers={"WWW-Authenticate": 'Basic realm="Stripe"'})


def idempotency(message: str) -> StripeError:
    return StripeError(400, message, type="idempotency_error")


def api_error(status: int = 500) -> StripeError:
    return StripeError(
        status,
        "An unknown error occurred. (injected by the Returnflow payments sandbox)",
        type="api_error",
    )


def rate_limited() -> StripeError:
    return StripeError(
        429,
        "Request rate limit exceeded. You can learn more about rate limits here "
        "https://stripe.com/docs/rate-limits. (injected by the Returnflow payments sandbox)",
        code="rate_limit",
    )
