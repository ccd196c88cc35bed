"""What the shopper gets from a return, in their language: the refund or store credit (amount and where it
stands), the price difference of an exchange, and each replacement's state."""

from __future__ import annotations

from typing import Any

from api.shopper import words
from db.tables import ReturnRecord
from domain.money import Money
from domain.shopper_locale import money


def _money(amount: dict[str, Any], lang: str) -> str:
    try:
        return money(Money(amount=amount["amount"], currency=amount["currency"]), lang)
    except (KeyError, TypeError, ValueError):
        return ""


def outcome(row: ReturnRecord, merchant: str, lang: str, _: Any) -> dict[str, Any] | None:
    """What the shopper gets: the refund, the store credit, the replacements."""
    sentences: list[str] = []
    replacements = []
    exchange = row.exchange or {}
    for r in exchange.get("replacements") or []:
        replacements.append(
            {
                "sku": r.get("sku", ""),
                "quantity": r.get("quantity", 1),
                "status": words.replacement(r.get("status"), _),
                "tracking_code": r.get("tracking_code") if r.get("status") == "shipped" else None,
            }
        )
    settlement = row.refund
    if settlement:
        fill = {"amount": _money(settlement.get("amount") or {}, lang), "merchant": merchant}
        status, method = settlement.get("status"), settlement.get("method")
        difference = exchange.get("settle_difference") in ("refund", "store_credit")
        if status == "charged":
            sentences.append(
                _("The price difference of %(amount)s was charged to your original payment method.") % fill
            )
        elif status == "charge_failed":
            sentences.append(
                _("The price difference of %(amount)s could not be charged; %(merchant)s will contact you about it.")
                % fill
            )
        elif status in ("not_required", "exchanged"):
            if not replacements:
                sentences.append(_("Nothing is owed either way for this return."))
        elif method == "refund" and status == "succeeded":
            text = (
                _("%(amount)s (the price difference) has been refunded to your original payment method.")
                if difference
                else _("%(amount)s has been refunded to your original payment method.")
            )
            sentences.append(text % fill + " " + _("It can take a few days to show on your statement."))
        elif method == "refund":
            text = (
                _("A refund of %(amount)s (the price difference) to your original payment method is on its way.")
                if difference
                else _("A refund of %(amount)s to your original payment method is on its way.")
            )
            sentences.append(text % fill)
        elif method == "store_credit" and status == "issued":
            sentences.append(_("%(amount)s of store credit has been added for you at %(merchant)s.") % fill)
        elif method == "store_credit":
            sentences.append(_("%(amount)s of store credit is on its way.") % fill)
    if not sentences and not replacements:
        return None
    return {"sentences": sentences, "replacements": replacements}
