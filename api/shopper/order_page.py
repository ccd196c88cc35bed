"""The order page a shopper sees once they found their order: its lines and this order's returns."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date

from api.portal_links import portal_url
from api.shopper.words import status_headline
from domain.money import Money
from domain.shopper_locale import money
from settings import Settings


def day(at: datetime, lang: str, timezone: str) -> str:
    """A date as the language writes it (`4 dec. 2026`), in the merchant's time zone."""
    return format_date(at.astimezone(ZoneInfo(timezone)), "medium", locale=lang)


def _price(amount: Any, currency: str, lang: str) -> str:
    try:
        return money(Money(amount=int(amount), currency=currency), lang)
    except (TypeError, ValueError):
        return ""


def view(settings: Settings, merchant: Any, order: Any, returns: list[Any], lang: str, _: Any) -> dict[str, Any]:
    timezone = merchant.timezone or "UTC"
    lines = []
    for line in order.lines or []:
        quantity = int(line.get("quantity") or 1)
        lines.append(
            {
                "title": line.get("title") or line.get("sku") or "",
                "sku": line.get("sku") or "",
                "quantity": quantity,
                "price": _price((line.get("unit_price") or 0) * quantity, order.currency, lang),
            }
        )
    return {
        "order_number": order.id,
        "placed": day(order.placed_at, lang, timezone),
        "lines": lines,
        "returns": [
            {
                "created": day(row.created_at, lang, timezone),
                "status": status_headline(row.status, row.resolution, _),
                "url": portal_url(settings, row.id, row.merchant_id),
                "id": row.id,
            }
            for row in returns
        ],
    }
