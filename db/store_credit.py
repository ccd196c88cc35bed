"""The store-credit ledger (store_credit_entries) as the shop reads and redeems it: append-only, per
merchant and customer; the workflow issues credit, a redeem is a negative entry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session, col, select

from db.tables import StoreCreditEntry


def customer_entries(session: Session, merchant_id: str, email: str) -> list[StoreCreditEntry]:
    """Newest first."""
    q = select(StoreCreditEntry).where(
        StoreCreditEntry.merchant_id == merchant_id, StoreCreditEntry.customer_email == email
    )
    return list(session.exec(q.order_by(col(StoreCreditEntry.id).desc())).all())


def lock_customer(session: Session, merchant_id: str, email: str) -> None:
    """Holds until commit so that no other redeem for this customer reads the balance meanwhile."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"{merchant_id}:{email}"})
    else:
        # SQLite has one writer: a write as the transaction's first statement takes the write
        # lock (waiting out busy_timeout, then reading the newest commit) and keeps it to the
        # end, i.e. BEGIN IMMEDIATE. A SELECT first would not: it would only take a snapshot.
        session.execute(text("UPDATE merchants SET name = name WHERE id = :m"), {"m": merchant_id})


def entry_by_key(session: Session, merchant_id: str, idempotency_key: str) -> StoreCreditEntry | None:
    return session.exec(
        select(StoreCreditEntry).where(
            StoreCreditEntry.merchant_id == merchant_id, StoreCreditEntry.idempotency_key == idempotency_key
        )
    ).first()


def add_redeem(
    session: Session, merchant_id: str, email: str, amount: int, currency: str, idempotency_key: str, at: datetime
) -> StoreCreditEntry:
    """A negative entry of `amount` (minor units); the same key twice is an IntegrityError."""
    row = StoreCreditEntry(
        merchant_id=merchant_id,
        customer_email=email,
        amount=-amount,
        currency=currency,
        kind="redeem",
        idempotency_key=idempotency_key,
        created_at=at,
    )
    session.add(row)
    session.flush()
    return row
