"""From a warehouse inspection to a disposition and a refund amount per item.

First rule set (the Spine's): grade A restocks, B is refurbished, C and D are
recycled. Refund: merchant-fault reasons (defective, wrong item, ...) always
refund in full; otherwise the grade decides the share of the price refunded.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from domain.money import Money
from domain.returns import Disposition, Grade, ReturnLine

DISPOSITION_BY_GRADE: dict[Grade, Disposition] = {
    Grade.A: Disposition.RESTOCK,
    Grade.B: Disposition.REFURBISH,
    Grade.C: Disposition.RECYCLE,
    Grade.D: Disposition.RECYCLE,
}

REFUND_PERCENT_BY_GRADE: dict[Grade, int] = {Grade.A: 100, Grade.B: 100, Grade.C: 50, Grade.D: 0}


class ItemOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    line_id: str
    grade: Grade
    disposition: Disposition
    refund: Money


def disposition_for(grade: Grade) -> Disposition:
    return DISPOSITION_BY_GRADE[grade]


def refund_percent(line: ReturnLine, grade: Grade) -> int:
    return 100 if line.reason.is_merchant_fault else REFUND_PERCENT_BY_GRADE[grade]


def item_outcome(line: ReturnLine, grade: Grade, currency: str) -> ItemOutcome:
    paid = Money(amount=line.unit_price * line.quantity, currency=currency)
    return ItemOutcome(
        line_id=line.line_id,
        grade=grade,
        disposition=disposition_for(grade),
        refund=paid.percent(refund_percent(line, grade)),
    )


def total_refund(outcomes: list[ItemOutcome], currency: str) -> Money:
    return Money.total([o.refund for o in outcomes], currency)
