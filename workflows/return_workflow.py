"""ReturnWorkflow: one durable workflow per return, from request to settlement.

State changes happen in handlers and in `run`; each one adds a timeline entry
and upserts the `ReturnStatus` search attribute. `run` writes pending entries
to the database in batches (`_flush`) whenever it wakes, so a burst of carrier
events costs one projection write, not one each.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

# Our modules are pure (domain rules, pydantic messages) or activity definitions; passing
# them through the sandbox keeps one class per model on both sides of an activity call
# and saves re-importing them on every workflow run.
with workflow.unsafe.imports_passed_through():
    from activities.carrier import CarrierActivities, LabelRequest, VoidRequest
    from activities.errors import PERMANENT_ERROR_TYPES
    from activities.payments import PaymentActivities, SettlementRequest
    from activities.store import StoreActivities
    from domain import carrier as carrier_rules
    from domain import policy
    from domain.inspection import item_outcome
    from domain.money import Money
    from domain.returns import Resolution
    from domain.status import ALLOWED_TRANSITIONS, ReturnStatus, check_transition
    from workflows import search_attributes as sa
    from workflows.ids import CARRIER_TASK_QUEUE
    from workflows.messages import (
        CancelRequest,
        CarrierEvent,
        ErrorType,
        Inspection,
        InspectionResult,
        ItemView,
        Label,
        ReturnInput,
        ReturnProjection,
        ReturnView,
        Settlement,
        SubmitReturn,
        TimelineEntry,
        WarehouseReceipt,
    )

S = ReturnStatus

# Projection writes are short, idempotent DB upserts: local activities, so each costs one
# marker event instead of three and no extra round trip through the task queue.
PROJECTION = dict(
    start_to_close_timeout=timedelta(seconds=15),
    schedule_to_close_timeout=timedelta(days=1),
    retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)),
)
CARRIER = dict(
    task_queue=CARRIER_TASK_QUEUE,
    start_to_close_timeout=timedelta(seconds=30),
    schedule_to_close_timeout=timedelta(hours=2),
    retry_policy=RetryPolicy(
        initial_interval=timedelta(seconds=2),
        maximum_interval=timedelta(minutes=2),
        non_retryable_error_types=list(PERMANENT_ERROR_TYPES),
    ),
)
PAYMENT = dict(
    start_to_close_timeout=timedelta(seconds=30),
    schedule_to_close_timeout=timedelta(hours=24),
    retry_policy=RetryPolicy(
        initial_interval=timedelta(seconds=2),
        maximum_interval=timedelta(minutes=5),
        non_retryable_error_types=list(PERMANENT_ERROR_TYPES),
    ),
)


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
        self._answered = False  # the first projection (with the label, or the refusal) is written

    # ---- reads -------------------------------------------------------------------------
    @workflow.query
    def view(self) -> ReturnView:
        return ReturnView(
            return_id=self._inp.return_id,
            merchant_id=self._inp.merchant_id,
            order_id=self._inp.order.order_id,
            status=self._status,
            resolution=self._inp.resolution,
            items=self._items,
            label=self._label,
            refund=self._settlement,
            decision_reasons=self._decision_reasons,
            request_fingerprint=self._inp.request_fingerprint,
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
        target = carrier_rules.status_after_tracking(self._status, event.tracking_status)
        if target is None:
            self._note("carrier_event", f"carrier reported {event.tracking_status}{detail} [{event.event_id}]")
        else:
            self._move(target, "carrier_event", f"carrier reported {event.tracking_status}{detail} [{event.event_id}]")

    @workflow.signal
    def warehouse_receipt(self, receipt: WarehouseReceipt) -> None:
        if receipt.receipt_id in self._seen_events or S.RECEIVED not in ALLOWED_TRANSITIONS[self._status]:
            return  # duplicate, or nothing to receive (cancelled, already received, ...)
        self._seen_events.add(receipt.receipt_id)
        self._move(S.RECEIVED, "warehouse_receipt", f"dock scan at warehouse {receipt.warehouse_id}")

    @workflow.update
    def inspect(self, inspection: Inspection) -> InspectionResult:
        outcomes = []
        lines = {l.line_id: l for l in self._inp.lines}
        for inspected in inspection.items:
            outcome = item_outcome(lines[inspected.line_id], inspected.grade, self._inp.order.currency)
            item = self._item(inspected.line_id)
            item.grade, item.disposition, item.refund = outcome.grade, outcome.disposition, outcome.refund
            outcomes.append(outcome)
            self._note("inspection", f"line {item.line_id} graded {outcome.grade}: {outcome.disposition}")
        if all(i.grade is not None for i in self._items):
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
            if inspected.line_id in seen or known[inspected.line_id].grade is not None:
                raise ApplicationError(
                    f"line {inspected.line_id!r} is already inspected", type=ErrorType.ALREADY_INSPECTED
                )
            seen.add(inspected.line_id)

    @workflow.update
    async def cancel(self, req: CancelRequest) -> ReturnView:
        self._cancel = req
        await workflow.wait_condition(lambda: self._status.is_final)
        return self.view()

    @cancel.validator
    def _validate_cancel(self, req: CancelRequest) -> None:
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
        await self._flush()  # the return is readable from the first moment
        decision = policy.evaluate(inp.order, inp.lines, inp.policy, inp.requested_at)
        if not decision.approved:
            self._decision_reasons = decision.reasons
            return await self._finish(S.REJECTED, "policy", "; ".join(decision.reasons))

        try:
            self._label = await workflow.execute_activity_method(
                CarrierActivities.buy_return_label,
                LabelRequest(
                    return_id=inp.return_id,
                    merchant_id=inp.merchant_id,
                    order_id=inp.order.order_id,
                    units=sum(l.quantity for l in inp.lines),
                ),
                **CARRIER,
            )
        except ActivityError as err:
            reason = f"no return label could be bought: {_cause(err)}"
            self._decision_reasons = [reason]
            return await self._finish(S.REJECTED, "label", reason)
        self._move(
            S.LABEL_CREATED,
            "label",
            f"{self._label.carrier} {self._label.service} label {self._label.tracking_code} "
            f"bought for {self._label.rate.amount} {self._label.rate.currency}",
        )
        await self._flush()
        self._answered = True

        expiry = timedelta(days=inp.label_expiry_days)
        scanned = await self._wait(lambda: self._cancel is not None or self._status != S.LABEL_CREATED, timeout=expiry)
        if self._cancel is not None and self._status.is_cancellable:
            await self._void_label("cancel")
            return await self._finish(S.CANCELLED, "cancel", self._cancel.reason)
        if not scanned:
            await self._void_label("expiry")
            return await self._finish(S.EXPIRED, "expiry", f"label not scanned within {inp.label_expiry_days} days")

        await self._wait(lambda: self._status == S.INSPECTED)
        self._move(S.SETTLING, "settlement", f"settling by {inp.resolution.value}")
        await self._flush()
        self._settlement = await self._settle(self._refund_due())
        return await self._finish(
            S.COMPLETED,
            "settlement",
            f"{self._settlement.method.value} of {self._settlement.amount.amount} "
            f"{self._settlement.amount.currency} {self._settlement.status}",
        )

    async def _settle(self, due: Money) -> Settlement:
        req = SettlementRequest(return_id=self._inp.return_id, merchant_id=self._inp.merchant_id, amount=due)
        if due.amount == 0:
            return Settlement(method=self._inp.resolution, amount=due, status="not_required")
        if self._inp.resolution == Resolution.REFUND:
            try:
                return await workflow.execute_activity_method(PaymentActivities.refund_payment, req, **PAYMENT)
            except ActivityError as err:
                # Permanent refusal (or the deadline passed): the shopper still gets their money as credit.
                self._note("settlement", f"refund failed ({_cause(err)}); issuing store credit instead")
        return await workflow.execute_activity_method(PaymentActivities.issue_store_credit, req, **PAYMENT)

    async def _void_label(self, why: str) -> None:
        assert self._label is not None
        refund_status = await workflow.execute_activity_method(
            CarrierActivities.void_label,
            VoidRequest(return_id=self._inp.return_id, shipment_id=self._label.shipment_id),
            **CARRIER,
        )
        self._note(why, f"label {self._label.tracking_code} voided (carrier refund {refund_status})")

    # ---- state helpers -----------------------------------------------------------------
    def _move(self, target: ReturnStatus, event: str, cause: str) -> None:
        if target != self._status:
            self._status = check_transition(self._status, target)
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
        await workflow.execute_local_activity_method(
            StoreActivities.record_return,
            ReturnProjection(view=self.view(), version=self._seq, new_entries=entries),
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
        self._move(status, event, cause)
        await self._flush()
        self._answered = True
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.view()

    def _item(self, line_id: str) -> ItemView:
        return next(i for i in self._items if i.line_id == line_id)

    def _refund_due(self) -> Money:
        currency = self._inp.order.currency
        return Money.total([i.refund for i in self._items if i.refund is not None], currency)


def _cause(err: ActivityError) -> str:
    cause = err.cause
    return getattr(cause, "message", None) or str(cause or err)
