"""From a warehouse inspection to what each item is worth and where it should go.

Rules, stated once:
- What the shopper gets for an item is a share of its value (what the policy
  quoted for it: price minus fees, plus any credit bonus):
  - nothing when the item is missing from the parcel or another item came back
    instead (`problem`);
  - the full value when the reason is the merchant's fault (defective, wrong item,
    ...) and the inspector confirms the reason; if the inspector finds the reason
    does not hold (`matches_reason` false), the grade decides as for any reason;
  - otherwise by grade: A and B 100%, C 50%, D nothing.
- Findings for ops (`Finding`): missing, wrong item, reason not confirmed, and a
  grade worse than the reason claims (a shopper-side reason such as a wrong size
  or a change of mind claims an unused item: grade C or D contradicts it).
  Any finding flags the item for ops; the refund is already adjusted by the rules
  above.
- Disposition: what the merchant's disposition rules decide for the grade,
  category and reason (domain.disposition.decide). A missing or wrong item has no
  disposition: nothing of ours came back to route.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict

from domain.disposition import DispositionKind, DispositionPolicy, decide
from domain.money import Money
from domain.returns import Grade, ReturnLine

REFUND_PERCENT_BY_GRADE: dict[Grade, int] = {Grade.A: 100, Grade.B: 100, Grade.C: 50, Grade.D: 0}
UNUSED_GRADES = frozenset({Grade.A, Grade.B})

Problem = Literal["missing", "wrong_item"]


class Finding(StrEnum):
    MISSING = "missing"
    WRONG_ITEM = "wrong_item"
    REASON_NOT_CONFIRMED = "reason_not_confirmed"
    WORSE_THAN_CLAIMED = "worse_than_claimed"

    @property
    def words(self) -> str:
        return _WORDS[self]


_WORDS = {
    Finding.MISSING: "the item was not in the parcel",
    Finding.WRONG_ITEM: "a different item came back",
    Finding.REASON_NOT_CONFIRMED: "inspection does not confirm the stated reason",
    Finding.WORSE_THAN_CLAIMED: "the item is in worse condition than the reason claims",
}


class ItemOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    line_id: str
    grade: Grade | None  # None: the item was missing
    disposition: DispositionKind | None  # None: nothing of ours to route
    refund: Money
    recovery_value: Money  # the merchant's estimate per unit, from the disposition rule
    rule: str | None = None  # the disposition rule that decided
    findings: list[Finding] = []

    @property
    def flagged(self) -> bool:
        return bool(self.findings)


def findings(line: ReturnLine, grade: Grade | None, matches_reason: bool, problem: Problem | None) -> list[Finding]:
    if problem == "missing":
        return [Finding.MISSING]
    found = [Finding.WRONG_ITEM] if problem == "wrong_item" else []
    if not matches_reason:
        found.append(Finding.REASON_NOT_CONFIRMED)
    if grade is not None and not line.reason.is_merchant_fault and grade not in UNUSED_GRADES:
        found.append(Finding.WORSE_THAN_CLAIMED)
    return found


def refund_percent(
    line: ReturnLine, grade: Grade | None, matches_reason: bool = True, problem: Problem | None = None
) -> int:
    if problem is not None or grade is None:
        return 0
    if line.reason.is_merchant_fault and matches_reason:
        return 100
    return REFUND_PERCENT_BY_GRADE[grade]


def item_outcome(
    line: ReturnLine,
    grade: Grade | None,
    value: Money,
    rules: DispositionPolicy,
    *,
    matches_reason: bool = True,
    problem: Problem | None = None,
) -> ItemOutcome:
    """`value`: what the item is worth to the shopper undamaged (the policy's quote for it)."""
    if grade is None and problem != "missing":
        raise ValueError("only a missing item has no grade")
    refund = value.percent(refund_percent(line, grade, matches_reason, problem))
    found = findings(line, grade, matches_reason, problem)
    if problem is not None or grade is None:
        return ItemOutcome(
            line_id=line.line_id,
            grade=grade,
            disposition=None,
            refund=refund,
            recovery_value=Money(amount=0, currency=value.currency),
            findings=found,
        )
    unit_price = Money(amount=line.unit_price, currency=value.currency)
    decision = decide(rules, grade, line.category, line.reason, unit_price)
    return ItemOutcome(
        line_id=line.line_id,
        grade=grade,
        disposition=decision.disposition,
        refund=refund,
        recovery_value=decision.recovery_value,
        rule=decision.rule,
        findings=found,
    )


def amount_due(amounts: list[Money], return_shipping_fee: Money, currency: str) -> Money:
    """The items' amounts less the return shipping fee (once per return), never below zero."""
    total = Money.total(amounts, currency)
    return Money(amount=max(total.amount - return_shipping_fee.amount, 0), currency=currency)
