"""What the label email says, in the shopper's language: the subject, the plain-text part and the HTML part.

Facts in, text out: no database, no network (activities/email.py reads the facts and sends the mail).
The templates are `activities/templates/label_email.{txt,html}.j2`, one Jinja environment per language
(activities.translations); their strings are in the `email` catalogue. Money is written as the language
writes it and times in the merchant's zone (domain.shopper_locale).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from activities.audience import Audience
from activities.translations import gettext_for, template_environment
from db.return_choices import SEND_METHODS
from domain.money import Money
from domain.rma import rma_code
from domain.shopper_locale import moment, money
from domain.validation import one_line

TEMPLATES = Path(__file__).resolve().parent / "templates"
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
DEFAULT_COLOUR = "#222222"


def N_(message: str) -> str:
    """Marks a string for the catalogue; it is translated where it is used."""
    return message


# A store return has no label to print: its subject says how to hand it in instead.
SUBJECTS = {
    "label": N_("Your return label for order %(order)s at %(merchant)s"),
    "store": N_("Your return of order %(order)s at %(merchant)s: how to hand it in"),
}


@dataclass(frozen=True)
class LabelEmailFacts:
    to: str
    shopper_name: str
    merchant_id: str
    order_id: str
    currency: str | None  # the order's; None: items are listed without their value
    label: dict[str, Any]
    items: list[dict[str, Any]]  # quantity, title, unit_price (minor units, or None)
    further_parcels: list[dict[str, Any]]  # labels of parcels 2.. when the return needs several
    audience: Audience
    label_bought_at: datetime | None  # when the label was bought: the label expiry counts from there
    label_expiry_days: int | None  # None: no deadline to tell (an exchange keeps its own)


@dataclass(frozen=True)
class LabelEmailContent:
    subject: str
    text: str
    html: str


@cache
def _environments():
    """Built on first use, so importing this module reads no catalogue."""
    return template_environment(TEMPLATES)


def _amount(unit_price: Any, quantity: Any, currency: str | None, language: str) -> str | None:
    if not currency or not isinstance(unit_price, int) or not isinstance(quantity, int) or unit_price < 0:
        return None
    return money(Money(amount=unit_price * max(quantity, 0), currency=currency), language)


def _with_language(url: str, language: str) -> str:
    """The portal opens in the language the email speaks (the portal reads `?lang=`)."""
    return f"{url}{'&' if '?' in url else '?'}lang={language}"


def _pickup_window(label: dict[str, Any], language: str, timezone: str) -> tuple[str, str] | None:
    """The booked window, when the booking has landed (it may still be under way when the mail goes)."""
    window = ((label.get("pickup") or {}).get("window")) or {}
    try:
        start = datetime.fromisoformat(str(window["min_datetime"]).replace("Z", "+00:00"))
        end = datetime.fromisoformat(str(window["max_datetime"]).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return None
    if start.tzinfo is None or end.tzinfo is None:
        return None
    return moment(start, language, timezone, "short"), moment(end, language, timezone, "short")


def _rma(return_id: str) -> str:
    try:
        return rma_code(return_id)
    except ValueError:  # an id from before the RMA rules: the store finds the return by its id
        return return_id


def label_email(return_id: str, facts: LabelEmailFacts, portal_url: str | None) -> LabelEmailContent:
    audience = facts.audience
    language = audience.language
    _ = gettext_for(language)
    label = facts.label
    send_method = audience.send_method if audience.send_method in SEND_METHODS else "label"
    carrier = label.get("carrier") or _("the carrier")
    deadline = None
    if facts.label_bought_at is not None and facts.label_expiry_days and send_method in ("label", "qr"):
        deadline = moment(
            facts.label_bought_at + timedelta(days=facts.label_expiry_days), language, audience.timezone, "short"
        )
    merchant = one_line(audience.merchant_name)
    context = {
        "shopper_name": one_line(facts.shopper_name),
        "merchant_name": merchant,
        "logo_url": audience.logo_url if (audience.logo_url or "").startswith("https://") else None,
        "brand_color": audience.brand_color if _COLOUR.fullmatch(audience.brand_color or "") else DEFAULT_COLOUR,
        "support_email": audience.support_email,
        "return_id": return_id,
        "rma_code": _rma(return_id),
        "order_id": facts.order_id,
        "items": [
            {
                "quantity": item["quantity"],
                "title": item["title"],
                "value": _amount(item.get("unit_price"), item["quantity"], facts.currency, language),
            }
            for item in facts.items
        ],
        "send_method": send_method,
        "carrier": carrier,
        "service": label.get("service") or "",
        "tracking_code": label["tracking_code"],
        "label_url": label["label_url"],
        "pickup_window": _pickup_window(label, language, audience.timezone),
        "deadline": deadline,
        "portal_url": _with_language(portal_url, language) if portal_url else None,
        "parcels": 1 + len(facts.further_parcels),
    }
    env = _environments()[language]
    return LabelEmailContent(
        subject=_(SUBJECTS["store" if send_method == "store" else "label"])
        % {"order": one_line(facts.order_id), "merchant": merchant},
        text=env.get_template("label_email.txt.j2").render(context),
        html=env.get_template("label_email.html.j2").render(context),
    )
