"""The sentences of starting a return, in the shopper's language (`_` is that language's gettext).

Labels of reasons and resolutions are the policy's (domain.policy.reason_label, resolution_label), whose
msgids this domain's catalogue translates.
"""

from __future__ import annotations

from collections.abc import Callable

from domain.policy import reason_label, resolution_label
from domain.returns import Resolution, ReturnReason

Gettext = Callable[[str], str]


def reason_labels(_: Gettext) -> dict[ReturnReason, str]:
    return {r: reason_label(r, _) for r in ReturnReason}


def resolution_labels(_: Gettext) -> dict[Resolution, str]:
    return {r: resolution_label(r, _) for r in Resolution}


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
        "invalid_photos": _("Your photos could not be added to the return. Please add them again."),
        "unknown_store": _("This store cannot take returns. Please choose another one."),
    }.get(code, _("We could not create your return just now. Please try again in a minute."))


def draft_refused(_: Gettext) -> str:
    return _("Your choices could not be read. Please start again.")
