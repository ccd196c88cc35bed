"""What has already been paid out, read and locked for the payout check (domain/payout.py's rule).

Refunds (payment_refunds) and store credit (the store-credit ledger, store_credit_entries) of every
return of the orders one payment paid, under a per-merchant lock so that two payouts racing never
both fit in the same headroom.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col, select

from db.tables import Merchant, Order, PaymentRefund, PolicyVersion, ReturnRecord, StoreCreditEntry
from domain.payout import COUNTING_REFUND_STATUSES, PaymentFacts, Payout
from domain.returns import Resolution


def lock_payouts(session: Session, merchant_id: str) -> None:
    """Serialise payout checks of one merchant until the transaction ends. A write, so that it also
    takes SQLite's write lock before anything is read (PostgreSQL: the merchant row's lock)."""
    session.execute(update(Merchant).where(col(Merchant.id) == merchant_id).values(name=Merchant.name))


def store_credit_entry(session: Session, merchant_id: str, key: str) -> StoreCreditEntry | None:
    return session.exec(
        select(StoreCreditEntry).where(
            StoreCreditEntry.merchant_id == merchant_id, StoreCreditEntry.idempotency_key == key
        )
    ).first()


def recorded_payouts(session: Session, merchant_id: str, payment: PaymentFacts | None) -> list[Payout]:
    """Every counting payout for the returns of the merchant's orders paid by `payment`, whichever of
    its names (PaymentIntent or Charge id) an order gives."""
    if payment is None:
        return []
    order_ids = session.exec(
        select(Order.id).where(
            Order.merchant_id == merchant_id, Order.payment["reference"].as_string().in_(payment.aliases)
        )
    ).all()
    if not order_ids:
        return []
    returns = session.exec(
        select(ReturnRecord).where(ReturnRecord.merchant_id == merchant_id, col(ReturnRecord.order_id).in_(order_ids))
    ).all()
    by_id = {r.id: r for r in returns}
    if not by_id:
        return []
    refunds = session.exec(
        select(PaymentRefund).where(
            PaymentRefund.merchant_id == merchant_id,
            col(PaymentRefund.return_id).in_(by_id),
            col(PaymentRefund.status).in_(COUNTING_REFUND_STATUSES),
        )
    ).all()
    credits = session.exec(
        select(StoreCreditEntry).where(
            StoreCreditEntry.merchant_id == merchant_id,
            StoreCreditEntry.kind == "issue",
            col(StoreCreditEntry.return_id).in_(by_id),
        )
    ).all()
    out = [Payout.refund(r.idempotency_key, r.return_id, r.amount) for r in refunds]
    out += [
        Payout.credit(c.idempotency_key, c.return_id, c.amount, store_credit_bonus_percent(session, by_id[c.return_id]))
        for c in credits
    ]
    return out


def store_credit_bonus_percent(session: Session, ret: ReturnRecord) -> int:
    """The store-credit bonus a store-credit return's policy version gives; 0 for anything else."""
    if ret.resolution != Resolution.STORE_CREDIT.value or ret.policy_version is None:
        return 0
    saved = session.get(PolicyVersion, (ret.merchant_id, ret.policy_version))
    percent = (saved.document or {}).get("store_credit_bonus_percent", 0) if saved else 0
    return percent if isinstance(percent, int) and 0 <= percent <= 100 else 0
