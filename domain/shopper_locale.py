"""What a shopper reads, in their language: which of our languages to speak, and money and times
formatted the way that language writes them (Babel's CLDR data, not hand-written patterns).

The portal and the emails (issues #13, #14) format through here, so "€ 141,90" (nl), "141,90 €"
(de, fr) and "€141.90" (en) come from one place.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime
from babel.numbers import format_currency, get_currency_precision

from domain.clock import require_aware
from domain.money import Money

LANGUAGES = ("nl", "en", "de", "fr")  # complete translations exist for these only
DEFAULT_LANGUAGE = "en"


def _ours(tag: str | None) -> str | None:
    """`de-AT`, `nl_BE`, `FR` → our language, or None for one we do not speak (or nonsense)."""
    if not tag or len(tag) > 35:
        return None
    try:
        language = Locale.parse(tag.strip().replace("-", "_")).language
    except (ValueError, TypeError, UnknownLocaleError):
        return None
    return language if language in LANGUAGES else None


def accepted_languages(header: str | None) -> list[str]:
    """An Accept-Language header's languages we speak, best first (by q, then by order); q=0 means no."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate((header or "")[:1000].split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                continue
        if q > 0 and (language := _ours(tag)) is not None:
            ranked.append((-q, i, language))
    seen: list[str] = []
    for _, _, language in sorted(ranked):
        if language not in seen:
            seen.append(language)
    return seen


def choose_language(
    asked: str | None, cookie: str | None, accept_language: str | None, merchant_locale: str | None
) -> str:
    """The portal's order: `?lang=`, then the cookie, then the browser's Accept-Language, then the merchant's locale."""
    candidates: Iterable[str | None] = (
        _ours(asked),
        _ours(cookie),
        *accepted_languages(accept_language)[:1],
        _ours(merchant_locale),
    )
    return next((c for c in candidates if c), DEFAULT_LANGUAGE)


def money(amount: Money, language: str) -> str:
    """Minor units shown as the language writes the currency: nl `€ 141,90`, de `141,90 €`, en `€141.90`."""
    units = Decimal(amount.amount).scaleb(-get_currency_precision(amount.currency))
    return format_currency(units, amount.currency, locale=language)


def moment(at: datetime, language: str, timezone: str, length: str = "medium") -> str:
    """An aware UTC time, shown in the merchant's time zone as the language writes it."""
    require_aware(at, "at")
    return format_datetime(at, length, tzinfo=ZoneInfo(timezone), locale=language)
