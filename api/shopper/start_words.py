"""The sentences of starting a return, in the shopper's language (`_` is that language's gettext).

Labels of reasons and resolutions are the portal's own until the policy's shopper wording
(domain/policy) offers them per language.
"""

from __future__ import annotations

from collections.abc import Callable

from domain.returns import Resolution, ReturnReason

Gettext = Callable[[str], str]


def reason_labels(_: Gettext) -> dict[ReturnReason, str]:
    return {
        ReturnReason.TOO_SMALL: _("Too small"),
        ReturnReason.TOO_LARGE: _("Too large"),
        ReturnReason.DEFECTIVE: _("Faulty"),
        ReturnReason.NOT_AS_DESCRIBED: _("Not as described"),
        ReturnReason.WRONG_ITEM: _("Wrong item sent"),
        ReturnReason.DAMAGED_IN_TRANSIT: _("Damaged in delivery"),
        ReturnReason.CHANGED_MIND: _("Changed my mind"),
        ReturnReason.ARRIVED_LATE: _("Arrived too late"),
    }


def resolution_labels(_: Gettext) -> dict[Resolution, str]:
    return {
        Resolution.REFUND: _("Refund"),
        Resolution.STORE_CREDIT: _("Store credit"),
        Resolution.EXCHANGE: _("Exchange"),
    }


def send_labels(_: Gettext) -> dict[str, str]:
    return {
        "label": _("Print a label"),
        "qr": _("Drop it off with a QR code (no printer needed)"),
        "pickup": _("Have the carrier pick it up"),
        "store": _("Hand it in at one of our stores"),
    }


def step_labels(_: Gettext) -> dict[str, str]:
    return {
        "items": _("Items"),
        "resolution": _("What you get"),
        "send": _("How to send"),
        "confirm": _("Confirm"),
    }


def error_sentence(code: str, _: Gettext) -> str:
    """An ApiError's code from creating the return, as the shopper reads it."""
    return {
        "not_eligible": _("The return policy does not allow this return. Please check your items and choices."),
        "invalid_items": _("Some of these items are no longer available to return. Please choose again."),
        "invalid_request": _("Something in your choices does not fit together. Please check them again."),
        "invalid_exchange": _("The item you chose in exchange is not available. Please choose another one."),
        "address_unverifiable": _(
            "The carrier could not verify the address on your order. Please contact the shop to correct it."
        ),
        "order_not_found": _("We could not find your order any more. Please look it up again."),
    }.get(code, _("We could not create your return just now. Please try again in a minute."))


def draft_refused(_: Gettext) -> str:
    return _("Your choices could not be read. Please start again.")


def window_ended(date: str, _: Gettext) -> str:
    return _("The return window ended on %(date)s.") % {"date": date}


def final_sale(_: Gettext) -> str:
    return _("This item is final sale and can't be returned.")
