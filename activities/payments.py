"""Settlement side effects: refunds through the real `stripe` SDK, and store credit.

Never pays twice: every refund carries an Idempotency-Key derived from the
return (Stripe replays the first answer for it), and credit entries are unique
per (merchant, key) in the ledger.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import stripe
from pydantic import BaseModel
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.errors import PAYMENT_REJECTED, payment_error
from db.session import session_scope
from db.tables import Order, PaymentRefund, ReturnRecord, StoreCreditEntry
from domain.money import Money
from domain.returns import Resolution
from workflows.messages import Settlement


class SettlementRequest(BaseModel):
    return_id: str
    merchant_id: str
    amount: Money


class RefundCheck(BaseModel):
    return_id: str
    merchant_id: str
    refund_id: str


REFUND_PENDING = "RefundPending"


def refund_key(return_id: str) -> str:
    return f"returnflow-{return_id}-refund"


def credit_key(return_id: str) -> str:
    return f"returnflow-{return_id}-credit"


def charge_key(return_id: str) -> str:
    return f"returnflow-{return_id}-exchange-charge"


class PaymentActivities:
    def __init__(self, engine: Engine, stripe_client: stripe.StripeClient, credit_expiry_days: int | None = None) -> None:
        self._engine = engine
        self._stripe = stripe_client
        self._credit_expiry = timedelta(days=credit_expiry_days) if credit_expiry_days else None

    @activity.defn
    def charge_difference(self, req: SettlementRequest) -> Settlement:
        """Charge the shopper what an exchange's replacement costs above the returned items,
        off-session on the order's payment method, once (Idempotency-Key per return)."""
        order = self._order(req)
        payment = order.payment or {}
        if payment.get("provider") != "stripe" or not str(payment.get("reference", "")).startswith("pi_"):
            raise ApplicationError("the order has no Stripe payment method to charge", type=PAYMENT_REJECTED, non_retryable=True)
        try:
            original = self._stripe.v1.payment_intents.retrieve(payment["reference"])
            params = {
                "amount": req.amount.amount, "currency": req.amount.currency.lower(),
                "payment_method": original.payment_method, "confirm": True, "off_session": True,
                "metadata": {"return_id": req.return_id, "merchant_id": req.merchant_id, "kind": "exchange_difference"},
            }  # fmt: skip
            if original.customer:
                params["customer"] = original.customer
            charge = self._stripe.v1.payment_intents.create(params=params, options={"idempotency_key": charge_key(req.return_id)})
        except stripe.StripeError as err:
            raise payment_error(err) from err
        if charge.status != "succeeded":
            raise ApplicationError(f"the charge is {charge.status}", type=PAYMENT_REJECTED, non_retryable=True)
        return Settlement(method=Resolution.EXCHANGE, amount=Money(amount=charge.amount, currency=charge.currency.upper()),
                          status="charged", reference=charge.id)  # fmt: skip

    @activity.defn
    def refund_payment(self, req: SettlementRequest) -> Settlement:
        key = refund_key(req.return_id)
        order = self._order(req)
        payment = order.payment or {}
        if payment.get("provider") != "stripe" or not payment.get("reference"):
            raise ApplicationError("the order has no Stripe payment to refund", type=PAYMENT_REJECTED, non_retryable=True)
        if req.amount.currency != order.currency:
            raise ApplicationError("refund currency differs from the order's", type=PAYMENT_REJECTED, non_retryable=True)
        target = "charge" if payment["reference"].startswith("ch_") else "payment_intent"
        try:
            refund = self._stripe.v1.refunds.create(
                params={
                    target: payment["reference"],
                    "amount": req.amount.amount,
                    "reason": "requested_by_customer",
                    "metadata": {"return_id": req.return_id, "merchant_id": req.merchant_id},
                },
                options={"idempotency_key": key},
            )
        except stripe.StripeError as err:
            raise payment_error(err) from err
        with session_scope(self._engine) as session:
            row = session.get(PaymentRefund, key) or PaymentRefund(
                idempotency_key=key,
                return_id=req.return_id,
                merchant_id=req.merchant_id,
                provider_refund_id=refund.id,
                amount=refund.amount,
                currency=refund.currency.upper(),
                status=refund.status,
            )
            row.status = refund.status
            session.add(row)
        return _settlement(refund)

    @activity.defn
    def confirm_refund(self, req: RefundCheck) -> Settlement:
        """Read the refund's status; while it is still pending, fail retryably so Temporal asks
        again later with backoff (the retry policy's schedule-to-close is the total deadline)."""
        try:
            refund = self._stripe.v1.refunds.retrieve(req.refund_id)
        except stripe.StripeError as err:
            raise payment_error(err) from err
        self._record_status(refund_key(req.return_id), refund.status)
        settlement = _settlement(refund)
        if refund.status != "succeeded":
            raise ApplicationError(f"Stripe refund {refund.id} is still {refund.status}", type=REFUND_PENDING)
        return settlement

    def _record_status(self, key: str, status: str) -> None:
        with session_scope(self._engine) as session:
            row = session.get(PaymentRefund, key)
            if row is not None and row.status != status:
                row.status = status
                session.add(row)

    @activity.defn
    def issue_store_credit(self, req: SettlementRequest) -> Settlement:
        key = credit_key(req.return_id)
        email = self._order(req).customer["email"].lower()
        try:
            with session_scope(self._engine) as session:
                session.add(
                    StoreCreditEntry(
                        merchant_id=req.merchant_id,
                        customer_email=email,
                        amount=req.amount.amount,
                        currency=req.amount.currency,
                        kind="issue",
                        idempotency_key=key,
                        return_id=req.return_id,
                        created_at=(now := datetime.now(UTC)),
                        expires_at=now + self._credit_expiry if self._credit_expiry else None,
                    )
                )
        except IntegrityError:
            pass  # issued by an earlier attempt; the ledger keeps exactly one entry
        with session_scope(self._engine) as session:
            entry = session.exec(
                select(StoreCreditEntry).where(
                    StoreCreditEntry.merchant_id == req.merchant_id, StoreCreditEntry.idempotency_key == key
                )
            ).one()
        return Settlement(
            method=Resolution.STORE_CREDIT,
            amount=Money(amount=entry.amount, currency=entry.currency),
            status="issued",
            reference=f"credit-{entry.id}",
        )

    def _order(self, req: SettlementRequest) -> Order:
        with session_scope(self._engine) as session:
            ret = session.get(ReturnRecord, req.return_id)
            order = session.get(Order, (req.merchant_id, ret.order_id)) if ret else None
        if order is None:
            raise ApplicationError(f"no order for return {req.return_id}", type=PAYMENT_REJECTED, non_retryable=True)
        return order


def _settlement(refund) -> Settlement:
    """A Stripe refund as our settlement; a failed or canceled one is a permanent refusal."""
    if refund.status in ("failed", "canceled"):
        raise ApplicationError(
            f"Stripe refund {refund.id} {refund.status}: {refund.failure_reason}",
            {"code": refund.failure_reason},
            type=PAYMENT_REJECTED,
            non_retryable=True,
        )
    return Settlement(
        method=Resolution.REFUND,
        amount=Money(amount=refund.amount, currency=refund.currency),
        status=refund.status,
        reference=refund.id,
    )
