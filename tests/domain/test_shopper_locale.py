"""Money, times and the language choice as a Dutch, German, French or English shopper reads them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.money import Money
from domain.shopper_locale import LANGUAGES, accepted_languages, choose_language, moment, money

NBSP = "\xa0"


@pytest.mark.parametrize(
    ("language", "shown"),
    [("nl", f"€{NBSP}141,90"), ("de", f"141,90{NBSP}€"), ("fr", f"141,90{NBSP}€"), ("en", "€141.90")],
)
def test_the_issue_s_amounts_in_each_language(language, shown):
    assert money(Money(amount=14190, currency="EUR"), language) == shown


def test_currencies_without_cents_and_other_currencies():
    assert money(Money(amount=500, currency="JPY"), "en") == "¥500"
    assert money(Money(amount=1050, currency="USD"), "nl") == f"US${NBSP}10,50"
    assert money(Money(amount=0, currency="EUR"), "de") == f"0,00{NBSP}€"


@given(st.integers(min_value=0, max_value=10**9), st.sampled_from(LANGUAGES))
def test_every_amount_keeps_its_cents(minor, language):
    shown = money(Money(amount=minor, currency="EUR"), language)
    digits = "".join(c for c in shown if c.isdigit())
    assert int(digits) == minor


def test_times_in_the_merchant_s_zone_and_language():
    at = datetime(2026, 12, 24, 8, 30, tzinfo=UTC)
    assert "09:30" in moment(at, "nl", "Europe/Amsterdam")
    assert "dec" in moment(at, "nl", "Europe/Amsterdam")
    assert moment(at, "de", "Europe/Berlin") == "24.12.2026, 09:30:00"
    assert "Dez" in moment(at, "de", "Europe/Berlin", length="long")
    with pytest.raises(ValueError, match="at"):
        moment(datetime(2026, 12, 24, 8, 30), "en", "UTC")


def test_the_language_is_chosen_query_then_cookie_then_browser_then_merchant():
    assert choose_language("de", "fr", "nl", "en") == "de"
    assert choose_language(None, "fr", "nl", "en") == "fr"
    assert choose_language("xx", None, "es, nl-BE;q=0.8, en;q=0.9", "de") == "en"
    assert choose_language(None, None, None, "nl") == "nl"
    assert choose_language(None, None, "ja", "pt") == "en"


@pytest.mark.parametrize(
    ("header", "ours"),
    [
        ("nl-NL,nl;q=0.9,en-US;q=0.8,en;q=0.7", ["nl", "en"]),
        ("fr-CH, fr;q=0.9, de;q=0.95", ["fr", "de"]),
        ("de;q=0, en", ["en"]),
        ("*, de;q=nonsense, ;;;", []),
        ("", []),
        ("x" * 5000, []),
    ],
)
def test_accept_language_is_read_by_quality_and_never_raises(header, ours):
    assert accepted_languages(header) == ours
