"""From a warehouse inspection to a disposition and the amount owed per item.

First rule set (the Spine's): grade A restocks, B is refurbished, C and D are
recycled. Merchant-fault reasons (defective, wrong item, ...) always get the
item's full value; otherwise the grade decides the share of it. The value is
what the policy quoted for the item (price minus fees, plus any credit bonus).
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


def item_outcome(line: ReturnLine, grade: Grade, value: Money) -> ItemOutcome:
    """`value`: what the item is worth to the shopper undamaged (the policy's quote for it)."""
    return ItemOutcome(
        line_id=line.line_id,
        grade=grade,
        disposition=disposition_for(grade),
        refund=value.percent(refund_percent(line, grade)),
    )


def amount_due(amounts: list[Money], return_shipping_fee: Money, currency: str) -> Money:
    """The items' amounts less the return shipping fee (once per return), never below zero."""
    total = Money.total(amounts, currency)
    return Money(amount=max(total.amount - return_shipping_fee.amount, 0), currency=currency)
