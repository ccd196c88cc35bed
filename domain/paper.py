"""Which paper a merchant's printouts are laid out for: A4 across Europe, US Letter elsewhere.

ISO A4 is the paper of the EU and EEA, the UK and Switzerland; the Americas print on Letter. A slip
sized for the other paper prints shrunk or cut off, so the packing slip follows the merchant's country.
"""

from __future__ import annotations

from typing import Literal

from domain.policy.parts import EU_COUNTRIES

Paper = Literal["A4", "letter"]

# The EEA beyond the EU, and the European countries outside both that print on A4 too.
A4_COUNTRIES: frozenset[str] = EU_COUNTRIES | {"IS", "LI", "NO", "GB", "CH"}


def paper_size(country: str | None) -> Paper:
    """`NL` → A4, `US` → letter; an unknown or missing country is letter (the layout the slip always had)."""
    return "A4" if (country or "").strip().upper() in A4_COUNTRIES else "letter"
