"""EasyPost-shaped API errors: every non-2xx body is {"error": {"code", "message", "errors"}}."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        errors: list[Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors or []
        self.headers = headers or {}  # sent with the answer (a 429's Retry-After)

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "errors": self.errors}}


def not_found() -> ApiError:
    return ApiError(404, "NOT_FOUND", "The requested resource could not be found.")


def param_required(field: str) -> ApiError:
    # Recorded shape (test_error.yaml): PARAMETER.REQUIRED naming the blank field.
    return ApiError(
        422, "PARAMETER.REQUIRED", "Missing required parameter.", [{"field": field, "message": "cannot be blank"}]
    )


def param_invalid(field: str, message: str) -> ApiError:
    return ApiError(422, "PARAMETER.INVALID", "Invalid parameter.", [{"field": field, "message": message}])


def unprocessable(code: str, message: str, errors: list[Any] | None = None) -> ApiError:
    return ApiError(422, code, message, errors)
