"""ReturnWorkflow: one durable workflow per return, from request to settlement.

`run` is the return's story; each phase lives in a module of its own (labels, exchange, payout,
items) and shares one `ReturnState` and one `Journal`. Handlers are thin: they apply a message to
the state (arrivals, inspection) or wait for `run` to act on it; those that await carrier calls
against the label hold the label lock.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

# Our modules are pure (domain rules, pydantic messages), activity definitions or this workflow's
# phases; passing them through the sandbox keeps one class per model on both sides of an activity
# call and saves re-importing them on every workflow run.
with workflow.unsafe.imports_passed_through():
    from domain.returns import Resolution
    from domain.status import ReturnStatus as S
    from workflows import search_attributes as sa
    from workflows.ids import TRANSFER_OVERDUE_SIGNAL, work_order_id
    from workflows.messages import (
        AttentionKind,
        CancelPickup,
        CancelRequest,
        CarrierEvent,
        ErrorType,
        Inspection,
        InspectionResult,
        PickupWindow,
        ReturnInput,
        ReturnView,
        ReviewDecision,
        SettlementStatus,
        SideEffectTrouble,
        StoreReceipt,
        SubmitReturn,
        TimelineEvent,
        TransferOverdue,
        WarehouseReceipt,
        WorkOrderDone,
    )
    from workflows.returns import guards
    from workflows.returns.announcements import tell_merchant
    from workflows.returns.arrivals import apply_carrier_event, apply_warehouse_receipt
    from workflows.returns.decision import decide
    from workflows.returns.exchange import Exchange
    from workflows.returns.hand_in import HandIn
    from workflows.returns.inspection import apply_inspection, check_inspection
    from workflows.returns.items import Items
    from workflows.returns.journal import Journal, cause
    from workflows.returns.labels import Labels
    from workflows.returns.patches import Patch
    from workflows.returns.settlement import Payout
    from workflows.returns.state import Ending, ReturnState


@workflow.defn
class ReturnWorkflow:
    @workflow.init
    def __init__(self, inp: ReturnInput) -> None:
        self.state = ReturnState.start(inp)
        self.journal = Journal(self.state)
        self.labels = Labels(self.state, self.journal)
        self.exchange = Exchange(self.state, self.journal)
        self.payout = Payout(self.state, self.journal, self.exchange)
        self.items = Items(self.state, self.journal)
        self.hand_in = HandIn(self.state, self.journal, self.exchange)

    # ---- the story -----------------------------------------------------------------------
    @workflow.run
    async def run(self, inp: ReturnInput) -> ReturnView:
        state, journal = self.state, self.journal
        state.ask_patches()  # the one patch a lean return asks (see state.patched)
        if state.lean:
            journal.start_attributes()
        else:
            workflow.upsert_search_attributes([sa.MERCHANT_ID.value_set(inp.merchant_id)])
            if workflow.patched(Patch.LOOKUP_ATTRIBUTES):  # ops find the return by what the merchant tells them
                workflow.upsert_search_attributes([sa.ORDER_ID.value_set(inp.context.order.order_id)])
        if ending := await decide(state, journal):
            return await self._close(ending)
        if ending := await self._reserve_replacements():
            return await self._close(ending)
        if state.cancel is not None:  # accepted while the policy, review or stock was decided: nothing bought
            return await self._close(Ending(S.CANCELLED, TimelineEvent.CANCEL, state.cancel.reason))
        if state.quote.keep_items:
            return await self._close(await self._keep_items())
        if inp.at_a_store and state.patched(Patch.STORE_HAND_IN):  # no label: the shopper brings it to a store
            if ending := await self.hand_in.until_handed_in(self._original_not_back):
                return await self._close(ending)
        else:
            if refusal := await self.labels.buy():
                state.decision_reasons = [refusal]
                return await self._close(Ending(S.REJECTED, TimelineEvent.LABEL, refusal))
            if ending := await self._wait_for_the_parcel():
                return await self._close(ending)
        await self._pay_early()
        items = await self._inspection()
        journal.move(S.SETTLING, TimelineEvent.SETTLEMENT, f"settling by {state.resolution.value}")
        if not state.lean:  # a lean return writes this with the settlement
            await journal.flush()
        await self.payout.pay_after_inspection()
        view = await self._close(Ending(S.COMPLETED, TimelineEvent.SETTLEMENT, self.payout.describe()))
        if items is None:
            return view
        # The shopper's return is complete; the workflow stays until every item is where it belongs
        # (writing what signals change meanwhile: overdue transfers, work orders).
        await journal.wait(items.done)
        await items
        if state.lean:
            await journal.flush()  # a lean wait already over wrote nothing
            journal.publish()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return state.view()

    async def _reserve_replacements(self) -> Ending | None:
        if self.state.resolution != Resolution.EXCHANGE:
            return None
        try:
            await self.exchange.reserve()
        except ActivityError as err:
            reason = f"the exchange cannot be made: {cause(err)}"
            self.state.decision_reasons = [reason]
            return Ending(S.REJECTED, TimelineEvent.EXCHANGE, reason)
        return None

    async def _keep_items(self) -> Ending:
        self.journal.move(S.SETTLING, TimelineEvent.KEEP_ITEM, "the shopper keeps the items: no return shipment needed")
        await self.journal.flush()
        self.state.answered = True
        await self.payout.pay(self.state.quote.settlement_amount)
        return Ending(S.COMPLETED, TimelineEvent.SETTLEMENT, self.payout.describe())

    async def _wait_for_the_parcel(self) -> Ending | None:
        """Until the carrier's first scan; None once it came, else how the return ends (cancel, expiry)."""
        state, inp, labels = self.state, self.state.inp, self.labels
        deadline, timer = timedelta(days=inp.label_expiry_days), "label expiry"
        started = workflow.now()
        if self.exchange.advance:
            # Advance exchange: the replacement leaves now; the original has a deadline of its own.
            await self.exchange.ship()
            deadline, timer = timedelta(days=inp.exchange.advance_deadline_days), "advance exchange: original due"
        if inp.pickup is not None:
            async with labels.lock:
                try:
                    await labels.pickups.book(inp.pickup)
                except ActivityError as err:
                    self.journal.flag(
                        AttentionKind.PICKUP_REFUSED,
                        f"the pickup asked for could not be booked ({cause(err)}); the shopper can drop the parcel off",
                    )
        scanned = await labels.wait_for_first_scan(deadline, timer)
        ending = await labels.finish(scanned)
        if ending == TimelineEvent.CANCEL:
            return Ending(S.CANCELLED, TimelineEvent.CANCEL, state.cancel.reason)
        if scanned:
            return None
        if not self.exchange.advance:
            return Ending(S.EXPIRED, TimelineEvent.EXPIRY, f"label not scanned within {inp.label_expiry_days} days")
        return await self._original_not_back(started)

    async def _original_not_back(self, started: datetime) -> Ending:
        """An advance exchange whose original did not come back in time: charged or cancelled, as ordered."""
        state, inp = self.state, self.state.inp
        days = inp.exchange.advance_deadline_days
        if self.exchange.when_original_missing(started) == "cancel":
            return Ending(
                S.CANCELLED, TimelineEvent.EXCHANGE, f"original not scanned within {days} days: exchange cancelled"
            )
        price = self.exchange.price()
        self.journal.note(
            TimelineEvent.EXCHANGE,
            f"the original was not sent back within {days} days: charging {price.display()} for the replacement",
        )
        state.settlement = await self.payout.charge(price)
        return Ending(S.EXPIRED, TimelineEvent.EXCHANGE, f"original not scanned in time; {self.payout.describe()}")

    async def _pay_early(self) -> None:
        """Paid before inspection: a trusted shopper's refund, an instant exchange's replacement."""
        state = self.state
        if state.quote.instant_refund and state.inp.resolution == Resolution.REFUND:
            if not state.lean:
                workflow.deprecate_patch(Patch.INSTANT_REFUND)
            await self.payout.pay_at_first_scan()
        if self.exchange.instant:
            self.journal.note(
                TimelineEvent.EXCHANGE, "instant exchange: shipping the replacement at the first carrier scan"
            )
            await self.exchange.ship()

    async def _inspection(self) -> asyncio.Task | None:
        """Until the warehouse has inspected every item (ops hear when it takes longer than the SLA);
        then the items start towards their facilities, which paying the shopper does not wait for."""
        state, journal = self.state, self.journal
        if not state.patched(Patch.WAREHOUSE_ROUTING):
            await journal.wait(lambda: state.status == S.INSPECTED)
            return None
        await journal.wait(lambda: state.status in (S.RECEIVED, S.INSPECTED))
        sla = timedelta(hours=state.inp.inspection_sla_hours)
        if not await journal.wait(lambda: state.status == S.INSPECTED, timeout=sla, summary="inspection SLA"):
            journal.flag(
                AttentionKind.INSPECTION_OVERDUE,
                f"no inspection within {state.inp.inspection_sla_hours} h of the dock receipt",
            )
        await journal.wait(lambda: state.status == S.INSPECTED)
        if state.lean:
            return asyncio.create_task(self._items_after_payout())
        return asyncio.create_task(self.items.route_and_follow())

    async def _items_after_payout(self) -> None:
        """A lean return routes its items in the workflow task that writes the settlement (one local-activity
        action for both), or as soon as the payout waits on something slow (a pending refund)."""
        await workflow.wait_condition(lambda: self.state.settlement is not None or self.payout.waiting)
        await self.items.route_and_follow()

    async def _close(self, ending: Ending) -> ReturnView:
        state, journal = self.state, self.journal
        if state.exchange is not None and ending.status != S.COMPLETED:
            # Charged for a kept replacement: it stays with the shopper; otherwise nothing ships.
            await self.exchange.unwind(
                void_shipped=not (state.settlement and state.settlement.status == SettlementStatus.CHARGED)
            )
        journal.move(ending.status, ending.event, ending.cause, final=True)
        # Since the outbox, the projection announces every step; older histories told the merchant here.
        if (
            state.settlement is not None
            and not state.patched(Patch.NOTIFICATION_OUTBOX)
            and state.patched(Patch.MERCHANT_WEBHOOKS)
        ):
            await tell_merchant(state, journal)
        journal.publish()  # a lean return's last search attributes (none pending on older ones)
        await journal.flush()
        state.answered = True
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self.labels.background_done()
        return state.view()

    # ---- reads -----------------------------------------------------------------------------
    @workflow.query
    def view(self) -> ReturnView:
        return self.state.view()

    # ---- messages --------------------------------------------------------------------------
    @workflow.update
    async def submit(self, req: SubmitReturn) -> ReturnView:
        # Answers once the label is bought (or the return refused). The API bounds its own wait
        # (202 after a timeout), so no timer here.
        await workflow.wait_condition(lambda: self.state.answered)
        return self.view()

    @submit.validator
    def _validate_submit(self, req: SubmitReturn) -> None:
        guards.check_submit(self.state, req)

    @workflow.signal
    def carrier_event(self, event: CarrierEvent) -> None:
        apply_carrier_event(self.state, self.journal, event)

    @workflow.signal
    def warehouse_receipt(self, receipt: WarehouseReceipt) -> None:
        apply_warehouse_receipt(self.state, self.journal, receipt)

    @workflow.update
    def receive_at_store(self, receipt: StoreReceipt) -> ReturnView:
        # Answers at once: `run`, waiting for the hand-in, writes the projection and goes on.
        self.hand_in.receive(receipt)
        return self.view()

    @receive_at_store.validator
    def _validate_receive_at_store(self, receipt: StoreReceipt) -> None:
        self.hand_in.check(receipt)

    @workflow.signal
    async def side_effect_trouble(self, trouble: SideEffectTrouble) -> None:
        """A call to the outside keeps failing while Temporal retries it: ops see it now, not when the
        retries run out a day later; written at once, since `run` may be waiting on that very call."""
        if self.journal.side_effect(trouble):
            await self.journal.flush()

    @workflow.signal(name=TRANSFER_OVERDUE_SIGNAL)
    def transfer_overdue(self, late: TransferOverdue) -> None:
        self.journal.flag(
            AttentionKind.TRANSFER_OVERDUE,
            f"line {late.line_id}: transfer {late.tracking_code} to {late.facility_id} "
            f"not confirmed within {late.days} days",
            late.line_id,
        )

    @workflow.signal
    def work_order_done(self, done: WorkOrderDone) -> None:
        # The id is derived, not remembered: a completion may arrive before the workflow has
        # seen the activity that opened the order finish.
        if done.work_order_id == work_order_id(self.state.inp.return_id, done.line_id):
            self.state.work_orders_done.setdefault(done.line_id, done)

    @workflow.update
    async def review(self, decision: ReviewDecision) -> ReturnView:
        self.state.review = decision
        await workflow.wait_condition(lambda: self.state.status != S.PENDING_REVIEW)
        return self.view()

    @review.validator
    def _validate_review(self, decision: ReviewDecision) -> None:
        guards.check_review(self.state, decision)

    @workflow.update
    def inspect(self, inspection: Inspection) -> InspectionResult:
        return apply_inspection(self.state, self.journal, inspection)

    @inspect.validator
    def _validate_inspect(self, inspection: Inspection) -> None:
        check_inspection(self.state, inspection)

    @workflow.update
    async def schedule_pickup(self, window: PickupWindow) -> ReturnView:
        async with self.labels.lock:
            guards.still_bookable(self.state)
            try:
                await self.labels.pickups.book(window)
            except ActivityError as err:
                raise ApplicationError(
                    f"the carrier refused the pickup: {cause(err)}", type=ErrorType.PICKUP_REFUSED
                ) from err
        return self.view()

    @schedule_pickup.validator
    def _validate_schedule_pickup(self, window: PickupWindow) -> None:
        guards.check_schedule_pickup(self.state, window)

    @workflow.update
    async def cancel_pickup(self, req: CancelPickup) -> ReturnView:
        async with self.labels.lock:
            if self.labels.pickups.scheduled is not None:  # `run` may have cancelled it meanwhile
                try:
                    await self.labels.pickups.cancel(req.reason)
                except ActivityError as err:
                    raise ApplicationError(
                        f"the carrier did not cancel the pickup: {cause(err)}", type=ErrorType.PICKUP_REFUSED
                    ) from err
        return self.view()

    @cancel_pickup.validator
    def _validate_cancel_pickup(self, req: CancelPickup) -> None:
        guards.check_cancel_pickup(self.state)

    @workflow.update
    async def cancel(self, req: CancelRequest) -> ReturnView:
        # Accepted before the first scan, the cancel is final: a scan arriving now is noted and flagged.
        self.state.cancel = self.state.cancel or req
        await workflow.wait_condition(lambda: self.state.status.is_final)
        return self.view()

    @cancel.validator
    def _validate_cancel(self, req: CancelRequest) -> None:
        guards.check_cancel(self.state, req)
