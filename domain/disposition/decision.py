"""A merchant's disposition policy (its rules on top of the defaults), checked as a whole, and
`decide`: the disposition of one inspected item and its estimated recovery value.

The rules are stated once, in the package docstring (`domain.disposition`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.disposition.defaults import DEFAULT_RULES
from domain.disposition.rules import DispositionKind, DispositionRule, capability_for
from domain.facilities import Capability
from domain.money import Money
from domain.returns import Grade, ReturnReason
from domain.validation import MAX_RULES, Loc, invalid, repeats

__all__ = ["DispositionDecision", "DispositionPolicy", "decide"]

_FORBID = ConfigDict(frozen=True, extra="forbid")


def _ambiguities(rules: list[DispositionRule], field: str) -> list[tuple[Loc, str, Any]]:
    problems: list[tuple[Loc, str, Any]] = []
    again = repeats(r.id for r in rules)
    for i, rule in enumerate(rules):
        if i in again:
            problems.append(((field, i, "id"), f"rule id {rule.id!r} is already used by {field}[{again[i]}]", rule.id))
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
        return capability_for(self.disposition)


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
