"""Label spend and void savings per currency."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class LabelSpend(BaseModel):
    currency: str
    labels_bought: int
    spent: int  # minor units
    labels_voided: int  # carrier refund confirmed
    saved: int
    void_rejected: int


class LabelReport(BaseModel):
    since: datetime | None
    by_currency: list[LabelSpend]
