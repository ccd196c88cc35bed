"""Store credit as the shop sees it: a customer's ledger, balances and expiries, and a redeem at checkout."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.schemas.common import MoneyOut
from db.tables import StoreCreditEntry
from domain import validation
from domain.validation import CurrencyCode, Email
from workflows.ids import STORE_CREDIT_REDEEM_PREFIX

MAX_AMOUNT = 2**31 - 1  # the ledger's integer column; anything larger could never be covered anyway


class EntryOut(BaseModel):
    id: int
    amount: int = Field(description="signed minor units: positive issues credit, negative redeems it")
    currency: str
    kind: Literal["issue", "redeem"]
    return_id: str | None
    reference: str | None = Field(description="the shop's reference of a redeem")
    created_at: datetime
    expires_at: datetime | None = None

    @classmethod
    def of(cls, row: StoreCreditEntry) -> EntryOut:
        reference = row.idempotency_key.removeprefix(STORE_CREDIT_REDEEM_PREFIX) if row.kind == "redeem" else None
        return cls(
            id=row.id,
            amount=row.amount,
            currency=row.currency,
            kind=row.kind,
            return_id=row.return_id,
            reference=reference,
            created_at=row.created_at,
            expires_at=row.expires_at,
        )


class ExpiryOut(BaseModel):
    """Credit that expired unspent: derived from the ledger, never an edit of it."""

    amount: MoneyOut
    expired_at: datetime
    issued_at: datetime


class LedgerOut(BaseModel):
    customer: str
    balances: list[MoneyOut]
    expired: list[ExpiryOut] = Field(default_factory=list)
    entries: list[EntryOut] = Field(description="newest first")


class CustomerIn(BaseModel):
    """The customer, named in the body: a URL would carry the email into every access log."""

    model_config = ConfigDict(extra="forbid")

    email: Email = Field(description="the customer's email; case-insensitive")


class RedeemIn(CustomerIn):
    amount: int = Field(gt=0, le=MAX_AMOUNT, strict=True, description="minor units to take off the balance")
    currency: CurrencyCode = Field(examples=["EUR"])
    reference: validation.text(128 - len(STORE_CREDIT_REDEEM_PREFIX), 1) = Field(
        description="the shop's order or checkout id"
    )

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        if not (v.isascii() and v.isalpha()):
            raise ValueError("currency must be a three-letter ISO 4217 code")
        return v.upper()


class RedeemOut(BaseModel):
    entry: EntryOut
    balance: MoneyOut = Field(description="the balance in the entry's currency now")
