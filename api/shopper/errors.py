"""A portal page that cannot be answered: raised anywhere, turned into a localized HTML page by `web.install`."""

from __future__ import annotations

from typing import Any


class PortalError(Exception):
    """`kind` picks the page's words (api.shopper.web.ERROR_WORDS); `lang` the language; `merchant` its branding."""

    def __init__(self, lang: str, status: int, kind: str, merchant: Any = None) -> None:
        super().__init__(kind)
        self.lang, self.status, self.kind, self.merchant = lang, status, kind, merchant
