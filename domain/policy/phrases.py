"""The pieces the policy's shopper sentences are built from, and its short shopper labels.

`N_` marks a text for `pybabel extract` (babel.cfg) without translating it: the text is the
msgid, translated where it is used by the gettext callable the caller passes (pure code takes
gettext as an argument, never loads a catalogue).

Labels (`reason_label`, `resolution_label`, `label`) are what the portal shows beside a choice:
"Too small" / "Te klein" / "Zu klein" / "Trop petit".
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from domain.returns import Resolution, ReturnReason

__all__ = ["Gettext", "Label", "N_", "label", "reason_label", "resolution_label"]

Gettext = Callable[[str], str]


def N_(text: str) -> str:
    """Marks `text` for translation; returns it unchanged (it is translated where it is used)."""
    return text


def english(text: str) -> str:
    """The gettext of the recorded quote: the source text itself."""
    return text


# The end of a subordinate clause ("because ...", "when ..."): Dutch and German put the verb last
# ("omdat het artikel te klein is", "weil der Artikel zu klein ist").
REASON_PHRASE = {
    # TRANSLATORS: ends "because ..." or "when ..."; in nl/de, subordinate word order (verb last).
    ReturnReason.TOO_SMALL: N_("the item is too small"),
    ReturnReason.TOO_LARGE: N_("the item is too large"),
    ReturnReason.DEFECTIVE: N_("the item is defective"),
    ReturnReason.NOT_AS_DESCRIBED: N_("the item is not as described"),
    ReturnReason.WRONG_ITEM: N_("you received the wrong item"),
    ReturnReason.DAMAGED_IN_TRANSIT: N_("the item was damaged in transit"),
    ReturnReason.CHANGED_MIND: N_("you changed your mind"),
    ReturnReason.ARRIVED_LATE: N_("the item arrived late"),
}

# Always the object of the sentence ("returned for ...", "you chose ...", "... is not available"
# in English; translations put it where an object goes, e.g. German accusative "einen Umtausch").
RESOLUTION_PHRASE = {
    # TRANSLATORS: the object of "returned for ...", "you chose ..." (German: accusative, "einen Umtausch").
    Resolution.REFUND: N_("a refund"),
    Resolution.STORE_CREDIT: N_("store credit"),
    Resolution.EXCHANGE: N_("an exchange"),
}

# English names of markets, with their article ("Returns to the Netherlands ..."). Other languages
# name the market through Babel's (CLDR) territory names instead.
PLACE_NAMES = {
    "EU": "the EU",
    "US": "the United States",
    "GB": "the United Kingdom",
    "CA": "Canada",
    "AU": "Australia",
    "AT": "Austria",
    "BE": "Belgium",
    "BG": "Bulgaria",
    "HR": "Croatia",
    "CY": "Cyprus",
    "CZ": "Czechia",
    "DK": "Denmark",
    "EE": "Estonia",
    "FI": "Finland",
    "FR": "France",
    "DE": "Germany",
    "GR": "Greece",
    "HU": "Hungary",
    "IE": "Ireland",
    "IT": "Italy",
    "LV": "Latvia",
    "LT": "Lithuania",
    "LU": "Luxembourg",
    "MT": "Malta",
    "NL": "the Netherlands",
    "PL": "Poland",
    "PT": "Portugal",
    "RO": "Romania",
    "SK": "Slovakia",
    "SI": "Slovenia",
    "ES": "Spain",
    "SE": "Sweden",
}


def or_list(words: list[str]) -> str:
    """The recorded English list: "a refund, store credit or an exchange" (no serial comma)."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


# ---- short labels ------------------------------------------------------------------------------

# The same texts as the portal's first labels (api/shopper/start_words.py), so one msgid, one translation.
REASON_LABEL = {
    ReturnReason.TOO_SMALL: N_("Too small"),
    ReturnReason.TOO_LARGE: N_("Too large"),
    ReturnReason.DEFECTIVE: N_("Faulty"),
    ReturnReason.NOT_AS_DESCRIBED: N_("Not as described"),
    ReturnReason.WRONG_ITEM: N_("Wrong item sent"),
    ReturnReason.DAMAGED_IN_TRANSIT: N_("Damaged in delivery"),
    ReturnReason.CHANGED_MIND: N_("Changed my mind"),
    ReturnReason.ARRIVED_LATE: N_("Arrived too late"),
}
RESOLUTION_LABEL = {
    Resolution.REFUND: N_("Refund"),
    Resolution.STORE_CREDIT: N_("Store credit"),
    Resolution.EXCHANGE: N_("Exchange"),
}


class Label(StrEnum):
    """The policy's other short labels: a column heading, a badge on a line."""

    KEEP_ITEM = "keep_item"
    RESTOCKING_FEE = "restocking_fee"
    RETURN_SHIPPING_FEE = "return_shipping_fee"
    FREE_RETURN_SHIPPING = "free_return_shipping"
    STORE_CREDIT_BONUS = "store_credit_bonus"
    INSTANT_REFUND = "instant_refund"
    FINAL_SALE = "final_sale"
    WINDOW_ENDED = "window_ended"
    NOT_RETURNABLE = "not_returnable"
    INSPECTED = "inspected"
    PHOTOS_NEEDED = "photos_needed"


LABEL = {
    Label.KEEP_ITEM: N_("Keep the item"),
    Label.RESTOCKING_FEE: N_("Restocking fee"),
    Label.RETURN_SHIPPING_FEE: N_("Return shipping fee"),
    Label.FREE_RETURN_SHIPPING: N_("Free return shipping"),
    Label.STORE_CREDIT_BONUS: N_("Store credit bonus"),
    Label.INSTANT_REFUND: N_("Instant refund"),
    Label.FINAL_SALE: N_("Final sale"),
    Label.WINDOW_ENDED: N_("Return window ended"),
    Label.NOT_RETURNABLE: N_("Not returnable"),
    Label.INSPECTED: N_("Inspected on arrival"),
    Label.PHOTOS_NEEDED: N_("Photos needed"),
}


def reason_label(reason: ReturnReason, gettext: Gettext) -> str:
    """ "Too small" / "Te klein" / "Zu klein" / "Trop petit"."""
    return gettext(REASON_LABEL[ReturnReason(reason)])


def resolution_label(resolution: Resolution, gettext: Gettext) -> str:
    """ "Refund" / "Terugbetaling" / "Erstattung" / "Remboursement"."""
    return gettext(RESOLUTION_LABEL[Resolution(resolution)])


def label(which: Label, gettext: Gettext) -> str:
    """One of the policy's short labels (`Label`) in gettext's language."""
    return gettext(LABEL[Label(which)])
