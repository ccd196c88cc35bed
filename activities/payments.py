"""Settlement side effects: refunds through the real `stripe` SDK, and store credit.

Never pays twice: every refund carries an Idempotency-Key derived from the
return (Stripe replays the first answer for it), and credit entries are unique
per (merchant, key) in the ledger.

Never pays more than was received, nor on another merchant's payment
(domain/payout.py states the rule): before a refund or store credit, the order's
payment is read from Stripe (exists, succeeded, the order's currency, the
merchant's) and the payout is checked against what it captured less everything
already paid back for the returns of its orders (orders naming it by its
PaymentIntent or by its Charge alike) and what a dispute may take back; Stripe
refusing a refund as `charge_disputed` is such a refusal too (ops, not credit). The check and the record are one
transaction under a per-merchant lock (`payout_records.lock_payouts`), so two payouts racing on
SQLite or PostgreSQL never both fit in the same headroom: a refund is recorded as
`reserved` before Stripe is asked, store credit is written in that transaction.
Refused payouts raise non-retryable `PaymentNotOwned` (tenancy) or
`PayoutExceedsCapture` (everything else: no such payment, not succeeded, another
currency, over the bound); nothing is paid and nothing is recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import stripe
from pydantic import BaseModel
from sqlalchemy.engine import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import business_metrics
from activities.errors import payment_error
from activities.payment_facts import owner_of, read_payment
from activities.payout_records import lock_payouts, recorded_payouts, store_credit_bonus_percent, store_credit_entry
from db.session import session_scope
from db.tables import Order, PaymentRefund, ReturnRecord, StoreCreditEntry
from domain.money import Money
from domain.payout import COUNTING_REFUND_STATUSES, PaymentFacts, Payout, PayoutRefusal, check_payout, payment_problem
from domain.returns import Resolution
from workflows.ids import (
    exchange_charge_idempotency_key,
    refund_idempotency_key,
    store_credit_idempotency_key,
    store_credit_reference,
)
from workflows.messages import ActivityErrorType, Settlement, SettlementStatus


class SettlementRequest(BaseModel):
    return_id: str
    merchant_id: str
    amount: Money


class RefundCheck(BaseModel):
    return_id: str
    merchant_id: str
    refund_id: str


class PaymentActivities:
    def __init__(
        self,
        engine: Engine,
        stripe_client: stripe.StripeClient,
        credit_expiry_days: int | None = None,
        client_for: Callable[[str], stripe.StripeClient] | None = None,
    ) -> None:
        """`stripe_client`: the platform's account; `client_for` (the worker's): the merchant's own account
        where it set a key, else the platform's (activities/merchant_accounts.py)."""
        self._engine = engine
        self._stripe = stripe_client
        self._client_for = client_for
        self._credit_expiry = timedelta(days=credit_expiry_days) if credit_expiry_days else None

    @activity.defn
    def charge_difference(self, req: SettlementRequest) -> Settlement:
        """Charge the shopper what an exchange's replacement costs above the returned items,
        off-session on the order's payment method, once (Idempotency-Key per return)."""
        order, _ = self._order(req)
        payment = order.payment or {}
        if payment.get("provider") != "stripe" or not str(payment.get("reference", "")).startswith("pi_"):
            raise ApplicationError(
                "the order has no Stripe payment method to charge",
                type=ActivityErrorType.PAYMENT_REJECTED,
                non_retryable=True,
            )
        try:
            client = self._stripe_for(req.merchant_id)
            original = client.v1.payment_intents.retrieve(payment["reference"])
            if owner_of(original) != req.merchant_id:
                raise _refused(
                    PayoutRefusal(code="not_owned", message=f"payment {original.id} does not belong to this merchant")
                )
            params = {
                "amount": req.amount.amount,
                "currency": req.amount.currency.lower(),
                "payment_method": original.payment_method,
                "confirm": True,
                "off_session": True,
                "metadata": {"return_id": req.return_id, "merchant_id": req.merchant_id, "kind": "exchange_difference"},
            }
            if original.customer:
                params["customer"] = original.customer
            charge = client.v1.payment_intents.create(
                params=params, options={"idempotency_key": exchange_charge_idempotency_key(req.return_id)}
            )
        except stripe.StripeError as err:
            raise payment_error(err) from err
        if charge.status != "succeeded":
            raise ApplicationError(
                f"the charge is {charge.status}", type=ActivityErrorType.PAYMENT_REJECTED, non_retryable=True
            )
        return Settlement(
            method=Resolution.EXCHANGE,
            amount=Money(amount=charge.amount, currency=charge.currency.upper()),
            status=SettlementStatus.CHARGED,
            reference=charge.id,
        )

    @activity.defn
    def refund_payment(self, req: SettlementRequest) -> Settlement:
        key = refund_idempotency_key(req.return_id)
        order, _ = self._order(req)
        if req.amount.currency != order.currency:
            raise ApplicationError(
                "refund currency differs from the order's", type=ActivityErrorType.PAYMENT_REJECTED, non_retryable=True
            )
        reference = _reference(order)
        payment = self._payment(req.merchant_id, reference)
        self._check_payment(payment, req, order)
        payout = Payout.refund(key, req.return_id, req.amount.amount)
        with session_scope(self._engine) as session:
            lock_payouts(session, req.merchant_id)
            row = session.get(PaymentRefund, key)
            if row is not None and row.status in COUNTING_REFUND_STATUSES:
                if row.amount != req.amount.amount:  # the same key with another amount: Stripe would refuse it too
                    raise ApplicationError(
                        f"a refund of {row.amount} is already recorded for return {req.return_id}",
                        type=ActivityErrorType.PAYMENT_REJECTED,
                        non_retryable=True,
                    )
            else:  # first attempt, or one whose refund failed or was refused: check (again) and reserve
                refusal = check_payout(
                    payment,
                    merchant_id=req.merchant_id,
                    currency=order.currency,
                    recorded=recorded_payouts(session, req.merchant_id, payment),
                    payout=payout,
                )
                if refusal is not None:
                    raise _refused(refusal)
                row = row or PaymentRefund(
                    idempotency_key=key,
                    return_id=req.return_id,
                    merchant_id=req.merchant_id,
                    provider_refund_id="",
                    amount=0,
                    currency=order.currency,
                    status="reserved",
                )
                row.amount, row.currency, row.status = req.amount.amount, order.currency, "reserved"
                session.add(row)
        target = "charge" if reference.startswith("ch_") else "payment_intent"
        try:
            refund = self._stripe_for(req.merchant_id).v1.refunds.create(
                params={
                    target: reference,
                    "amount": req.amount.amount,
                    "reason": "requested_by_customer",
                    "metadata": {"return_id": req.return_id, "merchant_id": req.merchant_id},
                },
                options={"idempotency_key": key},
            )
        except stripe.StripeError as err:
            error = payment_error(err)
            if error.non_retryable:  # Stripe said no for good: the reservation no longer holds money
                self._release(key)
            if getattr(err, "code", None) == "charge_disputed":  # disputed since we read it: its money may be gone
                raise _refused(
                    PayoutRefusal(code="charge_disputed", message=str(error), requested=payout.money)
                ) from err
            raise error from err
        with session_scope(self._engine) as session:
            row = session.get(PaymentRefund, key)
            first = not row.provider_refund_id  # a retry replays Stripe's answer: counted once
            row.provider_refund_id = refund.id
            row.amount, row.currency, row.status = refund.amount, refund.currency.upper(), refund.status
            session.add(row)
        if first:
            business_metrics.refund_created(refund.amount, refund.currency)
        return _settlement(refund)

    def _release(self, key: str) -> None:
        with session_scope(self._engine) as session:
            row = session.get(PaymentRefund, key)
            if row is not None and row.status == "reserved" and not row.provider_refund_id:
                row.status = "refused"
                session.add(row)

    @activity.defn
    def confirm_refund(self, req: RefundCheck) -> Settlement:
        """Read the refund's status; while it is still pending, fail retryably so Temporal asks
        again later with backoff (the retry policy's schedule-to-close is the total deadline)."""
        try:
            refund = self._stripe_for(req.merchant_id).v1.refunds.retrieve(req.refund_id)
        except stripe.StripeError as err:
            raise payment_error(err) from err
        self._record_status(refund_idempotency_key(req.return_id), refund.status)
        settlement = _settlement(refund)
        if refund.status != SettlementStatus.SUCCEEDED:
            raise ApplicationError(
                f"Stripe refund {refund.id} is still {refund.status}", type=ActivityErrorType.REFUND_PENDING
            )
        return settlement

    def _record_status(self, key: str, status: str) -> None:
        with session_scope(self._engine) as session:
            row = session.get(PaymentRefund, key)
            if row is not None and row.status != status:
                row.status = status
                session.add(row)

    @activity.defn
    def issue_store_credit(self, req: SettlementRequest) -> Settlement:
        key = store_credit_idempotency_key(req.return_id)
        entry = self._credit(req.merchant_id, key)
        if entry is None:
            order, ret = self._order(req)
            if req.amount.currency != order.currency:
                raise ApplicationError(
                    "credit currency differs from the order's",
                    type=ActivityErrorType.PAYMENT_REJECTED,
                    non_retryable=True,
                )
            reference = _reference(order)
            payment = self._payment(req.merchant_id, reference)
            self._check_payment(payment, req, order)
            with session_scope(self._engine) as session:
                lock_payouts(session, req.merchant_id)
                entry = store_credit_entry(session, req.merchant_id, key)
                if entry is None:  # not issued by an earlier attempt meanwhile
                    payout = Payout.credit(
                        key, req.return_id, req.amount.amount, store_credit_bonus_percent(session, ret)
                    )
                    refusal = check_payout(
                        payment,
                        merchant_id=req.merchant_id,
                        currency=order.currency,
                        recorded=recorded_payouts(session, req.merchant_id, payment),
                        payout=payout,
                    )
                    if refusal is not None:
                        raise _refused(refusal)
                    entry = StoreCreditEntry(
                        merchant_id=req.merchant_id,
                        customer_email=order.customer["email"].lower(),
                        amount=req.amount.amount,
                        currency=req.amount.currency,
                        kind="issue",
                        idempotency_key=key,
                        return_id=req.return_id,
                        created_at=(now := datetime.now(UTC)),
                        expires_at=now + self._credit_expiry if self._credit_expiry else None,
                    )
                    session.add(entry)
                    session.flush()
        return Settlement(
            method=Resolution.STORE_CREDIT,
            amount=Money(amount=entry.amount, currency=entry.currency),
            status=SettlementStatus.ISSUED,
            reference=store_credit_reference(entry.id),
        )

    def _credit(self, merchant_id: str, key: str) -> StoreCreditEntry | None:
        with session_scope(self._engine) as session:
            return store_credit_entry(session, merchant_id, key)

    def _order(self, req: SettlementRequest) -> tuple[Order, ReturnRecord]:
        with session_scope(self._engine) as session:
            ret = session.get(ReturnRecord, req.return_id)
            order = (
                session.get(Order, (req.merchant_id, ret.order_id))
                if ret and ret.merchant_id == req.merchant_id
                else None
            )
        if order is None:
            raise ApplicationError(
                f"no order for return {req.return_id}", type=ActivityErrorType.PAYMENT_REJECTED, non_retryable=True
            )
        return order, ret

    def _stripe_for(self, merchant_id: str) -> stripe.StripeClient:
        return self._stripe if self._client_for is None else self._client_for(merchant_id)

    def _payment(self, merchant_id: str, reference: str | None) -> PaymentFacts | None:
        """The payment as the merchant's Stripe account has it now, with its refunds; None when there is none."""
        if reference is None:
            return None
        try:
            return read_payment(self._stripe_for(merchant_id), reference, with_refunds=True)
        except stripe.StripeError as err:
            raise payment_error(err) from err

    @staticmethod
    def _check_payment(payment: PaymentFacts | None, req: SettlementRequest, order: Order) -> None:
        """Refused before any lock is taken: no such payment, not the merchant's, not succeeded, another currency."""
        problem = payment_problem(payment, merchant_id=req.merchant_id, currency=order.currency)
        if problem is not None:
            raise _refused(PayoutRefusal(code=problem.code, message=problem.message, requested=req.amount.amount))


def _reference(order: Order) -> str | None:
    payment = order.payment or {}
    return str(payment["reference"]) if payment.get("provider") == "stripe" and payment.get("reference") else None


def _refused(refusal: PayoutRefusal) -> ApplicationError:
    return ApplicationError(
        refusal.message,
        refusal.model_dump(),
        type=ActivityErrorType.PAYMENT_NOT_OWNED if refusal.tenancy else ActivityErrorType.PAYOUT_EXCEEDS_CAPTURE,
        non_retryable=True,
    )


def _settlement(refund) -> Settlement:
    """A Stripe refund as our settlement; a failed or canceled one is a permanent refusal."""
    if refund.status in (SettlementStatus.FAILED, SettlementStatus.CANCELED):
        raise ApplicationError(
            f"Stripe refund {refund.id} {refund.status}: {refund.failure_reason}",
            {"code": refund.failure_reason},
            type=ActivityErrorType.PAYMENT_REJECTED,
            non_retryable=True,
        )
    return Settlement(
        method=Resolution.REFUND,
        amount=Money(amount=refund.amount, currency=refund.currency),
        status=SettlementStatus(refund.status),
        reference=refund.id,
    )
