"""What can be done with a returned item (`DispositionKind`), what a facility needs to do it
(`capability_for`), and a merchant's rule choosing it (`DispositionRule`).

The rules are stated once, in the package docstring (`domain.disposition`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.facilities import Capability
from domain.returns import Grade, ReturnReason
from domain.validation import (
    MAX_NAMES,
    Loc,
    Name,
    Percent,
    Priority,
    category_key,
    invalid,
    text,
)

__all__ = ["CAPABILITY_FOR_DISPOSITION", "DispositionKind", "DispositionRule", "capability_for"]


class DispositionKind(StrEnum):
    """What is done with a returned item; the facility that takes it needs `capability_for(kind)`."""

    RESTOCK = "restock"
    REFURBISH = "refurbish"
    RECYCLE = "recycle"
    DONATE = "donate"
    DISPOSE = "dispose"
    LIQUIDATE = "liquidate"

    @property
    def capability(self) -> Capability:
        """What a facility must be able to do to take the item."""
        return capability_for(self)


# The one place a disposition becomes a facility capability. The words match today, but the two
# are separate vocabularies stored separately (dispositions in item routes and workflow histories,
# capabilities in facility documents), so the link is stated rather than read off the strings.
CAPABILITY_FOR_DISPOSITION: dict[DispositionKind, Capability] = {
    DispositionKind.RESTOCK: Capability.RESTOCK,
    DispositionKind.REFURBISH: Capability.REFURBISH,
    DispositionKind.RECYCLE: Capability.RECYCLE,
    DispositionKind.DONATE: Capability.DONATE,
    DispositionKind.DISPOSE: Capability.DISPOSE,
    DispositionKind.LIQUIDATE: Capability.LIQUIDATE,
}


def capability_for(disposition: DispositionKind | str) -> Capability:
    """The capability a facility needs to take an item of this disposition (a stored value is accepted)."""
    return CAPABILITY_FOR_DISPOSITION[DispositionKind(disposition)]


_FORBID = ConfigDict(frozen=True, extra="forbid")


class DispositionRule(BaseModel):
    """Items matching grades x categories x reasons (empty: any) get `disposition`."""

    model_config = _FORBID

    id: text(100, 1)
    description: text(500) = ""
    grades: list[Grade] = Field(default_factory=list, max_length=MAX_NAMES)
    categories: list[Name] = Field(default_factory=list, max_length=MAX_NAMES)
    reasons: list[ReturnReason] = Field(default_factory=list, max_length=MAX_NAMES)
    disposition: DispositionKind
    recovery_percent: Percent = Field(description="estimated share of the unit value recovered")
    priority: Priority = 0  # higher wins

    @field_validator("categories")
    @classmethod
    def _categories(cls, v: list[str]) -> list[str]:
        problems: list[tuple[Loc, str, Any]] = [
            ((i,), "a category cannot be blank (leave the list empty to match every category)", c)
            for i, c in enumerate(v)
            if not category_key(c)
        ]
        if problems:
            raise invalid("DispositionRule", problems)
        return [c.strip() for c in v]

    @property
    def specificity(self) -> int:
        return sum(1 for criterion in (self.grades, self.categories, self.reasons) if criterion)

    @property
    def outcome(self) -> tuple[DispositionKind, int]:
        return self.disposition, self.recovery_percent

    def matches(self, grade: Grade, category: str, reason: ReturnReason) -> bool:
        if self.grades and grade not in self.grades:
            return False
        if self.categories and category_key(category) not in {category_key(c) for c in self.categories}:
            return False
        return not self.reasons or reason in self.reasons

    def can_overlap(self, other: DispositionRule) -> bool:
        """Could one item match both? (An item has one grade, one category, one reason.)"""
        if self.grades and other.grades and not set(self.grades) & set(other.grades):
            return False
        mine, theirs = {category_key(c) for c in self.categories}, {category_key(c) for c in other.categories}
        if mine and theirs and not mine & theirs:
            return False
        return not (self.reasons and other.reasons and not set(self.reasons) & set(other.reasons))
