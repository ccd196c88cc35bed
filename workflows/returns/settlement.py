"""Paying the shopper: refund (followed until it settles), store credit when a refund is refused,
the exchange's price difference, never more than the order's payment brought in — a payout above
that, or to a payment not the merchant's, is held for ops instead."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError, TimeoutError

with workflow.unsafe.imports_passed_through():
    from activities.payments import PaymentActivities, RefundCheck, SettlementRequest
    from domain.money import Money
    from domain.returns import Resolution
    from workflows.activity_options import PAYMENT, REFUND_FOLLOW_UP
    from workflows.messages import ActivityErrorType, AttentionKind, Settlement, SettlementStatus, TimelineEvent
    from workflows.returns.exchange import Exchange
    from workflows.returns.journal import Journal, cause, error_type
    from workflows.returns.state import ReturnState


class Payout:
    def __init__(self, state: ReturnState, journal: Journal, exchange: Exchange) -> None:
        self._state = state
        self._journal = journal
        self._exchange = exchange
        self.waiting = False  # following a pending refund: what waits for the payout need not wait any longer

    def describe(self) -> str:
        s = self._state.settlement
        return f"{s.method.value} of {s.amount.display()} {s.status}"

    async def pay(self, value: Money) -> None:
        """Pay the shopper `value`; for an exchange, ship the replacement and settle the difference."""
        state, journal = self._state, self._journal
        if state.exchange is None:
            state.settlement = await self._settle(value)
            return
        await self._exchange.ship()
        settle, difference = self._exchange.difference(value)
        if settle == "charge":
            journal.note(
                TimelineEvent.EXCHANGE,
                f"the replacement costs {difference.display()} more than the returned items: charging it",
            )
            state.settlement = await self.charge(difference)
            state.exchange.charge_reference = state.settlement.reference
        elif settle == "none":
            state.settlement = Settlement(
                method=Resolution.EXCHANGE, amount=difference, status=SettlementStatus.EXCHANGED
            )
        else:
            journal.note(
                TimelineEvent.EXCHANGE,
                f"the returned items are worth {difference.display()} more: paying it back by {settle}",
            )
            state.settlement = await self._settle(difference, Resolution(settle))

    async def pay_at_first_scan(self) -> None:
        """Trusted shopper (the policy's tier): refunded at the first scan, as quoted."""
        state = self._state
        self._journal.note(
            TimelineEvent.SETTLEMENT, "trusted customer: refunding at the first carrier scan, before inspection"
        )
        state.settlement = await self._settle(state.quote.settlement_amount)
        self._journal.note(TimelineEvent.SETTLEMENT, f"instant {self.describe()}")

    async def pay_after_inspection(self) -> None:
        """What inspection says is due; after an instant refund, what the shopper owes if it was less."""
        state = self._state
        if state.settlement is None:
            return await self.pay(state.refund_due())
        if (owed := state.settlement.amount.amount - state.refund_due().amount) > 0:
            state.owed = Money(amount=owed, currency=state.settlement.amount.currency)
            self._journal.flag(
                AttentionKind.SHOPPER_OWES,
                f"inspection values the items below the instant refund: the shopper owes {state.owed.display()}",
            )

    async def charge(self, amount: Money) -> Settlement:
        inp = self._state.inp
        req = SettlementRequest(return_id=inp.return_id, merchant_id=inp.merchant_id, amount=amount)
        try:
            return await workflow.execute_activity_method(PaymentActivities.charge_difference, req, **PAYMENT)
        except ActivityError as err:
            self._journal.flag(
                AttentionKind.SHOPPER_OWES,
                f"charging the shopper {amount.display()} failed ({cause(err)}): they owe it",
            )
            return Settlement(method=Resolution.EXCHANGE, amount=amount, status=SettlementStatus.CHARGE_FAILED)

    async def _settle(self, due: Money, method: Resolution | None = None) -> Settlement:
        state = self._state
        method = method or state.resolution
        req = SettlementRequest(return_id=state.inp.return_id, merchant_id=state.inp.merchant_id, amount=due)
        if due.amount == 0:
            return Settlement(method=method, amount=due, status=SettlementStatus.NOT_REQUIRED)
        if method == Resolution.REFUND:
            try:
                return await self._refund(req)
            except ActivityError as err:
                if error_type(err) in (ActivityErrorType.PAYOUT_EXCEEDS_CAPTURE, ActivityErrorType.PAYMENT_NOT_OWNED):
                    return self._hold(method, due, err)
                # Refused for good (or failed after pending): the shopper still gets their money as credit,
                # within what the order's payment captured (the activity checks; above it, ops decide).
                state.refund_failure = cause(err)
                self._journal.note(
                    TimelineEvent.SETTLEMENT, f"refund failed ({state.refund_failure}); issuing store credit instead"
                )
        try:
            return await workflow.execute_activity_method(PaymentActivities.issue_store_credit, req, **PAYMENT)
        except ActivityError as err:
            return self._hold(Resolution.STORE_CREDIT, due, err)

    async def _refund(self, req: SettlementRequest) -> Settlement:
        refund = await workflow.execute_activity_method(PaymentActivities.refund_payment, req, **PAYMENT)
        if refund.status == SettlementStatus.SUCCEEDED:
            return refund
        self._journal.note(
            TimelineEvent.SETTLEMENT, f"refund {refund.reference} is {refund.status}; following it until it settles"
        )
        self.waiting = True
        await self._journal.flush()
        check = RefundCheck(return_id=req.return_id, merchant_id=req.merchant_id, refund_id=refund.reference)
        try:
            return await workflow.execute_activity_method(PaymentActivities.confirm_refund, check, **REFUND_FOLLOW_UP)
        except ActivityError as err:
            if not isinstance(err.cause, TimeoutError):
                raise
            # It may still succeed: paying again as credit could pay twice. Ops decide.
            self._journal.flag(
                AttentionKind.REFUND_UNCONFIRMED, f"refund {refund.reference} still unconfirmed after the deadline"
            )
            return refund.model_copy(update={"status": SettlementStatus.UNCONFIRMED})

    def _hold(self, method: Resolution, due: Money, err: ActivityError) -> Settlement:
        """Nothing is paid that the order did not bring in, or to a payment not the merchant's: ops decide."""
        self._journal.flag(AttentionKind.PAYOUT_HELD, f"{method.value} of {due.display()} not paid: {cause(err)}")
        return Settlement(method=method, amount=due, status=SettlementStatus.HELD_FOR_OPS)
