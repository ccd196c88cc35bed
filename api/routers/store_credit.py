"""Store credit for the merchant's shop: a customer's balances and history, and redeeming at checkout.

The ledger (store_credit_entries) is append-only: the return workflow issues credit,
a redeem here is a negative entry, and a balance is always the sum (domain/store_credit.py).
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from api.deps import DbDep, Owner, Reader
from api.errors import ApiError
from api.schemas.store_credit import (
    CustomerIn,
    EntryOut,
    ExpiryOut,
    LedgerOut,
    MoneyOut,
    RedeemIn,
    RedeemOut,
)
from db.store_credit import add_redeem, customer_entries, entry_by_key, lock_customer
from db.tables import StoreCreditEntry
from db.types import utcnow
from domain.money import Money
from domain.store_credit import (
    Entry,
    InsufficientCredit,
    balance,
    balances,
    check_redeem,
    expiries,
)
from workflows.ids import store_credit_redeem_key

router = APIRouter(prefix="/v1/store-credit", tags=["merchant: store credit"])


def _money(m: Money) -> MoneyOut:
    return MoneyOut(amount=m.amount, currency=m.currency)


def _ledger(rows: list[StoreCreditEntry]) -> list[Entry]:
    return [
        Entry(amount=r.amount, currency=r.currency, kind=r.kind, created_at=r.created_at, expires_at=r.expires_at)
        for r in rows
    ]


def redeem(session: Session, merchant_id: str, email: str, body: RedeemIn) -> tuple[StoreCreditEntry, Money, bool]:
    """(entry, balance after, created). Raises InsufficientCredit; ApiError for a reused reference."""
    lock_customer(session, merchant_id, email)
    key = store_credit_redeem_key(body.reference)  # apart from the workflow's issue keys in the same unique constraint
    done = entry_by_key(session, merchant_id, key)
    if done is not None:
        if (done.customer_email, -done.amount, done.currency) != (email, body.amount, body.currency):
            raise ApiError(
                409,
                "idempotency_conflict",
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
async def lookup_store_credit(body: CustomerIn, principal: Reader, db: DbDep) -> LedgerOut:
    """A customer's balance per currency and every entry, newest first (empty for an unknown customer).
    A POST so that the email stays out of URLs (and so out of access logs and proxies)."""
    email = body.email.lower()
    rows = await db.run(customer_entries, principal.merchant_id, email)
    return LedgerOut(
        customer=email,
        balances=[_money(m) for m in balances(_ledger(rows), utcnow())],
        expired=[
            ExpiryOut(amount=_money(e.amount), expired_at=e.expired_at, issued_at=e.issued_at)
            for e in expiries(_ledger(rows), utcnow())
        ],
        entries=[EntryOut.of(r) for r in rows],
    )


@router.post("/redeem", status_code=201, response_model=RedeemOut)
async def redeem_store_credit(body: RedeemIn, principal: Owner, db: DbDep, response: Response) -> RedeemOut:
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
                409,
                "insufficient_credit",
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
