"""What every area's bodies share: ids in paths, strict request bodies, money."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import (
    BaseModel,
    ConfigDict,
)

from domain.money import Money
from domain.validation import (
    ID_PATTERN,
    MAX_ID_LENGTH,
    MAX_RETURN_ID_LENGTH,
)

# Ids in a path follow the same rule as ids in a body (domain.validation.Id, ReturnId): 422 otherwise.
PathId = Annotated[str, Path(min_length=1, max_length=MAX_ID_LENGTH, pattern=ID_PATTERN)]
ReturnPathId = Annotated[str, Path(min_length=1, max_length=MAX_RETURN_ID_LENGTH, pattern=ID_PATTERN)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MoneyOut(BaseModel):
    amount: int
    currency: str

    @classmethod
    def of(cls, money: Money) -> MoneyOut:
        return cls(amount=money.amount, currency=money.currency)


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    checks: dict[str, Any]
