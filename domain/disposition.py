"""What happens to a returned item after inspection, and what the merchant gets back for it.

A `DispositionPolicy` is a merchant's rules (grade x category x reason ->
disposition, with a recovery estimate) on top of defaults. `decide` picks the
disposition for one item and estimates its recovery value. The routing of the
item to a facility is `domain.facilities.route_item`, with the decision's
`capability`.

Pure: no I/O and no clock.

Decisions:
- A rule matches an item when each criterion it gives matches (grades, categories,
  reasons; within one criterion any listed value does; an empty list: any).
  Categories compare ignoring case and surrounding spaces; an item without a
  category only matches rules without `categories`.
- The merchant's rules always come before the defaults: the defaults decide only
  items no merchant rule matches.
- Among matching rules (of one list) the highest priority wins, then the most
  specific: specificity is how many of grades, categories and reasons a rule
  constrains (0..3). So "grade B & apparel -> donate" beats "grade B ->
  refurbish" at the same priority without needing one.
- Two rules of one list that can match the same item with the same priority and
  the same specificity must have the same outcome (disposition and
  recovery_percent), or the policy is invalid: the error is at the later rule's
  priority. Same outcome: the earlier rule is the one reported. The check is per
  pair of rules (as in domain.policy), so such a pair is an error even when a
  higher rule shadows both: the error stays where the clash is.
- `defaults` must decide every grade and reason for any category (so `decide`
  always has an answer): each grade x reason needs a default rule without
  `categories` that matches it.
- Recovery value = unit_value.percent(recovery_percent): rounded down to the
  minor unit (Money's rule), so never above the unit value, never negative. It is
  an estimate of what the merchant recovers from the item, not a refund amount.

Default rules (DEFAULT_RULES; category names are the common ones, a merchant with
other names adds rules):
- grade A -> restock, 100%.
- grade B -> restock, 90%, for categories sold "like new" as they are
  (books, media, toys, games, home, sports); otherwise refurbish, 70%.
- grade C -> donate, 0%, for apparel (apparel, clothing): mending clothes rarely
  pays and a donation keeps them in use; refurbish, 40%, for electronics;
  otherwise recycle, 5%. (Apparel of grade B is not donated: like-new clothes
  are resold after refurbishing, which here means laundering and repacking.)
- grade D -> dispose, 0%, for hazardous categories (hazardous, batteries,
  chemicals, aerosols); otherwise recycle, 2%.
The return reason does not change a default (the grade says what the item is
now); merchants add reason rules, e.g. defective electronics -> liquidate.

Invalid policies raise pydantic's ValidationError (a ValueError) with one error
per problem, each located at its field (rules[1].recovery_percent,
rules[2].priority, defaults, ...).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from domain.facilities import Capability
from domain.money import Money
from domain.returns import Grade, ReturnReason
from domain.validation import (
    MAX_NAMES,
    MAX_RULES,
    Loc,
    Name,
    Percent,
    Priority,
    category_key,
    invalid,
    text,
)

__all__ = [
    "APPAREL_CATEGORIES",
    "DEFAULT_RULES",
    "ELECTRONICS_CATEGORIES",
    "HAZARDOUS_CATEGORIES",
    "LIKE_NEW_SELLABLE_CATEGORIES",
    "DispositionDecision",
    "DispositionKind",
    "DispositionPolicy",
    "DispositionRule",
    "decide",
]

_FORBID = ConfigDict(frozen=True, extra="forbid")


class DispositionKind(StrEnum):
    """What is done with a returned item; each has the facility Capability of the same name."""

    RESTOCK = "restock"
    REFURBISH = "refurbish"
    RECYCLE = "recycle"
    DONATE = "donate"
    DISPOSE = "dispose"
    LIQUIDATE = "liquidate"

    @property
    def capability(self) -> Capability:
        """What a facility must be able to do to take the item (the capability of the same name)."""
        return Capability(self.value)










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


LIKE_NEW_SELLABLE_CATEGORIES = ("books", "media", "toys", "games", "home", "sports")
APPAREL_CATEGORIES = ("apparel", "clothing")
ELECTRONICS_CATEGORIES = ("electronics",)
HAZARDOUS_CATEGORIES = ("hazardous", "batteries", "chemicals", "aerosols")

DEFAULT_RULES: tuple[DispositionRule, ...] = (
    DispositionRule(
        id="default:A", grades=[Grade.A], disposition=DispositionKind.RESTOCK, recovery_percent=100,
        description="new and unused: back into stock",
    ),
    DispositionRule(
        id="default:B-like-new-sellable", grades=[Grade.B], categories=list(LIKE_NEW_SELLABLE_CATEGORIES),
        disposition=DispositionKind.RESTOCK, recovery_percent=90,
        description="like new, in a category that sells like new as it is: back into stock",
    ),
    DispositionRule(
        id="default:B", grades=[Grade.B], disposition=DispositionKind.REFURBISH, recovery_percent=70,
        description="like new: refurbished (cleaned, repacked) and resold",
    ),
    DispositionRule(
        id="default:C-apparel", grades=[Grade.C], categories=list(APPAREL_CATEGORIES),
        disposition=DispositionKind.DONATE, recovery_percent=0,
        description="damaged clothing: donated (mending rarely pays)",
    ),
    DispositionRule(
        id="default:C-electronics", grades=[Grade.C], categories=list(ELECTRONICS_CATEGORIES),
        disposition=DispositionKind.REFURBISH, recovery_percent=40,
        description="damaged electronics: repaired and resold as refurbished",
    ),
    DispositionRule(
        id="default:C", grades=[Grade.C], disposition=DispositionKind.RECYCLE, recovery_percent=5,
        description="damaged: recycled",
    ),
    DispositionRule(
        id="default:D-hazardous", grades=[Grade.D], categories=list(HAZARDOUS_CATEGORIES),
        disposition=DispositionKind.DISPOSE, recovery_percent=0,
        description="unsalvageable and hazardous: disposed of safely",
    ),
    DispositionRule(
        id="default:D", grades=[Grade.D], disposition=DispositionKind.RECYCLE, recovery_percent=2,
        description="unsalvageable: recycled for materials",
    ),
)  # fmt: skip


def _ambiguities(rules: list[DispositionRule], field: str) -> list[tuple[Loc, str, Any]]:
    problems: list[tuple[Loc, str, Any]] = []
    first_id: dict[str, int] = {}
    for i, rule in enumerate(rules):
        if rule.id in first_id:
            problems.append(((field, i, "id"), f"rule id {rule.id!r} is already used by {field}[{first_id[rule.id]}]", rule.id))
        first_id.setdefault(rule.id, i)
        for j in range(i):
            other = rules[j]
            if (
                rule.priority == other.priority
                and rule.specificity == other.specificity
                and rule.outcome != other.outcome
                and rule.can_overlap(other)
            ):
                problems.append(
                    (
                        (field, i, "priority"),
                        (
                            f"rules {other.id!r} and {rule.id!r} can match the same item, are as specific and have the "
                            f"same priority ({rule.priority}) but decide differently "
                            f"({other.disposition.value} {other.recovery_percent}% vs {rule.disposition.value} "
                            f"{rule.recovery_percent}%); give one a higher priority"
                        ),
                        rule.priority,
                    )
                )
    return problems


def _uncovered(defaults: list[DispositionRule]) -> list[str]:
    """Grade x reason pairs no category-independent default decides, in words."""
    catch_alls = [r for r in defaults if not r.categories]
    missing: list[str] = []
    for grade in Grade:
        reasons = [r for r in ReturnReason if not any(rule.matches(grade, "", r) for rule in catch_alls)]
        if len(reasons) == len(ReturnReason):
            missing.append(f"grade {grade.value}")
        elif reasons:
            missing.append(f"grade {grade.value} returned as {', '.join(r.value for r in reasons)}")
    return missing


class DispositionPolicy(BaseModel):
    """A merchant's disposition rules, on top of the defaults (see the module docstring)."""

    model_config = _FORBID

    rules: list[DispositionRule] = Field(default_factory=list, max_length=MAX_RULES)
    defaults: list[DispositionRule] = Field(default_factory=lambda: list(DEFAULT_RULES), max_length=MAX_RULES)

    @model_validator(mode="after")
    def _consistent(self) -> DispositionPolicy:
        problems = _ambiguities(self.rules, "rules") + _ambiguities(self.defaults, "defaults")
        default_ids = {r.id: i for i, r in enumerate(self.defaults)}
        problems += [
            (("rules", i, "id"), f"rule id {r.id!r} is already used by defaults[{default_ids[r.id]}]", r.id)
            for i, r in enumerate(self.rules)
            if r.id in default_ids
        ]
        missing = _uncovered(self.defaults)
        if missing:
            problems.append(
                (
                    ("defaults",),
                    f"the defaults must decide every item; nothing decides {'; '.join(missing)} (add a rule without categories)",
                    [r.id for r in self.defaults],
                )
            )
        if problems:
            raise invalid("DispositionPolicy", problems)
        return self


class DispositionDecision(BaseModel):
    model_config = ConfigDict(frozen=True)

    disposition: DispositionKind
    recovery_percent: int
    recovery_value: Money  # estimate, per unit: unit value x recovery_percent, rounded down
    rule: str  # id of the rule that decided (defaults' ids start with "default:")

    @property
    def capability(self) -> Capability:
        return self.disposition.capability


def _winner(rules: list[DispositionRule], grade: Grade, category: str, reason: ReturnReason) -> DispositionRule | None:
    matching = [(i, r) for i, r in enumerate(rules) if r.matches(grade, category, reason)]
    if not matching:
        return None
    return min(matching, key=lambda ir: (-ir[1].priority, -ir[1].specificity, ir[0]))[1]


def decide(
    policy: DispositionPolicy,
    grade: Grade,
    category: str,
    reason: ReturnReason,
    unit_value: Money,
) -> DispositionDecision:
    """The disposition of one inspected item and its estimated recovery value per unit.

    `unit_value`: what one unit is worth undamaged (e.g. its unit price).
    """
    grade, reason = Grade(grade), ReturnReason(reason)
    rule = _winner(policy.rules, grade, category, reason) or _winner(policy.defaults, grade, category, reason)
    if rule is None:  # the policy's validation makes the defaults total
        raise AssertionError(f"no default rule decides grade {grade.value}, reason {reason.value}")
    return DispositionDecision(
        disposition=rule.disposition,
        recovery_percent=rule.recovery_percent,
        recovery_value=unit_value.percent(rule.recovery_percent),
        rule=rule.id,
    )
