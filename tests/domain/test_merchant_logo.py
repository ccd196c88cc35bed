"""The logo URL's limit holds for the URL as stored, not only as sent (found by the API fuzzer: a
2000-character URL normalised to 2001 was saved, and every read of the settings then failed)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from domain.merchant import LOGO_URL_MAX, ShopperSettings


def test_a_url_that_normalises_past_the_limit_is_refused():
    url = "https://" + ".".join(["a" * 63] * 31) + ".examples"  # no path: normalising adds the trailing slash
    assert len(url) == LOGO_URL_MAX
    with pytest.raises(ValidationError, match="once normalised"):
        ShopperSettings(logo_url=url)


def test_a_url_within_the_limit_as_stored_is_kept():
    settings = ShopperSettings(logo_url="https://shop.example/logo.png")
    assert str(settings.logo_url) == "https://shop.example/logo.png"
