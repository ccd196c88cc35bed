"""The disposition defaults every merchant starts from (see the package docstring for the reasoning)."""

from __future__ import annotations

from domain.disposition.rules import DispositionKind, DispositionRule
from domain.returns import Grade

__all__ = [
    "APPAREL_CATEGORIES",
    "DEFAULT_RULES",
    "ELECTRONICS_CATEGORIES",
    "HAZARDOUS_CATEGORIES",
    "LIKE_NEW_SELLABLE_CATEGORIES",
]

LIKE_NEW_SELLABLE_CATEGORIES = ("books", "media", "toys", "games", "home", "sports")
APPAREL_CATEGORIES = ("apparel", "clothing")
ELECTRONICS_CATEGORIES = ("electronics",)
HAZARDOUS_CATEGORIES = ("hazardous", "batteries", "chemicals", "aerosols")

DEFAULT_RULES: tuple[DispositionRule, ...] = (
    DispositionRule(
        id="default:A",
        grades=[Grade.A],
        disposition=DispositionKind.RESTOCK,
        recovery_percent=100,
        description="new and unused: back into stock",
    ),
    DispositionRule(
        id="default:B-like-new-sellable",
        grades=[Grade.B],
        categories=list(LIKE_NEW_SELLABLE_CATEGORIES),
        disposition=DispositionKind.RESTOCK,
        recovery_percent=90,
        description="like new, in a category that sells like new as it is: back into stock",
    ),
    DispositionRule(
        id="default:B",
        grades=[Grade.B],
        disposition=DispositionKind.REFURBISH,
        recovery_percent=70,
        description="like new: refurbished (cleaned, repacked) and resold",
    ),
    DispositionRule(
        id="default:C-apparel",
        grades=[Grade.C],
        categories=list(APPAREL_CATEGORIES),
        disposition=DispositionKind.DONATE,
        recovery_percent=0,
        description="damaged clothing: donated (mending rarely pays)",
    ),
    DispositionRule(
        id="default:C-electronics",
        grades=[Grade.C],
        categories=list(ELECTRONICS_CATEGORIES),
        disposition=DispositionKind.REFURBISH,
        recovery_percent=40,
        description="damaged electronics: repaired and resold as refurbished",
    ),
    DispositionRule(
        id="default:C",
        grades=[Grade.C],
        disposition=DispositionKind.RECYCLE,
        recovery_percent=5,
        description="damaged: recycled",
    ),
    DispositionRule(
        id="default:D-hazardous",
        grades=[Grade.D],
        categories=list(HAZARDOUS_CATEGORIES),
        disposition=DispositionKind.DISPOSE,
        recovery_percent=0,
        description="unsalvageable and hazardous: disposed of safely",
    ),
    DispositionRule(
        id="default:D",
        grades=[Grade.D],
        disposition=DispositionKind.RECYCLE,
        recovery_percent=2,
        description="unsalvageable: recycled for materials",
    ),
)
