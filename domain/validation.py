"""Errors for documents merchants save (policy, facilities, disposition rules), each at its field path.

Raised inside pydantic validators, so the API's 422 names e.g. `rules[1].priority`.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

Loc = tuple[str | int, ...]


def problem(message: str) -> PydanticCustomError:
    """A field validator's error; unlike a ValueError, its message is not prefixed with "Value error, "."""
    return PydanticCustomError("invalid_document", "{problem}", {"problem": message})


def invalid(model: str, problems: list[tuple[Loc, str, Any]]) -> ValidationError:
    """One error per problem, each at its own field path (prefixed by where the model sits in the document)."""
    return ValidationError.from_exception_data(
        model, [InitErrorDetails(type=problem(msg), loc=loc, input=value) for loc, msg, value in problems]
    )


def category_key(category: str) -> str:
    """Categories compare ignoring case and surrounding spaces."""
    return category.strip().casefold()


def country_code(value: str) -> str:
    """ISO 3166-1 alpha-2, upper case."""
    if len(value) != 2 or not value.isalpha():
        raise problem(f"{value!r} is not an ISO 3166 alpha-2 country code")
    return value.upper()


def currency_code(value: str) -> str:
    """ISO 4217, upper case."""
    if len(value) != 3 or not value.isalpha():
        raise problem(f"{value!r} is not a three-letter ISO 4217 currency code")
    return value.upper()
