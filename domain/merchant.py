"""Who a merchant is (what it is created with) and what its shoppers see of it, with the rules on each field.

Shared by the `returnflow` CLI, the admin API and `PUT /v1/merchant`, so every door refuses the same values
with the same message (a 422 naming the field over HTTP).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Annotated, Literal
from zoneinfo import available_timezones

from pydantic import AfterValidator, AnyUrl, BaseModel, ConfigDict, Field, UrlConstraints

from domain.returns import ReturnReason
from domain.validation import CountryCode, CurrencyCode, Documented, Email, problem, repeats, text

Locale = Literal["nl", "en", "de", "fr"]
SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"  # lower case, digits and inner hyphens; fits a URL
BRAND_COLOR_PATTERN = r"^#[0-9a-fA-F]{6}$"
TIMEZONE_PATTERN = r"^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$"  # the shape of an IANA name; the zone must also exist
DEFAULT_LOCALE: Locale = "en"
DEFAULT_TIMEZONE = "UTC"
API_KEY_SCOPES = ("merchant", "warehouse", "ops", "read", "store")
ApiKeyScope = Literal["merchant", "warehouse", "ops", "read", "store"]


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def iana_timezone(value: str) -> str:
    """An IANA time zone name the system knows (`Europe/Amsterdam`)."""
    if value not in _zones():
        raise problem(f"{value!r} is not an IANA time zone name (like Europe/Amsterdam)")
    return value


def slug(value: str) -> str:
    if not re.fullmatch(SLUG_PATTERN, value):
        raise problem(
            f"{value!r} is not a slug: 1 to 64 lower-case letters, digits and hyphens, "
            "starting and ending with a letter or digit"
        )
    return value


def brand_color(value: str) -> str:
    if not re.fullmatch(BRAND_COLOR_PATTERN, value):
        raise problem(f"{value!r} is not a colour as #rrggbb")
    return value.lower()


def distinct_reasons(value: list[ReturnReason]) -> list[ReturnReason]:
    for i, first in repeats(value).items():
        raise problem(f"reason {value[i].value!r} is listed twice (at {first} and {i})")
    return value


TimeZone = Annotated[str, Field(max_length=64), AfterValidator(iana_timezone), Documented(TIMEZONE_PATTERN)]
Slug = Annotated[str, Field(max_length=64), AfterValidator(slug), Documented(SLUG_PATTERN)]
BrandColor = Annotated[str, AfterValidator(brand_color), Documented(BRAND_COLOR_PATTERN, 7)]
# https only: the logo is shown on the shopper's page and in emails, which must not load mixed content.
LOGO_URL_MAX = 2000


def _fits(url: AnyUrl) -> AnyUrl:
    """The limit holds for the URL as stored: normalising (a trailing slash, escapes) can lengthen it."""
    if len(str(url)) > LOGO_URL_MAX:
        raise ValueError(f"the URL is longer than {LOGO_URL_MAX} characters once normalised")
    return url


LogoUrl = Annotated[AnyUrl, UrlConstraints(max_length=LOGO_URL_MAX, allowed_schemes=["https"]), AfterValidator(_fits)]
ReturnReasons = Annotated[
    list[ReturnReason], Field(min_length=1, max_length=len(ReturnReason)), AfterValidator(distinct_reasons)
]


class MerchantProfile(BaseModel):
    """What a merchant is created with."""

    model_config = ConfigDict(extra="forbid")

    name: text(128, 1)
    slug: Slug
    country: CountryCode
    currency: CurrencyCode
    locale: Locale = DEFAULT_LOCALE
    timezone: TimeZone = DEFAULT_TIMEZONE


class ShopperSettings(BaseModel):
    """What a shopper sees of the merchant: on the return page and in the emails. Unset fields: the defaults
    (the merchant's name, no support address or logo, English, UTC, every return reason in its usual order)."""

    model_config = ConfigDict(extra="forbid")

    display_name: text(128, 1) | None = None
    support_email: Email | None = None
    logo_url: LogoUrl | None = None
    brand_color: BrandColor | None = None
    locale: Locale = DEFAULT_LOCALE
    timezone: TimeZone = DEFAULT_TIMEZONE
    return_reasons: ReturnReasons = Field(default_factory=lambda: list(ReturnReason))
