"""Who reads a return's label email and packing slip, and how to speak to them.

The shopper's language and send method come from `return_choices` (written by the API when the
return was created); a return from before those choices, or made some other way, is read in the
merchant's language. The merchant side is what the shopper sees of the shop today: its display
name, logo, brand colour, support address, time zone and country (which sets the slip's paper).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from db.return_choices import choices_of
from db.returns import get_return
from db.tables import Merchant, Order, ReturnRecord
from domain.merchant import DEFAULT_TIMEZONE
from domain.paper import Paper, paper_size
from domain.shopper_locale import LANGUAGES, choose_language


@dataclass(frozen=True)
class Audience:
    language: str  # one of domain.shopper_locale.LANGUAGES
    send_method: str | None  # label, qr, pickup, store; None: not recorded (an older return)
    merchant_name: str
    timezone: str = DEFAULT_TIMEZONE
    paper: Paper = "letter"
    logo_url: str | None = None
    brand_color: str | None = None
    support_email: str | None = None


ENGLISH = Audience(language="en", send_method=None, merchant_name="")


def audience_of(session: Session, merchant: Merchant | None, merchant_id: str, return_id: str) -> Audience:
    """The return's reader: the recorded choices, else the merchant's language."""
    choice = choices_of(session, merchant_id, return_id)
    if choice is not None and choice.language in LANGUAGES:
        language = choice.language
    else:
        language = choose_language(None, None, None, merchant.locale if merchant else None)
    if merchant is None:
        return Audience(
            language=language, send_method=choice.send_method if choice else None, merchant_name=merchant_id
        )
    return Audience(
        language=language,
        send_method=choice.send_method if choice else None,
        merchant_name=merchant.display_name or merchant.name,
        timezone=merchant.timezone or DEFAULT_TIMEZONE,
        paper=paper_size(merchant.country),
        logo_url=merchant.logo_url,
        brand_color=merchant.brand_color,
        support_email=merchant.support_email,
    )


@dataclass(frozen=True)
class SlipInputs:
    """What a packing slip is printed from; `row` None: no such return for the merchant."""

    row: ReturnRecord | None
    lines: list
    currency: str | None
    audience: Audience


def packing_slip_inputs(session: Session, merchant_id: str, return_id: str) -> SlipInputs:
    row = get_return(session, merchant_id, return_id)
    if row is None:
        return SlipInputs(None, [], None, ENGLISH)
    order = session.get(Order, (merchant_id, row.order_id))
    merchant = session.get(Merchant, merchant_id)
    return SlipInputs(
        row,
        (order.lines or []) if order else [],
        order.currency if order else None,
        audience_of(session, merchant, merchant_id, return_id),
    )
