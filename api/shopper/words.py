"""The words a shopper reads about a return, marked for the `follow` catalogue and translated where shown.

Each table maps a stored value (status, reason, pickup state, ...) to source text; `_` is the page language's
gettext. Whole sentences per case, never words glued together, so every language can order them its own way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Gettext = Callable[[str], str]


def N_(text: str) -> str:
    """Marks a string for the catalogue; translated where it is shown."""
    return text


# status -> (headline, sentence); %(merchant)s is the shop's name.
STATUS_WORDS: dict[str, tuple[str, str]] = {
    "requested": (N_("Return requested"), N_("We have your return request and are preparing your label.")),
    "pending_review": (
        N_("Under review"),
        N_("%(merchant)s is reviewing your return. You get a label as soon as it is approved."),
    ),
    "rejected": (N_("Not accepted"), N_("%(merchant)s could not accept this return.")),
    "label_created": (N_("Label ready"), N_("Your return label is ready. Pack your items and send the parcel.")),
    "awaiting_hand_in": (
        N_("Ready to hand in"),
        N_("Bring your items to the store and show the code on this page."),
    ),
    "in_transit": (N_("On its way"), N_("Your parcel is on its way to the returns centre.")),
    "delivered": (N_("Delivered"), N_("Your parcel has been delivered to the returns centre.")),
    "received": (N_("Received"), N_("The returns centre has your parcel and will check your items shortly.")),
    "inspected": (N_("Items checked"), N_("Your items have been checked.")),
    "completed": (N_("Complete"), N_("Your return is complete.")),
    "cancelled": (N_("Cancelled"), N_("This return was cancelled.")),
    "expired": (N_("Expired"), N_("This return expired: the parcel was not sent before the label ran out.")),
}
# settling, by resolution: (headline, sentence, sentence when the shopper keeps the items)
SETTLING_WORDS: dict[str, tuple[str, str, str]] = {
    "refund": (
        N_("Refund in progress"),
        N_("We are processing your refund."),
        N_("You can keep your items. We are processing your refund."),
    ),
    "store_credit": (
        N_("Store credit in progress"),
        N_("We are processing your store credit."),
        N_("You can keep your items. We are processing your store credit."),
    ),
    "exchange": (
        N_("Exchange in progress"),
        N_("We are processing your exchange."),
        N_("You can keep your items. We are processing your exchange."),
    ),
}
REASON_WORDS = {
    "too_small": N_("Too small"),
    "too_large": N_("Too large"),
    "defective": N_("Faulty"),
    "not_as_described": N_("Not as described"),
    "wrong_item": N_("Wrong item sent"),
    "damaged_in_transit": N_("Damaged in delivery"),
    "changed_mind": N_("Changed my mind"),
    "arrived_late": N_("Arrived too late"),
}
REPLACEMENT_WORDS = {
    "reserved": N_("set aside for you"),
    "shipped": N_("shipped"),
    "released": N_("not available: not sent"),
    "voided": N_("shipment cancelled"),
}
DROP_OFF_INSTEAD = N_("Please drop the parcel off instead, with the label or the QR code.")
PICKUP_WORDS = {
    "scheduled": N_("A %(carrier)s pickup is booked at your address: %(window)s."),
    "picked_up": N_("The carrier picked up your parcel."),
    "cancelled": N_("The pickup was cancelled."),
    "cancelled_by_carrier": N_("The carrier cancelled the pickup."),
    "missed": N_("The carrier did not come in the pickup window."),
}
NO_LABEL_WORDS = {
    "requested": N_("Your label is being prepared. Refresh this page in a minute."),
    "pending_review": N_("You get a label once %(merchant)s has approved the return."),
    "rejected": N_("This return was not accepted, so there is nothing to send."),
    "cancelled": N_("This return was cancelled: its label can no longer be used."),
    "expired": N_("The label has expired and can no longer be used."),
    "awaiting_hand_in": N_("No label needed: you hand your items in at the store."),
}
TIMELINE_WORDS = {
    "emailed": N_("We emailed you the label and the drop-off QR code"),
    "relabel": N_("Your label was replaced: use the new one"),
    "pickup_booked": N_("Carrier pickup booked"),
    "pickup_failed": N_("The pickup did not happen: drop the parcel off instead"),
    "pickup_cancelled": N_("Carrier pickup cancelled"),
}


def status_headline(status: str, resolution: str, _: Gettext) -> str:
    if status == "settling":
        return _(SETTLING_WORDS.get(resolution, SETTLING_WORDS["refund"])[0])
    words = STATUS_WORDS.get(status)
    return _(words[0]) if words else status.replace("_", " ").capitalize()


def status_sentence(status: str, resolution: str, merchant: str, kept: bool, _: Gettext) -> str:
    if status == "settling":
        words = SETTLING_WORDS.get(resolution, SETTLING_WORDS["refund"])
        return _(words[2] if kept else words[1])
    words = STATUS_WORDS.get(status)
    return _(words[1]) % {"merchant": merchant} if words else ""


def reason(code: Any, _: Gettext) -> str:
    code = str(code or "")
    return _(REASON_WORDS[code]) if code in REASON_WORDS else code.replace("_", " ").capitalize()


def replacement(status: Any, _: Gettext) -> str:
    status = str(status or "")
    return _(REPLACEMENT_WORDS[status]) if status in REPLACEMENT_WORDS else status.replace("_", " ")
