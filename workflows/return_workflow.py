"""ReturnWorkflow: one durable workflow per return, from request to settlement.

State changes happen in handlers and in `run`; each one adds a timeline entry
and upserts the `ReturnStatus` search attribute. `run` writes pending entries
to the database in batches (`_flush`) whenever it wakes, so a burst of carrier
events costs one projection write, not one each.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from temporalio import workflow
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    ChildWorkflowError,
    TimeoutError,
)

# Our modules are pure (domain rules, pydantic messages) or activity definitions; passing
# them through the sandbox keeps one class per model on both sides of an activity call
# and saves re-importing them on every workflow run.
with workflow.unsafe.imports_passed_through():
    from activities.carrier import (
        CarrierActivities,
        LabelRequest,
        PickupOrder,
        PickupRef,
        ReplacementShipmentRequest,
        VoidRequest,
    )
    from activities.email import EmailActivities, LabelEmail
    from activities.errors import PAYMENT_NOT_OWNED, PAYOUT_BOUND
    from activities.exchanges import (
        ExchangeActivities,
        ReserveRequest,
        ReturnRef,
        ShipRef,
    )
    from activities.inventory import InventoryActivities, ItemStep, work_order_id
    from activities.notify import Announcement, MerchantEvent, NotifyActivities
    from activities.payments import PaymentActivities, RefundCheck, SettlementRequest
    from activities.routing import RoutingActivities
    from activities.store import StoreActivities
    from domain import carrier as carrier_rules
    from domain import policy
    from domain.disposition import DispositionKind, DispositionPolicy
    from domain.inspection import amount_due, item_outcome
    from domain.money import Money
    from domain.parcels import Parcel, plan_parcels
    from domain.policy import Quote
    from domain.returns import Resolution
    from domain.status import (
        ALLOWED_TRANSITIONS,
        InvalidTransition,
        ReturnStatus,
        check_transition,
    )
    from workflows import search_attributes as sa
    from workflows.activity_options import (
        ANNOUNCE,
        CARRIER,
        EMAIL,
        ITEMS,
        PAYMENT,
        PROJECTION,
        REFUND_FOLLOW_UP,
        VOID_FOLLOW_UP,
    )
    from workflows.ids import transfer_workflow_id
    from workflows.messages import (
        AttentionEntry,
        CancelPickup,
        CancelRequest,
        CarrierEvent,
        ErrorType,
        ExchangeView,
        Inspection,
        InspectionResult,
        ItemRoute,
        ItemStage,
        ItemView,
        Label,
        Pickup,
        PickupWindow,
        ReturnInput,
        ReturnProjection,
        ReturnView,
        ReviewDecision,
        RouteItem,
        RouteRequest,
        Settlement,
        SideEffectTrouble,
        SubmitReturn,
        TimelineEntry,
        TransferInput,
        TransferOverdue,
        WarehouseReceipt,
        WorkOrderDone,
    )
    from workflows.transfer_workflow import TRANSFER_OVERDUE_SIGNAL, TransferWorkflow

S = ReturnStatus
T = TypeVar("T")
# Patch ids: code added after histories were recorded; returns already past these points replay without it.
WAREHOUSE_ROUTING = "warehouse-routing"
VOID_FOLLOW_UP_PATCH = "void-follow-up"
LABEL_EMAIL_PATCH = "label-email"
# A pickup not collected by its window's end (plus this) is missed: the shopper drops the parcel off.
PICKUP_GRACE = timedelta(hours=2)

@workflow.defn
class ReturnWorkflow:
    @workflow.init
    def __init__(self, inp: ReturnInput) -> None:
        self._inp = inp
        self._status = S.REQUESTED
        self._items = [ItemView(line_id=l.line_id, sku=l.sku, quantity=l.quantity, reason=l.reason) for l in inp.lines]
        self._label: Label | None = None
        self._settlement: Settlement | None = None
        self._decision_reasons: list[str] = []
        self._updated_at = inp.requested_at
        self._seq = 0
        self._pending: list[TimelineEntry] = []
        self._seen_events: set[str] = set()
        self._tracking_status = "unknown"
        self._cancel: CancelRequest | None = None
        self._review: ReviewDecision | None = None
        # The policy's verdict, computed once from the input (pure and deterministic, so replay-safe).
        self._quote: Quote = policy.evaluate(inp.policy, inp.context, inp.lines, inp.resolution, inp.requested_at)
        self._refund_failure: str | None = None
        self._owed: Money | None = None  # instant refund above what inspection allowed
        self._answered = False  # the first projection (with the label, or the refusal) is written
        self._attention_keys: set[str] = set()
        self._attention: list[AttentionEntry] = []  # flagged, not yet written
        self._received_at_facility: str | None = None
        self._work_orders_done: dict[str, WorkOrderDone] = {}
        # What the shopper gets: the requested resolution, or their second choice when an
        # exchange cannot happen (out of stock).
        self._resolution = inp.resolution
        self._exchange: ExchangeView | None = None
        self._void_follow: asyncio.Task | None = None
        self._relabel_reason: str | None = None  # set when the carrier cancels an unused label
        self._relabels = 0
        self._parcels: list[Label] = []  # every parcel's label, when a return needs several
        self._parcels_received: set[str] = set()
        self._pickups_booked = 0
        self._pickup_watch: asyncio.Task | None = None
        self._label_mail: asyncio.Task | None = None
        # Handlers and `run` that buy, void or book against the label take turns (safe_message_handlers).
        self._label_lock = asyncio.Lock()
        self._troubles: dict[str, int] = {}  # activity type -> attempt at which it was reported failing

    # ---- reads -------------------------------------------------------------------------
    @workflow.query
    def view(self) -> ReturnView:
        return ReturnView(
            return_id=self._inp.return_id,
            merchant_id=self._inp.merchant_id,
            order_id=self._inp.context.order.order_id,
            status=self._status,
            resolution=self._resolution,
            items=self._items,
            label=self._label,
            parcels=self._parcels,
            refund=self._settlement,
            exchange=self._exchange,
            decision_reasons=self._decision_reasons,
            request_fingerprint=self._inp.request_fingerprint,
            policy_version=self._inp.policy_version,
            created_at=self._inp.requested_at,
            updated_at=self._updated_at,
        )

    # ---- messages ----------------------------------------------------------------------
    @workflow.update
    async def submit(self, req: SubmitReturn) -> ReturnView:
        # Answers once the label is bought (or the return refused). The API bounds its own wait
        # (202 after a timeout), so no timer here: one less timer per return.
        await workflow.wait_condition(lambda: self._answered)
        return self.view()

    @submit.validator
    def _validate_submit(self, req: SubmitReturn) -> None:
        if req.request_fingerprint != self._inp.request_fingerprint:
            raise ApplicationError(
                "this return id was created by a different request", type=ErrorType.IDEMPOTENCY_CONFLICT
            )

    @workflow.signal
    def carrier_event(self, event: CarrierEvent) -> None:
        if event.event_id in self._seen_events:
            return
        self._seen_events.add(event.event_id)
        self._tracking_status = event.tracking_status
        detail = f" ({event.status_detail})" if event.status_detail else ""
        if self._cancel is not None and (self._status.is_cancellable or self._status.is_final):
            # The cancel was accepted before this scan: it wins; a parcel sent anyway is for ops.
            said = f"carrier reported {event.tracking_status}{detail} [{event.event_id}]"
            if carrier_rules.is_first_scan(event.tracking_status):
                return self._flag("scanned_after_cancel", f"{said} after the return was cancelled: "
                                  "if the parcel arrives, receive it by hand")  # fmt: skip
            return self._note("carrier_event", said)
        if event.tracking_status in carrier_rules.EXCEPTIONS and not self._status.is_final:
            return self._carrier_exception(event, detail)
        target = carrier_rules.status_after_tracking(self._status, event.tracking_status)
        if target is None:
            self._note("carrier_event", f"carrier reported {event.tracking_status}{detail} [{event.event_id}]")
        else:
            self._move(target, "carrier_event", f"carrier reported {event.tracking_status}{detail} [{event.event_id}]")

    def _carrier_exception(self, event: CarrierEvent, detail: str) -> None:
        said = f"carrier reported {event.tracking_status}{detail} [{event.event_id}]"
        if event.tracking_status == "cancelled" and self._status == S.LABEL_CREATED:
            self._relabel_reason = said  # the run loop buys a new label
            self._note("carrier_event", said)
        elif event.tracking_status == "available_for_pickup":
            target = carrier_rules.status_after_tracking(self._status, event.tracking_status)
            cause = f"{said}: {carrier_rules.EXCEPTIONS[event.tracking_status]}"
            if target:
                self._move(target, "carrier_event", cause)
            else:
                self._note("carrier_event", cause)
        else:  # return_to_sender, failure, a cancelled label already moving: a person decides
            self._flag("carrier_exception", f"{said}: {carrier_rules.EXCEPTIONS[event.tracking_status]}")

    @workflow.signal
    def warehouse_receipt(self, receipt: WarehouseReceipt) -> None:
        if self._cancel is not None and (self._status.is_cancellable or self._status.is_final):
            # Cancelled before the parcel came: the dock has goods of a return that is over.
            return self._flag("received_after_cancel", f"dock scan at warehouse {receipt.warehouse_id} after the "
                              "return was cancelled: handle the parcel by hand", about=receipt.receipt_id)  # fmt: skip
        if receipt.receipt_id in self._seen_events or S.RECEIVED not in ALLOWED_TRANSITIONS[self._status]:
            return  # duplicate, or nothing to receive (cancelled, already received, ...)
        self._seen_events.add(receipt.receipt_id)
        codes = [p.tracking_code for p in self._parcels]
        if receipt.tracking_code in codes:  # one parcel of several: received when all are
            if receipt.tracking_code in self._parcels_received:
                return  # that parcel was scanned already
            self._parcels_received.add(receipt.tracking_code)
            if len(self._parcels_received) < len(codes):
                number = codes.index(receipt.tracking_code) + 1
                self._note("warehouse_receipt", f"parcel {number} of {len(codes)} ({receipt.tracking_code}) scanned at "
                           f"{receipt.warehouse_id}; waiting for {len(codes) - len(self._parcels_received)} more")  # fmt: skip
                return
        self._received_at_facility = receipt.warehouse_id
        self._move(S.RECEIVED, "warehouse_receipt", f"dock scan at warehouse {receipt.warehouse_id}")

    @workflow.signal
    async def side_effect_trouble(self, trouble: SideEffectTrouble) -> None:
        """A call to the outside keeps failing while Temporal retries it: ops see it now, not when the
        retries run out a day later; written at once, since `run` may be waiting on that very call."""
        if trouble.recovered:
            if self._troubles.pop(trouble.activity, None) is None:
                return
            self._note("side_effect", f"{trouble.activity} succeeded at attempt {trouble.attempt}")
        else:
            if trouble.activity in self._troubles:
                return
            self._troubles[trouble.activity] = trouble.attempt
            self._flag("side_effect_failing", f"{trouble.activity} keeps failing (attempt {trouble.attempt}): "
                       f"{trouble.error[:300]}; still retrying", about=trouble.activity)  # fmt: skip
        await self._flush()

    @workflow.signal(name=TRANSFER_OVERDUE_SIGNAL)
    def transfer_overdue(self, late: TransferOverdue) -> None:
        self._flag("transfer_overdue", f"line {late.line_id}: transfer {late.tracking_code} to {late.facility_id} "
                   f"not confirmed within {late.days} days", late.line_id)  # fmt: skip

    @workflow.signal
    def work_order_done(self, done: WorkOrderDone) -> None:
        # The id is derived, not remembered: a completion may arrive before the workflow has
        # seen the activity that opened the order finish.
        if done.work_order_id != work_order_id(self._inp.return_id, done.line_id) or done.line_id in self._work_orders_done:
            return  # not this return's order, or a repeat
        self._work_orders_done[done.line_id] = done

    @workflow.update
    async def review(self, decision: ReviewDecision) -> ReturnView:
        self._review = decision
        await workflow.wait_condition(lambda: self._status != S.PENDING_REVIEW)
        return self.view()

    @review.validator
    def _validate_review(self, decision: ReviewDecision) -> None:
        if self._status != S.PENDING_REVIEW or self._review is not None:
            raise ApplicationError(
                f"the return is {self._status.value}; only a return held for review can be reviewed",
                type=ErrorType.WRONG_STATE,
            )

    @workflow.update
    def inspect(self, inspection: Inspection) -> InspectionResult:
        outcomes = []
        lines = {l.line_id: l for l in self._inp.lines}
        rules = inspection.disposition_rules or DispositionPolicy()
        for inspected in inspection.items:
            outcome = item_outcome(
                lines[inspected.line_id], inspected.grade, self._item_value(inspected.line_id), rules,
                matches_reason=inspected.matches_reason, problem=inspected.problem,
            )  # fmt: skip
            item = self._item(inspected.line_id)
            item.grade, item.disposition, item.refund = outcome.grade, outcome.disposition, outcome.refund
            item.findings, item.recovery_value = outcome.findings, outcome.recovery_value
            if item.disposition is None:
                item.stage = ItemStage.NOT_RECEIVED
            outcomes.append(outcome)
            graded = f"graded {outcome.grade}: {outcome.disposition}" if outcome.grade else "missing from the parcel"
            by = f" by {inspection.inspector}" if inspection.inspector else ""
            self._note("inspection", f"line {item.line_id} {graded} (rule {outcome.rule}){by}" if outcome.rule else f"line {item.line_id} {graded}{by}")
            if outcome.findings and workflow.patched(WAREHOUSE_ROUTING):
                self._flag("inspection_finding", f"line {item.line_id}: " + "; ".join(f.words for f in outcome.findings)
                           + f" (refund {outcome.refund.display()})", item.line_id)  # fmt: skip
        if all(i.grade is not None or i.stage == ItemStage.NOT_RECEIVED or self._kept(i.line_id) for i in self._items):
            self._move(S.INSPECTED, "inspection", f"all {len(self._items)} items inspected")
        return InspectionResult(items=outcomes, refund=self._refund_due(), status=self._status)

    @inspect.validator
    def _validate_inspect(self, inspection: Inspection) -> None:
        if self._status != S.RECEIVED:
            raise ApplicationError(
                f"the return is {self._status.value}; inspection needs it received", type=ErrorType.WRONG_STATE
            )
        known = {i.line_id: i for i in self._items}
        seen: set[str] = set()
        for inspected in inspection.items:
            if inspected.line_id not in known:
                raise ApplicationError(f"line {inspected.line_id!r} is not in this return", type=ErrorType.UNKNOWN_LINE)
            if self._kept(inspected.line_id):
                raise ApplicationError(
                    f"line {inspected.line_id!r} is kept by the shopper; nothing comes back to inspect",
                    type=ErrorType.UNKNOWN_LINE,
                )
            if (inspected.grade is None) != (inspected.problem == "missing"):
                raise ApplicationError(
                    f"line {inspected.line_id!r}: a grade is required unless the item is missing (and only then omitted)",
                    type=ErrorType.INVALID_INSPECTION,
                )
            if inspected.line_id in seen or known[inspected.line_id].grade is not None or known[inspected.line_id].stage:
                raise ApplicationError(
                    f"line {inspected.line_id!r} is already inspected", type=ErrorType.ALREADY_INSPECTED
                )
            seen.add(inspected.line_id)

    @workflow.update
    async def schedule_pickup(self, window: PickupWindow) -> ReturnView:
        async with self._label_lock:
            if self._cancel is not None or self._status != S.LABEL_CREATED:  # changed while waiting for the lock
                raise ApplicationError(f"the return is {'being cancelled' if self._cancel else self._status.value}; "
                                       "no pickup was booked", type=ErrorType.WRONG_STATE)  # fmt: skip
            try:
                await self._book_pickup(window)
            except ActivityError as err:
                raise ApplicationError(f"the carrier refused the pickup: {_cause(err)}", type=ErrorType.PICKUP_REFUSED) from err
        return self.view()

    @schedule_pickup.validator
    def _validate_schedule_pickup(self, window: PickupWindow) -> None:
        if self._status != S.LABEL_CREATED or carrier_rules.is_first_scan(self._tracking_status):
            raise ApplicationError(
                f"the return is {self._status.value}; a pickup can be booked only before the carrier has the parcel",
                type=ErrorType.WRONG_STATE,
            )
        if self._label.pickup is not None and self._label.pickup.status == "scheduled":
            raise ApplicationError(f"pickup {self._label.pickup.pickup_id} is already scheduled; cancel it first",
                                   type=ErrorType.WRONG_STATE)  # fmt: skip
        if window.max_datetime <= window.min_datetime or window.max_datetime <= workflow.now():
            raise ApplicationError("the pickup window must end after it starts, and in the future", type=ErrorType.INVALID_PICKUP)

    @workflow.update
    async def cancel_pickup(self, req: CancelPickup) -> ReturnView:
        async with self._label_lock:
            pickup = self._label.pickup
            if pickup is not None and pickup.status == "scheduled":  # the run loop may have cancelled it meanwhile
                try:
                    await self._cancel_pickup(req.reason)
                except ActivityError as err:
                    raise ApplicationError(f"the carrier did not cancel the pickup: {_cause(err)}",
                                           type=ErrorType.PICKUP_REFUSED) from err  # fmt: skip
        return self.view()

    @cancel_pickup.validator
    def _validate_cancel_pickup(self, req: CancelPickup) -> None:
        pickup = self._label.pickup if self._label else None
        if pickup is None or pickup.status != "scheduled" or carrier_rules.is_first_scan(self._tracking_status):
            state = "no pickup is booked" if pickup is None else f"the pickup is {pickup.status}"
            raise ApplicationError(f"{state}; only a scheduled pickup not yet made can be cancelled", type=ErrorType.WRONG_STATE)

    @workflow.update
    async def cancel(self, req: CancelRequest) -> ReturnView:
        # Accepted before the first scan, the cancel is final: a scan arriving now is noted and flagged.
        self._cancel = self._cancel or req
        await workflow.wait_condition(lambda: self._status.is_final)
        return self.view()

    @cancel.validator
    def _validate_cancel(self, req: CancelRequest) -> None:
        if self._cancel is not None:
            return  # already being cancelled: this one answers with the same outcome
        if self._exchange is not None and any(r.status == "shipped" for r in self._exchange.replacements):
            raise ApplicationError("the replacement has already been sent to the shopper; the return can no longer be "
                                   "cancelled: the original is expected back", type=ErrorType.WRONG_STATE)  # fmt: skip
        if not self._status.is_cancellable or carrier_rules.is_first_scan(self._tracking_status):
            raise ApplicationError(
                f"the return is {self._status.value}; it can be cancelled only until the carrier scans it",
                type=ErrorType.WRONG_STATE,
            )

    # ---- the lifecycle -----------------------------------------------------------------
    @workflow.run
    async def run(self, inp: ReturnInput) -> ReturnView:
        workflow.upsert_search_attributes([sa.MERCHANT_ID.value_set(inp.merchant_id)])
        self._move(S.REQUESTED, "requested", f"{len(inp.lines)} item(s) requested for {inp.resolution.value}")
        quote = self._quote
        under = f"policy version {inp.policy_version}" if inp.policy_version else "the default policy"
        self._note("policy", f"evaluated under {under}: " + (" ".join(quote.rules_fired) or "no special rules applied."))
        await self._flush()  # the return is readable from the first moment
        if not quote.eligible:
            self._decision_reasons = quote.reasons
            return await self._finish(S.REJECTED, "policy", " ".join(quote.reasons))
        if quote.needs_review:
            self._move(S.PENDING_REVIEW, "review", "held for manual review: " + "; ".join(quote.review_reasons))
            self._answered = True
            await self._wait(lambda: self._review is not None or self._cancel is not None)
            if self._cancel is not None:
                return await self._finish(S.CANCELLED, "cancel", self._cancel.reason)
            verdict = f"{self._review.decision}d by {self._review.reviewer}" + (
                f": {self._review.note}" if self._review.note else ""
            )
            if self._review.decision == "reject":
                self._decision_reasons = [f"rejected in review{': ' + self._review.note if self._review.note else ''}"]
                return await self._finish(S.REJECTED, "review", verdict)
            self._note("review", verdict)
        if self._resolution == Resolution.EXCHANGE:
            try:
                await self._reserve_replacements()
            except ActivityError as err:
                reason = f"the exchange cannot be made: {_cause(err)}"
                self._decision_reasons = [reason]
                return await self._finish(S.REJECTED, "exchange", reason)
        if self._cancel is not None:  # accepted while the policy, review or stock was decided: nothing bought
            return await self._finish(S.CANCELLED, "cancel", self._cancel.reason)
        if quote.keep_items:
            self._move(S.SETTLING, "keep_item", "the shopper keeps the items: no return shipment needed")
            await self._flush()
            self._answered = True
            await self._settle_all(quote.settlement_amount)
            return await self._finish(S.COMPLETED, "settlement", self._settled_cause())

        parcels = plan_parcels(inp.lines)  # one parcel for almost every return
        try:
            self._label = await workflow.execute_activity_method(
                CarrierActivities.buy_return_label,
                self._label_request(weight_oz=parcels[0].weight_oz if len(parcels) > 1 else None),
                **CARRIER,
            )
            if len(parcels) > 1:
                await self._buy_further_parcels(parcels)
        except ActivityError as err:
            reason = f"no return label could be bought: {_cause(err)}"
            self._decision_reasons = [reason]
            if self._label is not None:
                await self._void_label("label")
            return await self._finish(S.REJECTED, "label", reason)
        self._move(
            S.LABEL_CREATED,
            "label",
            f"{self._label.carrier} {self._label.service} label {self._label.tracking_code} "
            f"bought for {self._label.rate.display()}",
        )
        await self._flush()
        self._answered = True
        if workflow.patched(LABEL_EMAIL_PATCH):
            self._label_mail = asyncio.create_task(self._email_label())

        expiry = timedelta(days=inp.label_expiry_days)
        advance = self._exchange is not None and self._exchange.mode == "advance"
        if advance:
            # Advance exchange: the replacement leaves now; the original has a deadline of its own.
            await self._ship_replacements()
            expiry = timedelta(days=inp.exchange.advance_deadline_days)
        if inp.pickup is not None:
            try:
                await self._book_pickup(inp.pickup)
            except ActivityError as err:
                self._flag("pickup_refused", f"the pickup asked for could not be booked ({_cause(err)}); the shopper can drop the parcel off")
        deadline = workflow.now() + expiry
        while True:
            scanned = await self._wait(
                lambda: self._cancel is not None or self._status != S.LABEL_CREATED or self._relabel_reason is not None,
                timeout=deadline - workflow.now(),
            )
            if self._relabel_reason is None or self._cancel is not None or self._status != S.LABEL_CREATED:
                break
            try:
                async with self._label_lock:
                    await self._relabel()
            except ActivityError as err:
                self._flag("relabel_failed", f"no new label could be bought: {_cause(err)}")
        async with self._label_lock:  # a pickup booking in flight finishes first, or sees the end
            if self._label.pickup is not None and self._label.pickup.status == "scheduled":
                if self._status == S.LABEL_CREATED:  # cancelled or expired: nobody needs to come
                    try:
                        await self._cancel_pickup("the return ended before the pickup")
                    except ActivityError as err:
                        self._flag("pickup_not_cancelled", f"pickup {self._label.pickup.confirmation} could not be "
                                   f"cancelled: {_cause(err)}; the carrier may still come")  # fmt: skip
                else:
                    self._set_pickup_status("picked_up")
            ending = "cancel" if self._cancel is not None and self._status.is_cancellable else None
            ending = ending or ("expiry" if not scanned else None)
            if ending:
                await self._void_label(ending)
                await self._void_further_parcels(ending)
        if ending == "cancel":
            return await self._finish(S.CANCELLED, "cancel", self._cancel.reason)
        if not scanned:
            if advance and inp.exchange.on_missing == "charge":
                price = self._replacement_price()
                self._note("exchange", f"the original was not sent back within {inp.exchange.advance_deadline_days} days: "
                           f"charging {price.display()} for the replacement")  # fmt: skip
                self._settlement = await self._charge(price)
                return await self._finish(S.EXPIRED, "exchange", f"original not scanned in time; {self._settled_cause()}")
            if advance:
                return await self._finish(S.CANCELLED, "exchange", f"original not scanned within {inp.exchange.advance_deadline_days} days: exchange cancelled")
            return await self._finish(S.EXPIRED, "expiry", f"label not scanned within {inp.label_expiry_days} days")

        if quote.instant_refund and inp.resolution == Resolution.REFUND:
            # Trusted shopper (the policy's tier): refunded at the first scan, as quoted.
            workflow.patched("instant-refund")
            self._note("settlement", "trusted customer: refunding at the first carrier scan, before inspection")
            self._settlement = await self._settle(quote.settlement_amount)
            self._note("settlement", f"instant {self._settled_cause()}")
        if self._exchange is not None and self._exchange.mode == "instant":
            self._note("exchange", "instant exchange: shipping the replacement at the first carrier scan")
            await self._ship_replacements()

        items = None
        if workflow.patched(WAREHOUSE_ROUTING):
            await self._wait(lambda: self._status in (S.RECEIVED, S.INSPECTED))
            sla = timedelta(hours=inp.inspection_sla_hours)
            if not await self._wait(lambda: self._status == S.INSPECTED, timeout=sla):
                self._flag("inspection_overdue", f"no inspection within {inp.inspection_sla_hours} h of the dock receipt")
            await self._wait(lambda: self._status == S.INSPECTED)
            # Items start towards their facilities now; paying the shopper does not wait for them.
            items = asyncio.create_task(self._route_and_follow_items())
        else:
            await self._wait(lambda: self._status == S.INSPECTED)
        self._move(S.SETTLING, "settlement", f"settling by {self._resolution.value}")
        await self._flush()
        if self._settlement is None:
            await self._settle_all(self._refund_due())
        elif (owed := self._settlement.amount.amount - self._refund_due().amount) > 0:
            # Inspection found less than was refunded up front: record what the shopper owes; ops follow up.
            self._owed = Money(amount=owed, currency=self._settlement.amount.currency)
            self._flag("shopper_owes", f"inspection values the items below the instant refund: the shopper owes {self._owed.display()}")
        view = await self._finish(S.COMPLETED, "settlement", self._settled_cause())
        if items is None:
            return view
        # The shopper's return is complete; the workflow stays until every item is where it belongs
        # (writing what signals change meanwhile: overdue transfers, work orders).
        await self._wait(items.done)
        await items
        return self.view()

    def _settled_cause(self) -> str:
        s = self._settlement
        return f"{s.method.value} of {s.amount.display()} {s.status}"

    async def _settle_all(self, value: Money) -> None:
        """Pay the shopper `value`; for an exchange, ship the replacement and settle the difference."""
        if self._exchange is None:
            self._settlement = await self._settle(value)
            return
        await self._ship_replacements()
        price = self._replacement_price()
        signed = price.amount - value.amount
        fallback = Resolution(self._inp.exchange.fallback)
        ex = self._exchange
        ex.difference = Money(amount=abs(signed), currency=price.currency)
        ex.settle_difference = "charge" if signed > 0 else (fallback.value if signed < 0 else "none")
        if signed > 0:
            self._note("exchange", f"the replacement costs {ex.difference.display()} more than the returned items: charging it")
            self._settlement = await self._charge(ex.difference)
            ex.charge_reference = self._settlement.reference
        elif signed < 0:
            self._note("exchange", f"the returned items are worth {ex.difference.display()} more: paying it back by {fallback.value}")
            self._settlement = await self._settle(ex.difference, fallback)
        else:
            self._settlement = Settlement(method=Resolution.EXCHANGE, amount=ex.difference, status="exchanged")

    async def _charge(self, amount: Money) -> Settlement:
        req = SettlementRequest(return_id=self._inp.return_id, merchant_id=self._inp.merchant_id, amount=amount)
        try:
            return await workflow.execute_activity_method(PaymentActivities.charge_difference, req, **PAYMENT)
        except ActivityError as err:
            self._flag("shopper_owes", f"charging the shopper {amount.display()} failed ({_cause(err)}): they owe it")
            return Settlement(method=Resolution.EXCHANGE, amount=amount, status="charge_failed")

    async def _settle(self, due: Money, method: Resolution | None = None) -> Settlement:
        method = method or self._resolution
        req = SettlementRequest(return_id=self._inp.return_id, merchant_id=self._inp.merchant_id, amount=due)
        if due.amount == 0:
            return Settlement(method=method, amount=due, status="not_required")
        if method == Resolution.REFUND:
            try:
                refund = await workflow.execute_activity_method(PaymentActivities.refund_payment, req, **PAYMENT)
                if refund.status == "succeeded":
                    return refund
                self._note("settlement", f"refund {refund.reference} is {refund.status}; following it until it settles")
                await self._flush()
                check = RefundCheck(return_id=req.return_id, merchant_id=req.merchant_id, refund_id=refund.reference)
                try:
                    return await workflow.execute_activity_method(
                        PaymentActivities.confirm_refund, check, **REFUND_FOLLOW_UP
                    )
                except ActivityError as err:
                    if not isinstance(err.cause, TimeoutError):
                        raise
                    # It may still succeed: paying again as credit could pay twice. Ops decide.
                    self._flag("refund_unconfirmed", f"refund {refund.reference} still unconfirmed after the deadline")
                    return refund.model_copy(update={"status": "unconfirmed"})
            except ActivityError as err:
                if _error_type(err) in (PAYOUT_BOUND, PAYMENT_NOT_OWNED):
                    return self._hold_payout(method, due, err)
                # Refused for good (or failed after pending): the shopper still gets their money as credit,
                # within what the order's payment captured (the activity checks; above it, ops decide).
                self._refund_failure = _cause(err)
                self._note("settlement", f"refund failed ({self._refund_failure}); issuing store credit instead")
        try:
            return await workflow.execute_activity_method(PaymentActivities.issue_store_credit, req, **PAYMENT)
        except ActivityError as err:
            return self._hold_payout(Resolution.STORE_CREDIT, due, err)

    def _hold_payout(self, method: Resolution, due: Money, err: ActivityError) -> Settlement:
        """Nothing is paid that the order did not bring in, or to a payment not the merchant's: ops decide."""
        self._flag("payout_held", f"{method.value} of {due.display()} not paid: {_cause(err)}")
        return Settlement(method=method, amount=due, status="held_for_ops")

    async def _void_label(self, why: str) -> None:
        assert self._label is not None
        label = self._label
        refund_status = await self._attempt("void_failed", f"voiding label {label.tracking_code}", workflow.execute_activity_method(
            CarrierActivities.void_label, VoidRequest(return_id=self._inp.return_id, shipment_id=label.shipment_id), **CARRIER
        ))  # fmt: skip
        if refund_status is None:
            return
        self._note(why, f"label {label.tracking_code} voided (carrier refund {refund_status})")
        if workflow.patched(VOID_FOLLOW_UP_PATCH):
            self._label = label.model_copy(update={"void_status": refund_status})
            if refund_status == "submitted":  # followed to the end without holding up the return
                self._void_follow = asyncio.create_task(self._follow_void(label))

    async def _follow_void(self, label: Label) -> None:
        try:
            status = await workflow.execute_activity_method(
                CarrierActivities.confirm_void, VoidRequest(return_id=self._inp.return_id, shipment_id=label.shipment_id),
                **VOID_FOLLOW_UP,
            )
        except ActivityError as err:
            self._flag("void_unconfirmed", f"the refund of label {label.tracking_code} ({label.rate.display()}) is unconfirmed: {_cause(err)}")
            return
        if self._label is not None and self._label.shipment_id == label.shipment_id:
            self._label = self._label.model_copy(update={"void_status": status})
        saved = f"{label.rate.display()} saved" if status == "refunded" else f"the carrier kept the {label.rate.display()}"
        self._note("label_void", f"label {label.tracking_code} refund {status}: {saved}")

    # ---- the shopper's email -------------------------------------------------------------
    async def _email_label(self) -> None:
        """The label and its drop-off QR code to the shopper. A failed email never fails the return:
        the label stays in the portal and the merchant's API."""
        try:
            sent = await workflow.execute_activity_method(
                EmailActivities.send_label_email,
                LabelEmail(return_id=self._inp.return_id, merchant_id=self._inp.merchant_id),
                **EMAIL,
            )
        except ActivityError as err:
            self._note("email", f"label email not sent: {_cause(err)}")
            return
        if sent.status == "sent":
            self._note("email", f"label {self._label.tracking_code} and its drop-off QR code emailed to the shopper")

    # ---- parcels -----------------------------------------------------------------------
    def _label_request(self, **parcel) -> LabelRequest:
        """The return's label purchase; `parcel` narrows it (units, parcel number, weight, attempt)."""
        inp = self._inp
        whole = dict(units=sum(l.quantity for l in inp.lines), categories=sorted({l.category for l in inp.lines if l.category}))
        return LabelRequest(
            return_id=inp.return_id, merchant_id=inp.merchant_id, order_id=inp.context.order.order_id, **{**whole, **parcel}
        )

    async def _buy_further_parcels(self, parcels: list[Parcel]) -> None:
        """A return too heavy for one parcel gets a label per parcel; it is received when all are."""
        self._parcels = [self._label]
        for parcel in parcels[1:]:
            label = await workflow.execute_activity_method(
                CarrierActivities.buy_return_label,
                self._label_request(units=sum(i.quantity for i in parcel.items), parcel=parcel.number, weight_oz=parcel.weight_oz),
                **CARRIER,
            )
            self._parcels.append(label)
        contents = "; ".join(
            f"parcel {p.number} ({self._parcels[p.number - 1].tracking_code}): "
            + ", ".join(f"{i.quantity} x line {i.line_id}" for i in p.items)
            for p in parcels
        )
        self._note("label", f"{len(parcels)} parcels: {contents}")

    async def _void_further_parcels(self, why: str) -> None:
        for label in self._parcels[1:]:
            status = await self._attempt("void_failed", f"voiding parcel label {label.tracking_code}", workflow.execute_activity_method(
                CarrierActivities.void_label, VoidRequest(return_id=self._inp.return_id, shipment_id=label.shipment_id), **CARRIER
            ), about=label.tracking_code)  # fmt: skip
            if status is not None:
                self._note(why, f"parcel label {label.tracking_code} voided (carrier refund {status})")

    # ---- pickups -----------------------------------------------------------------------
    async def _book_pickup(self, window: PickupWindow) -> None:
        self._pickups_booked += 1
        inp, label = self._inp, self._label
        pickup = await workflow.execute_activity_method(
            CarrierActivities.schedule_pickup,
            PickupOrder(return_id=inp.return_id, merchant_id=inp.merchant_id, order_id=inp.context.order.order_id,
                        shipment_id=label.shipment_id, window=window, attempt=self._pickups_booked),  # fmt: skip
            **CARRIER,
        )
        self._label = self._label.model_copy(update={"pickup": pickup})
        self._note("pickup", f"{pickup.carrier} pickup {pickup.confirmation} booked for {window.min_datetime:%Y-%m-%d %H:%M}–"
                   f"{window.max_datetime:%H:%M} UTC ({pickup.cost.display()})")  # fmt: skip
        self._pickup_watch = asyncio.create_task(self._watch_pickup(pickup))

    async def _watch_pickup(self, pickup: Pickup) -> None:
        """Check the pickup when its window opens and after it closes; if the carrier called it off or
        never came, offer the shopper the drop-off (the label or its QR code) instead."""

        def settled() -> bool:
            current = self._label.pickup if self._label else None
            return (current is None or current.pickup_id != pickup.pickup_id or current.status != "scheduled"
                    or carrier_rules.is_first_scan(self._tracking_status) or self._status.is_final)  # fmt: skip

        for checkpoint in (pickup.window.min_datetime, pickup.window.max_datetime + PICKUP_GRACE):
            wait = checkpoint - workflow.now()
            try:
                await workflow.wait_condition(settled, timeout=wait if wait > timedelta(0) else timedelta(seconds=1))
            except asyncio.TimeoutError:
                pass
            if settled():
                if carrier_rules.is_first_scan(self._tracking_status) and self._label.pickup.pickup_id == pickup.pickup_id:
                    self._set_pickup_status("picked_up")
                return
            status = await self._attempt("pickup_unchecked", f"checking pickup {pickup.confirmation}", workflow.execute_activity_method(
                CarrierActivities.pickup_status, PickupRef(return_id=self._inp.return_id, pickup_id=pickup.pickup_id), **CARRIER
            ))  # fmt: skip
            if status == "canceled":
                return self._offer_drop_off("cancelled_by_carrier", f"the carrier cancelled pickup {pickup.confirmation}")
        self._offer_drop_off("missed", f"pickup {pickup.confirmation} did not collect the parcel in its window")

    def _offer_drop_off(self, status: str, why: str) -> None:
        self._set_pickup_status(status)
        self._note("pickup", f"{why}: the shopper can drop the parcel off instead, with label {self._label.tracking_code} "
                   "or its drop-off QR code")  # fmt: skip

    async def _cancel_pickup(self, reason: str) -> None:
        pickup = self._label.pickup
        await workflow.execute_activity_method(
            CarrierActivities.cancel_pickup, PickupRef(return_id=self._inp.return_id, pickup_id=pickup.pickup_id), **CARRIER
        )
        self._set_pickup_status("cancelled")
        self._note("pickup", f"pickup {pickup.confirmation} cancelled: {reason}")

    def _set_pickup_status(self, status: str) -> None:
        pickup = self._label.pickup.model_copy(update={"status": status})
        self._label = self._label.model_copy(update={"pickup": pickup})

    async def _relabel(self) -> None:
        """The carrier cancelled the unused label: void it (if it can be) and buy the shopper a new one."""
        reason, self._relabel_reason = self._relabel_reason, None
        self._relabels += 1
        await self._void_label("relabel")
        self._label = await workflow.execute_activity_method(
            CarrierActivities.buy_return_label,
            self._label_request(attempt=self._relabels),
            **CARRIER,
        )
        self._note("relabel", f"{reason}: new {self._label.carrier} label {self._label.tracking_code} for the shopper")
        if workflow.patched(LABEL_EMAIL_PATCH):
            self._label_mail = asyncio.create_task(self._email_label())

    # ---- exchanges ---------------------------------------------------------------------
    async def _reserve_replacements(self) -> None:
        inp, ex = self._inp, self._inp.exchange
        lines = {l.line_id: l for l in inp.lines}
        values = {
            e.line_id: Money(amount=self._item_value(e.line_id).amount * e.quantity // lines[e.line_id].quantity,
                             currency=inp.context.order.currency)
            for e in ex.lines
        }  # fmt: skip
        got = await workflow.execute_activity_method(
            ExchangeActivities.reserve_replacements,
            ReserveRequest(return_id=inp.return_id, merchant_id=inp.merchant_id, order_id=inp.context.order.order_id,
                           lines=ex.lines, returned_quantities={l.line_id: l.quantity for l in inp.lines},
                           values=values, fallback=ex.fallback),  # fmt: skip
            **ITEMS,
        )
        if got.fallback_reason:
            self._resolution = Resolution(ex.fallback)
            self._note("exchange", f"exchange not possible: {got.fallback_reason}")
            return
        self._exchange = ExchangeView(mode=ex.mode, replacements=got.replacements)
        for r in got.replacements:
            self._note("exchange", f"{r.sku} x{r.quantity} reserved at {r.warehouse_id} for line {r.line_id}")

    async def _ship_replacements(self) -> None:
        inp = self._inp
        for r in self._exchange.replacements:
            if r.status != "reserved":
                continue
            try:
                label = await workflow.execute_activity_method(
                    CarrierActivities.ship_replacement,
                    ReplacementShipmentRequest(reference=f"exchange-{inp.return_id}-{r.line_id}", merchant_id=inp.merchant_id,
                                               order_id=inp.context.order.order_id, warehouse_id=r.warehouse_id, units=r.quantity),  # fmt: skip
                    **CARRIER,
                )
            except ActivityError as err:
                self._flag("exchange_not_shipped", f"replacement {r.sku} for line {r.line_id} could not be shipped: {_cause(err)}", r.line_id)
                continue
            await self._attempt("stock_not_recorded", f"recording replacement {r.sku} as shipped", workflow.execute_activity_method(
                ExchangeActivities.mark_shipped, ShipRef(return_id=inp.return_id, merchant_id=inp.merchant_id, line_id=r.line_id), **ITEMS
            ), about=r.line_id)  # fmt: skip
            r.status, r.tracking_code, r.shipment_id = "shipped", label.tracking_code, label.shipment_id
            self._note("exchange", f"replacement {r.sku} x{r.quantity} shipped from {r.warehouse_id}: {label.carrier} {label.tracking_code}")
        await self._flush()

    async def _unwind_exchange(self, void_shipped: bool) -> None:
        """An exchange that will not happen: reserved stock goes back; shipped replacements are voided if asked."""
        inp, ex = self._inp, self._exchange
        if any(r.status == "reserved" for r in ex.replacements):
            released = await self._attempt("stock_not_released", "releasing the reserved replacements", workflow.execute_activity_method(
                ExchangeActivities.release_replacements, ReturnRef(return_id=inp.return_id, merchant_id=inp.merchant_id), **ITEMS
            ), ok=True)  # fmt: skip
            for r in ex.replacements if released else []:
                if r.status == "reserved":
                    r.status = "released"
                    self._note("exchange", f"{r.sku} x{r.quantity} released back to stock at {r.warehouse_id}")
        for r in ex.replacements:
            if void_shipped and r.status == "shipped" and r.shipment_id:
                status = await self._attempt("void_failed", f"voiding replacement shipment {r.tracking_code}", workflow.execute_activity_method(
                    CarrierActivities.void_label, VoidRequest(return_id=inp.return_id, shipment_id=r.shipment_id), **CARRIER
                ), about=r.line_id)  # fmt: skip
                if status is None:
                    continue
                if status == "rejected":  # the carrier has it: it is on its way to the shopper
                    self._flag("replacement_not_voided", f"replacement {r.sku} ({r.tracking_code}) could not be voided: "
                               "the carrier already has it; the shopper will receive it", about=r.line_id)  # fmt: skip
                    continue
                r.status = "voided"
                self._note("exchange", f"replacement shipment {r.tracking_code} voided (carrier refund {status})")

    def _replacement_price(self) -> Money:
        currency = self._inp.context.order.currency
        return Money.total([Money(amount=r.unit_price.amount * r.quantity, currency=currency) for r in self._exchange.replacements], currency)

    # ---- after inspection: each item to its facility -----------------------------------
    async def _route_and_follow_items(self) -> None:
        inp = self._inp
        lines = {l.line_id: l for l in inp.lines}
        to_route = [
            RouteItem(
                line_id=i.line_id, sku=i.sku, quantity=i.quantity, category=lines[i.line_id].category, grade=i.grade,
                disposition=i.disposition, recovery_value=i.recovery_value, rule="",
            )
            for i in self._items
            if i.disposition is not None and i.grade is not None
        ]  # fmt: skip
        if not to_route:
            return
        at = self._received_at_facility or (self._label.receiving_facility_id if self._label else None)
        routes = await self._attempt("routing_failed", "routing the items to their facilities", workflow.execute_activity_method(
            RoutingActivities.route_items,
            RouteRequest(return_id=inp.return_id, merchant_id=inp.merchant_id, at_facility_id=at, items=to_route),
            **ITEMS,
        ))  # fmt: skip
        if routes is None:
            return await self._flush()
        if not routes:
            self._note("routing", "no facility registry: the items stay with the merchant's warehouse")
        for route in routes:
            item = self._item(route.line_id)
            item.facility_id = route.facility_id
            if route.held:
                item.stage = ItemStage.HELD
                self._flag("item_held", f"line {route.line_id} ({route.disposition.value}) held: {route.reason}", route.line_id)
            else:
                item.stage = ItemStage.ROUTED
                self._note("routing", f"line {route.line_id}: {route.reason}")
        await self._flush()
        await asyncio.gather(*(self._follow_item(r) for r in routes if not r.held))

    async def _follow_item(self, route: ItemRoute) -> None:
        inp, item = self._inp, self._item(route.line_id)
        step = ItemStep(return_id=inp.return_id, merchant_id=inp.merchant_id, line_id=route.line_id, step="done")
        if route.moves:
            item.stage = ItemStage.IN_TRANSFER
            self._note("transfer", f"line {route.line_id} leaves {route.from_facility_id} for {route.facility_id}")
            try:
                moved = await workflow.execute_child_workflow(
                    TransferWorkflow.run,
                    TransferInput(return_id=inp.return_id, merchant_id=inp.merchant_id, line_id=route.line_id,
                                  from_facility_id=route.from_facility_id, to_facility_id=route.facility_id,
                                  quantity=item.quantity, arrival_timeout_days=inp.transfer_timeout_days),  # fmt: skip
                    id=transfer_workflow_id(inp.return_id, route.line_id),
                )
            except ChildWorkflowError as err:
                item.stage = ItemStage.HELD
                self._flag("transfer_failed", f"line {route.line_id}: transfer to {route.facility_id} failed ({_cause(err)})", route.line_id)
                return await self._flush()
            item.stage, item.transfer_tracking_code = ItemStage.AT_FACILITY, moved.tracking_code
            self._note("transfer", f"line {route.line_id} received at {route.facility_id} ({moved.tracking_code})")
            await self._flush()
        if route.disposition == DispositionKind.REFURBISH:
            opened = await self._attempt("item_step_failed", f"opening a work order for line {route.line_id}", workflow.execute_activity_method(
                InventoryActivities.record_item_step, step.model_copy(update={"step": "open_work_order"}), **ITEMS
            ), about=route.line_id)  # fmt: skip
            if opened is None:
                item.stage = ItemStage.HELD
                return await self._flush()
            item.stage, item.work_order_id = ItemStage.IN_REFURBISHMENT, opened.work_order_id
            self._note("refurbishment", f"line {route.line_id}: {opened.summary}")
            await self._flush()
            await workflow.wait_condition(lambda: route.line_id in self._work_orders_done)
            done = self._work_orders_done[route.line_id]
            self._note("refurbishment", f"line {route.line_id}: work order {done.work_order_id} done, now grade {done.grade}"
                       + (f" ({done.notes})" if done.notes else ""))  # fmt: skip
        finished = await self._attempt("item_step_failed", f"recording line {route.line_id} at its destination",
                                       workflow.execute_activity_method(InventoryActivities.record_item_step, step, **ITEMS),
                                       about=route.line_id)  # fmt: skip
        if finished is None:
            item.stage = ItemStage.HELD
            return await self._flush()
        item.stage = ItemStage.DONE
        self._note("disposition", f"line {route.line_id}: {finished.summary}")
        await self._flush()

    # ---- state helpers -----------------------------------------------------------------
    async def _attempt(self, kind: str, what: str, call: Awaitable[T], about: str | None = None, ok: bool = False) -> T | None:
        """A side effect whose failure (after its retries) must not end the return: flagged for ops,
        and None (or False with `ok`) returned so the story goes on."""
        try:
            result = await call
            return True if ok else result
        except (ActivityError, ChildWorkflowError) as err:
            self._flag(kind, f"{what} failed: {_cause(err)}", about=about)
            return False if ok else None

    def _flag(self, kind: str, reason: str, line_id: str | None = None, about: str | None = None) -> None:
        """Needs a person: the NeedsAttention search attribute, a timeline entry and a row for GET /v1/attention."""
        workflow.upsert_search_attributes([sa.NEEDS_ATTENTION.value_set(True)])
        key = f"{self._inp.return_id}:{kind}:{about or line_id or ''}"
        if key not in self._attention_keys:
            self._attention_keys.add(key)
            self._attention.append(AttentionEntry(key=key, kind=kind, line_id=line_id, reason=reason, at=workflow.now()))
        self._note("attention", reason)

    def _move(self, target: ReturnStatus, event: str, cause: str, final: bool = False) -> None:
        """Change the return's status. A move `domain.status` does not allow is never raised (that would
        fail every workflow task, forever): it is recorded and flagged, and the status stays — unless the
        return is ending (`final`), when the end is recorded anyway so nothing shows a return still open."""
        if target != self._status:
            try:
                check_transition(self._status, target)
            except InvalidTransition as err:
                self._flag("unexpected_transition", f"{err} ({event}: {cause})", about=f"{self._status}-{target}")
                if not final:
                    return
            self._status = target
            workflow.upsert_search_attributes([sa.RETURN_STATUS.value_set(target.value)])
        elif self._seq == 0:
            workflow.upsert_search_attributes([sa.RETURN_STATUS.value_set(target.value)])
        self._note(event, cause)

    def _note(self, event: str, cause: str) -> None:
        self._seq += 1
        self._updated_at = workflow.now()
        self._pending.append(
            TimelineEntry(seq=self._seq, at=self._updated_at, status=self._status, event=event, cause=cause)
        )

    async def _flush(self) -> None:
        if not self._pending:
            return
        entries, self._pending = self._pending, []
        attention, self._attention = self._attention, []
        await workflow.execute_local_activity_method(
            StoreActivities.record_return,
            ReturnProjection(view=self.view(), version=self._seq, new_entries=entries, new_attention=attention),
            **PROJECTION,
        )

    async def _wait(self, done: Callable[[], bool], timeout: timedelta | None = None) -> bool:
        """Wait until `done()`, writing the projection whenever handlers changed state.

        Returns False if `timeout` passed first.
        """
        deadline = workflow.now() + timeout if timeout else None
        while True:
            await self._flush()
            if done():
                return True
            remaining = (deadline - workflow.now()) if deadline else None
            if remaining is not None and remaining <= timedelta(0):
                return False
            try:
                await workflow.wait_condition(lambda: done() or bool(self._pending), timeout=remaining)
            except asyncio.TimeoutError:
                await self._flush()
                return done()

    async def _finish(self, status: ReturnStatus, event: str, cause: str) -> ReturnView:
        if self._exchange is not None and status != S.COMPLETED:
            # Charged for a kept replacement: it stays with the shopper; otherwise nothing ships.
            await self._unwind_exchange(void_shipped=not (self._settlement and self._settlement.status == "charged"))
        self._move(status, event, cause, final=True)
        # Added after the first histories were recorded: returns already past this point replay without it.
        if self._settlement is not None and workflow.patched("merchant-webhooks"):
            await self._tell_merchant()
        await self._flush()
        self._answered = True
        await workflow.wait_condition(workflow.all_handlers_finished)
        # Background work still running ends first: a return never closes with an activity in flight.
        for task in (self._label_mail, self._void_follow):
            if task is not None:
                await task
                await self._flush()
        return self.view()

    async def _tell_merchant(self) -> None:
        """Announce settlement events; their deliveries run as workflows of their own, so the
        return completes now while a delivery may retry for days against a down endpoint."""
        s = self._settlement
        data = {"return_id": self._inp.return_id, "order_id": self._inp.context.order.order_id,
                "amount": s.amount.amount, "currency": s.amount.currency, "status": s.status, "reference": s.reference}
        kinds: list[tuple[str, dict]] = []
        if self._refund_failure is not None:
            kinds.append(("refund.failed", {**data, "reason": self._refund_failure}))
        if s.amount.amount > 0 and s.method in (Resolution.REFUND, Resolution.STORE_CREDIT) and s.status != "held_for_ops":
            kinds.append(("return.refunded" if s.method == Resolution.REFUND else "return.credited", data))
        if self._exchange is not None and any(r.status == "shipped" for r in self._exchange.replacements):
            ex = self._exchange
            kinds.append(("return.exchanged", {
                "return_id": self._inp.return_id, "order_id": self._inp.context.order.order_id, "mode": ex.mode,
                "replacements": [{"line_id": r.line_id, "sku": r.sku, "quantity": r.quantity, "tracking_code": r.tracking_code}
                                 for r in ex.replacements if r.status == "shipped"],
                "difference": ex.difference.amount if ex.difference else None, "currency": self._inp.context.order.currency,
                "settle_difference": ex.settle_difference, "charge_reference": ex.charge_reference,
            }))  # fmt: skip
        events = [
            MerchantEvent(
                event_id=f"evt_{self._inp.return_id}_{kind.replace('.', '_')}", merchant_id=self._inp.merchant_id,
                type=kind, return_id=self._inp.return_id, created_at=workflow.now().isoformat(), data=payload,
            )
            for kind, payload in kinds
        ]
        if not events:
            return
        # Local: starting workflows by deterministic id is quick and idempotent; one marker event.
        await workflow.execute_local_activity_method(
            NotifyActivities.announce_to_merchant, Announcement(events=events), **ANNOUNCE
        )
        for event in events:
            self._note("merchant_webhook", f"{event.type} event {event.event_id} sent to the merchant's endpoint")

    def _item(self, line_id: str) -> ItemView:
        return next(i for i in self._items if i.line_id == line_id)

    def _kept(self, line_id: str) -> bool:
        return next(q.keep_item for q in self._quote.items if q.line_id == line_id)

    def _item_value(self, line_id: str) -> Money:
        """What the item is worth undamaged for this resolution: the quote's price net of fees."""
        quoted = next(q for q in self._quote.items if q.line_id == line_id)
        if self._resolution == Resolution.STORE_CREDIT:
            return quoted.store_credit_amount
        return quoted.refund_amount

    def _refund_due(self) -> Money:
        """Inspected items at their graded amounts, kept items at full value, less the shipping fee."""
        currency = self._inp.context.order.currency
        amounts = [i.refund for i in self._items if i.refund is not None]
        amounts += [self._item_value(i.line_id) for i in self._items if self._kept(i.line_id)]
        return amount_due(amounts, self._quote.return_shipping_fee, currency)

def _error_type(err: ActivityError) -> str | None:
    return getattr(err.cause, "type", None)


def _cause(err: ActivityError) -> str:
    cause = err.cause
    return getattr(cause, "message", None) or str(cause or err)
