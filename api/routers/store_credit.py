"""Store credit for the merchant's shop: a customer's balances and history, and redeeming at checkout.

The ledger (store_credit_entries) is append-only: the return workflow issues credit,
a redeem here is a negative entry, and a balance is always the sum (domain/store_credit.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from api.deps import DbDep, MerchantKey
from api.errors import ApiError
from db.store_credit import add_redeem, customer_entries, entry_by_key, lock_customer
from db.tables import StoreCreditEntry
from db.types import utcnow
from domain import validation
from domain.money import Money
from domain.store_credit import (
    Entry,
    InsufficientCredit,
    balance,
    balances,
    check_redeem,
    expiries,
)
from domain.validation import CurrencyCode, Email

router = APIRouter(prefix="/v1/store-credit", tags=["merchant: store credit"])

# The shop's reference is the redeem's idempotency key; the prefix keeps it apart from the
# workflow's issue keys in the same (merchant_id, idempotency_key) unique constraint.
REDEEM_PREFIX = "redeem:"
MAX_AMOUNT = 2**31 - 1  # the ledger's integer column; anything larger could never be covered anyway


class MoneyOut(BaseModel):
    amount: int
    currency: str


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
        reference = row.idempotency_key.removeprefix(REDEEM_PREFIX) if row.kind == "redeem" else None
        return cls(
            id=row.id, amount=row.amount, currency=row.currency, kind=row.kind,
            return_id=row.return_id, reference=reference, created_at=row.created_at, expires_at=row.expires_at,
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
    reference: validation.text(128 - len(REDEEM_PREFIX), 1) = Field(description="the shop's order or checkout id")

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        if not (v.isascii() and v.isalpha()):
            raise ValueError("currency must be a three-letter ISO 4217 code")
        return v.upper()


class RedeemOut(BaseModel):
    entry: EntryOut
    balance: MoneyOut = Field(description="the balance in the entry's currency now")


def _money(m: Money) -> MoneyOut:
    return MoneyOut(amount=m.amount, currency=m.currency)


def _ledger(rows: list[StoreCreditEntry]) -> list[Entry]:
    return [Entry(amount=r.amount, currency=r.currency, kind=r.kind, created_at=r.created_at, expires_at=r.expires_at) for r in rows]


def redeem(session: Session, merchant_id: str, email: str, body: RedeemIn) -> tuple[StoreCreditEntry, Money, bool]:
    """(entry, balance after, created). Raises InsufficientCredit; ApiError for a reused reference."""
    lock_customer(session, merchant_id, email)
    key = REDEEM_PREFIX + body.reference
    done = entry_by_key(session, merchant_id, key)
    if done is not None:
        if (done.customer_email, -done.amount, done.currency) != (email, body.amount, body.currency):
            raise ApiError(
                409, "idempotency_conflict",
                f"reference {body.reference!r} was already used for a different redemption "
                f"({Money(amount=-done.amount, currency=done.currency).display()})",
            )
        return done, balance(_ledger(customer_entries(session, merchant_id, email)), done.currency, utcnow()), False
    now = utcnow()  # one instant for the check, the entry and the balance after (credit may expire between)
    ledger = _ledger(customer_entries(session, merchant_id, email))
    check_redeem(ledger, Money(amount=body.amount, currency=body.currency), now)
    row = add_redeem(session, merchant_id, email, body.amount, body.currency, key, now)
    after = [*ledger, Entry(amount=row.amount, currency=row.currency, kind="redeem", created_at=now)]
    return row, balance(after, row.currency, now), True


@router.post("/lookup", response_model=LedgerOut)
async def lookup_store_credit(body: CustomerIn, principal: MerchantKey, db: DbDep) -> LedgerOut:
    """A customer's balance per currency and every entry, newest first (empty for an unknown customer).
    A POST so that the email stays out of URLs (and so out of access logs and proxies)."""
    email = body.email.lower()
    rows = await db.run(customer_entries, principal.merchant_id, email)
    return LedgerOut(
        customer=email,
        balances=[_money(m) for m in balances(_ledger(rows), utcnow())],
        expired=[ExpiryOut(amount=_money(e.amount), expired_at=e.expired_at, issued_at=e.issued_at) for e in expiries(_ledger(rows), utcnow())],
        entries=[EntryOut.of(r) for r in rows],
    )


@router.post("/redeem", status_code=201, response_model=RedeemOut)
async def redeem_store_credit(body: RedeemIn, principal: MerchantKey, db: DbDep, response: Response) -> RedeemOut:
    """Take credit off the customer's balance at checkout. Retrying with the same reference and body
    answers the same redemption (200) without a second entry; 409 if it exceeds the balance."""
    email = body.email.lower()
    for attempt in range(2):
        try:
            row, after, created = await db.run(redeem, principal.merchant_id, email, body)
            break
        except InsufficientCredit as err:
            wanted = Money(amount=body.amount, currency=body.currency).display()
            raise ApiError(
                409, "insufficient_credit",
                f"redeeming {wanted} exceeds the store-credit balance of {err.balance.display()}",
                balance=_money(err.balance).model_dump(),
            ) from err
        except IntegrityError:
            # The same reference inserted at once for another customer (the lock is per
            # customer): the retry finds the winner's entry and answers replay or conflict.
            if attempt:
                raise
    if not created:
        response.status_code = 200
    return RedeemOut(entry=EntryOut.of(row), balance=_money(after))
