"""The vocabulary of a return: reasons, resolutions, grades, lines (dispositions: domain.disposition)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from domain.validation import MinorUnits, Quantity


class ReturnReason(StrEnum):
    TOO_SMALL = "too_small"
    TOO_LARGE = "too_large"
    DEFECTIVE = "defective"
    NOT_AS_DESCRIBED = "not_as_described"
    WRONG_ITEM = "wrong_item"
    DAMAGED_IN_TRANSIT = "damaged_in_transit"
    CHANGED_MIND = "changed_mind"
    ARRIVED_LATE = "arrived_late"

    @property
    def is_merchant_fault(self) -> bool:
        """The shopper is not to blame: the item's condition never reduces the refund."""
        return self in MERCHANT_FAULT_REASONS


MERCHANT_FAULT_REASONS = frozenset(
    {
        ReturnReason.DEFECTIVE,
        ReturnReason.NOT_AS_DESCRIBED,
        ReturnReason.WRONG_ITEM,
        ReturnReason.DAMAGED_IN_TRANSIT,
    }
)


class Resolution(StrEnum):
    REFUND = "refund"
    STORE_CREDIT = "store_credit"
    EXCHANGE = "exchange"


class Grade(StrEnum):
    A = "A"  # new, unused
    B = "B"  # like new
    C = "C"  # damaged but repairable
    D = "D"  # unsalvageable


class OrderLine(BaseModel):
    """One line of the merchant's order, as the merchant told us."""

    model_config = ConfigDict(frozen=True)

    id: str
    sku: str
    title: str = ""
    quantity: Quantity
    unit_price: MinorUnits
    category: str = ""


class ReturnLine(BaseModel):
    """One line of a return: which order line, how many, and why."""

    model_config = ConfigDict(frozen=True)

    line_id: str
    sku: str
    quantity: Quantity
    unit_price: MinorUnits
    category: str = ""
    reason: ReturnReason


class OrderFacts(BaseModel):
    """What the policy needs to know about an order; no customer data."""

    model_config = ConfigDict(frozen=True)

    order_id: str
    currency: str
    placed_at: datetime
    delivered_at: datetime | None = None
