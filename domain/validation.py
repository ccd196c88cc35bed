"""Field rules shared by the API's schemas and the documents merchants save.

Errors for documents merchants save (policy, facilities, disposition rules), each at its field path:
raised inside pydantic validators, so the API's 422 names e.g. `rules[1].priority`. And the limits on
everything a request can carry (numbers, free text, ids, times), as annotated types, in one place.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    EmailStr,
    Field,
    GetJsonSchemaHandler,
    StringConstraints,
    ValidationError,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import InitErrorDetails, PydanticCustomError

Loc = tuple[str | int, ...]


def problem(message: str) -> PydanticCustomError:
    """A field validator's error; unlike a ValueError, its message is not prefixed with "Value error, "."""
    return PydanticCustomError("invalid_document", "{problem}", {"problem": message})


def invalid(model: str, problems: list[tuple[Loc, str, Any]]) -> ValidationError:
    """One error per problem, each at its own field path (prefixed by where the model sits in the document)."""
    return ValidationError.from_exception_data(
        model,
        [InitErrorDetails(type=problem(msg), loc=loc, input=value) for loc, msg, value in problems],
    )


def repeats(keys: Iterable[Hashable]) -> dict[int, int]:
    """Position -> position of the first equal key, for each key seen before (for "x is already y[first]")."""
    first: dict[Hashable, int] = {}
    again: dict[int, int] = {}
    for i, key in enumerate(keys):
        if key in first:
            again[i] = first[key]
        else:
            first[key] = i
    return again


def require_positive(value: int, name: str) -> int:
    """`value` if it is at least 1; a ValueError naming the argument otherwise (a count of units or days)."""
    if value < 1:
        raise ValueError(f"{name} must be at least 1, not {value}")
    return value


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


# ---- limits on what a request can carry -------------------------------------------------
# One place for every bound: the API's schemas and the documents merchants save use these types,
# so a number, a string, an id or a time from outside is checked the same way wherever it comes in
# (a 422 naming the field), and nothing past here meets a value the database or a carrier refuses.

MAX_MONEY = 1_000_000_000  # minor units (10 million in a cent currency). Money columns are 32-bit
# integers (2**31 - 1) on PostgreSQL: an order's total, even with a 100 % store-credit bonus, fits.
MAX_QUANTITY = 10_000  # units of one order line, return item or replacement
MAX_STOCK = 10_000_000  # units on hand, a facility's units a day
MAX_DAYS = 3650
MAX_PRIORITY = 1_000_000  # rule priorities, either sign
MAX_ITEMS = 500  # entries in a list of a saved document (facilities, ...)
MAX_RULES = 100  # rules of a policy or of disposition: checked pairwise for overlaps, so kept small
MAX_NAMES = 100  # entries in a list of names (skus, categories, tags, carriers, tiers)
MAX_VARIANTS = 10_000  # a catalog's variants (the request body limit may bind first)
MAX_ID_LENGTH = 128
MAX_RETURN_ID_LENGTH = 64  # the returns table's id column (ret_ + 24 hex)
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"  # ids in paths and bodies alike: URL-safe, no "/", "%" or spaces
# How far ahead of our clock a merchant's "now" may be.
CLOCK_SKEW = timedelta(minutes=10)
# Times outside [EARLIEST, LATEST) are typos or attacks, and far enough from years 1 and 9999 that
# no arithmetic on them overflows.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)

# No control characters (C0, DEL, C1: CR, LF, NUL, TAB...), line or paragraph separators, bidi
# embedding/override/isolate marks, or lone surrogates (which cannot be stored as UTF-8) in any free
# text: names and addresses reach mail headers and carriers; notes and reasons reach people and logs.
_FORBIDDEN_CHARS = r"\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
# Documented in the OpenAPI; enforced by plain_text (with a clearer message than a regex's). Lone surrogates
# are not characters a regex engine (or UTF-8) knows, so the pattern cannot name them; plain_text refuses them too.
TEXT_PATTERN = rf"^[^{_FORBIDDEN_CHARS}]*$"
_FORBIDDEN = re.compile(rf"[{_FORBIDDEN_CHARS}\ud800-\udfff]")


def plain_text(value: str) -> str:
    """The value, if it has none of the characters above."""
    if (bad := _FORBIDDEN.search(value)) is not None:
        raise problem(
            f"control or invisible formatting characters are not allowed (U+{ord(bad.group()):04X} at {bad.start()})"
        )
    return value


def one_line(value: str) -> str:
    """`value` with every character plain_text refuses made a space, and runs of spaces made one: for a mail
    header, whatever was stored before these rules (a CR/LF never reaches a header)."""
    return " ".join(_FORBIDDEN.sub(" ", value).split())


@dataclass(frozen=True)
class Documented:
    """Shows a rule a validator enforces (with a clearer message than a regex's) in the OpenAPI document."""

    pattern: str | None = None
    max_length: int | None = None

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core_schema)
        if self.pattern is not None:
            schema["pattern"] = self.pattern
        if self.max_length is not None:
            schema["maxLength"] = self.max_length
        return schema


@cache
def text(max_length: int, min_length: int = 0) -> Any:
    """Free text of at most `max_length` characters and no control characters."""
    return Annotated[
        str,
        StringConstraints(min_length=min_length, max_length=max_length),
        AfterValidator(plain_text),
        Documented(TEXT_PATTERN),
    ]


def _in_range(value: datetime) -> datetime:
    if not EARLIEST <= value < LATEST:
        raise problem(f"must be between {EARLIEST.year} and {LATEST.year}")
    return value


def _not_in_the_future(value: datetime) -> datetime:
    if value > datetime.now(UTC) + CLOCK_SKEW:
        minutes = int(CLOCK_SKEW.total_seconds() // 60)
        raise problem(f"is in the future ({value.isoformat()}); our clock allows {minutes} minutes of skew")
    return value


MinorUnits = Annotated[int, Field(ge=0, le=MAX_MONEY, description=f"integer minor units, at most {MAX_MONEY}")]
Quantity = Annotated[int, Field(ge=1, le=MAX_QUANTITY)]
Units = Annotated[int, Field(ge=0, le=MAX_STOCK)]
Days = Annotated[int, Field(ge=0, le=MAX_DAYS)]
Percent = Annotated[int, Field(ge=0, le=100)]
Priority = Annotated[int, Field(ge=-MAX_PRIORITY, le=MAX_PRIORITY)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Id = Annotated[str, Field(min_length=1, max_length=MAX_ID_LENGTH, pattern=ID_PATTERN)]
ReturnId = Annotated[str, Field(min_length=1, max_length=MAX_RETURN_ID_LENGTH, pattern=ID_PATTERN)]
TrackingCode = Annotated[str, Field(min_length=1, max_length=64, pattern=ID_PATTERN)]  # the carrier's
Email = Annotated[EmailStr, Documented(max_length=254)]  # email-validator refuses CR/LF and overlong addresses
Name = text(128)  # a category, tag, carrier, service or tier: short, one line (blank ones: the document says)
Sku = text(128, 1)
CountryCode = Annotated[str, AfterValidator(country_code), Documented(r"^[A-Za-z]{2}$", 2)]
CurrencyCode = Annotated[str, AfterValidator(currency_code), Documented(r"^[A-Za-z]{3}$", 3)]
# A time zone is required (naive times are refused), and the year is sane.
Instant = Annotated[AwareDatetime, AfterValidator(_in_range)]
# An Instant that has happened: an order placed or delivered "next year" is a typo or a trick.
PastInstant = Annotated[AwareDatetime, AfterValidator(_in_range), AfterValidator(_not_in_the_future)]
