"""The return label: bought (one per parcel), emailed, replaced when the carrier cancels it unused,
and voided when the return ends before the carrier has the parcel.

Everything that buys, voids or books against the label holds `lock` (handlers and `run` take turns,
as in samples-python's safe_message_handlers).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.carrier import CarrierActivities, LabelRequest, VoidRequest
    from activities.email import EmailActivities, LabelEmail
    from domain.parcels import plan_parcels
    from domain.status import ReturnStatus as S
    from workflows import search_attributes as sa
    from workflows.activity_options import CARRIER, EMAIL, VOID_FOLLOW_UP
    from workflows.messages import AttentionKind, Label, PickupStatus, TimelineEvent, VoidStatus
    from workflows.returns.journal import Journal, cause
    from workflows.returns.patches import Patch
    from workflows.returns.pickups import Pickups
    from workflows.returns.state import ReturnState


class Labels:
    def __init__(self, state: ReturnState, journal: Journal) -> None:
        self._state = state
        self._journal = journal
        self.lock = asyncio.Lock()
        self.pickups = Pickups(state, journal)
        self._mail: asyncio.Task | None = None
        self._void_follow: asyncio.Task | None = None

    async def buy(self) -> str | None:
        """Buy the label (a label per parcel for a heavy return) and tell the shopper; the reason if none could be bought."""
        state = self._state
        parcels = plan_parcels(state.inp.lines)  # one parcel for almost every return
        try:
            state.label = await self._buy(self._request(weight_oz=parcels[0].weight_oz if len(parcels) > 1 else None))
            if len(parcels) > 1:
                state.parcels = [state.label]
                for parcel in parcels[1:]:
                    units = sum(i.quantity for i in parcel.items)
                    state.parcels.append(
                        await self._buy(self._request(units=units, parcel=parcel.number, weight_oz=parcel.weight_oz))
                    )
                contents = "; ".join(
                    f"parcel {p.number} ({state.parcels[p.number - 1].tracking_code}): "
                    + ", ".join(f"{i.quantity} x line {i.line_id}" for i in p.items)
                    for p in parcels
                )
                self._journal.note(TimelineEvent.LABEL, f"{len(parcels)} parcels: {contents}")
        except ActivityError as err:
            if state.label is not None:
                await self.void(TimelineEvent.LABEL)
            return f"no return label could be bought: {cause(err)}"
        label = state.label
        self._show_tracking()
        self._journal.move(
            S.LABEL_CREATED,
            TimelineEvent.LABEL,
            f"{label.carrier} {label.service} label {label.tracking_code} bought for {label.rate.display()}",
        )
        await self._journal.flush()
        state.answered = True
        self._mail_label()
        return None

    async def wait_for_first_scan(self, deadline: timedelta, summary: str) -> bool:
        """Until the carrier scans the parcel (True), the shopper cancels or the deadline passes
        (False); a label the carrier cancels unused is replaced on the way."""
        state = self._state
        end = workflow.now() + deadline
        while True:
            scanned = await self._journal.wait(
                lambda: state.cancel is not None or state.status != S.LABEL_CREATED or state.relabel_reason is not None,
                timeout=end - workflow.now(),
                summary=summary,
            )
            if state.relabel_reason is None or state.cancel is not None or state.status != S.LABEL_CREATED:
                return scanned
            try:
                async with self.lock:
                    await self._relabel()
            except ActivityError as err:
                self._journal.flag(AttentionKind.RELABEL_FAILED, f"no new label could be bought: {cause(err)}")

    async def finish(self, scanned: bool) -> TimelineEvent | None:
        """The label's part ends: a pending pickup is cancelled or marked collected, and a label nobody
        will use is voided. Returns why it ended without a parcel ("cancel", "expiry"), else None."""
        state, journal = self._state, self._journal
        async with self.lock:  # a pickup booking in flight finishes first, or sees the end
            if self.pickups.scheduled is not None:
                if state.status == S.LABEL_CREATED:  # cancelled or expired: nobody needs to come
                    try:
                        await self.pickups.cancel("the return ended before the pickup")
                    except ActivityError as err:
                        journal.flag(
                            AttentionKind.PICKUP_NOT_CANCELLED,
                            f"pickup {state.label.pickup.confirmation} could not be "
                            f"cancelled: {cause(err)}; the carrier may still come",
                        )
                else:
                    self.pickups.set_status(PickupStatus.PICKED_UP)
            ending = TimelineEvent.CANCEL if state.cancel is not None and state.status.is_cancellable else None
            ending = ending or (TimelineEvent.EXPIRY if not scanned else None)
            if ending:
                await self.void(ending)
                for label in state.parcels[1:]:
                    status = await journal.attempt(
                        AttentionKind.VOID_FAILED,
                        f"voiding parcel label {label.tracking_code}",
                        self._void_call(label),
                        about=label.tracking_code,
                    )
                    if status is not None:
                        journal.note(ending, f"parcel label {label.tracking_code} voided (carrier refund {status})")
        return ending

    async def void(self, why: TimelineEvent) -> None:
        state = self._state
        label = state.label
        refund_status = await self._journal.attempt(
            AttentionKind.VOID_FAILED, f"voiding label {label.tracking_code}", self._void_call(label)
        )
        if refund_status is None:
            return
        self._journal.note(why, f"label {label.tracking_code} voided (carrier refund {refund_status})")
        if state.patched(Patch.VOID_FOLLOW_UP):
            state.label = label.model_copy(update={"void_status": refund_status})
            if refund_status == VoidStatus.SUBMITTED:  # followed to the end without holding up the return
                self._void_follow = asyncio.create_task(self._follow_void(label))

    async def background_done(self) -> None:
        """Background work still running ends first: a return never closes with an activity in flight."""
        for task in (self._mail, self._void_follow):
            if task is not None:
                if self._state.lean:  # a flag meanwhile (a parcel scanned after a cancel) is written at once
                    await self._journal.wait(task.done)
                await task
                await self._journal.flush()

    def _request(self, **parcel) -> LabelRequest:
        """The return's label purchase; `parcel` narrows it (units, parcel number, weight, attempt)."""
        inp = self._state.inp
        whole = dict(
            units=sum(l.quantity for l in inp.lines), categories=sorted({l.category for l in inp.lines if l.category})
        )
        return LabelRequest(
            return_id=inp.return_id,
            merchant_id=inp.merchant_id,
            order_id=inp.context.order.order_id,
            **{**whole, **parcel},
        )

    async def _buy(self, request: LabelRequest) -> Label:
        return await workflow.execute_activity_method(CarrierActivities.buy_return_label, request, **CARRIER)

    def _void_call(self, label: Label):
        request = VoidRequest(return_id=self._state.inp.return_id, shipment_id=label.shipment_id)
        return workflow.execute_activity_method(CarrierActivities.void_label, request, **CARRIER)

    def _show_tracking(self) -> None:
        """The TrackingCode search attribute: the label the shopper has now (ops find the workflow by it)."""
        if self._state.patched(Patch.LOOKUP_ATTRIBUTES):
            self._journal.set_attribute(sa.TRACKING_CODE, self._state.label.tracking_code)

    async def _relabel(self) -> None:
        """The carrier cancelled the unused label: void it (if it can be) and buy the shopper a new one."""
        state = self._state
        reason, state.relabel_reason = state.relabel_reason, None
        state.relabels += 1
        await self.void(TimelineEvent.RELABEL)
        state.label = await self._buy(self._request(attempt=state.relabels))
        self._show_tracking()
        self._journal.note(
            TimelineEvent.RELABEL,
            f"{reason}: new {state.label.carrier} label {state.label.tracking_code} for the shopper",
        )
        self._mail_label()

    async def _follow_void(self, label: Label) -> None:
        state = self._state
        try:
            status = await workflow.execute_activity_method(
                CarrierActivities.confirm_void,
                VoidRequest(return_id=state.inp.return_id, shipment_id=label.shipment_id),
                **VOID_FOLLOW_UP,
            )
        except ActivityError as err:
            self._journal.flag(
                AttentionKind.VOID_UNCONFIRMED,
                f"the refund of label {label.tracking_code} ({label.rate.display()}) is unconfirmed: {cause(err)}",
            )
            return
        if state.label is not None and state.label.shipment_id == label.shipment_id:
            state.label = state.label.model_copy(update={"void_status": status})
        saved = (
            f"{label.rate.display()} saved"
            if status == VoidStatus.REFUNDED
            else f"the carrier kept the {label.rate.display()}"
        )
        self._journal.note(
            TimelineEvent.LABEL_VOID, f"label {label.tracking_code} refund {status}: {saved}", quiet=True
        )

    def _mail_label(self) -> None:
        """The shopper gets the label. Since Patch.LABEL_MAIL_OUTBOX the projection write with the label line
        keeps the email in the outbox (domain.notifications); before it, an activity of the return's sent it."""
        if self._state.patched(Patch.LABEL_EMAIL) and not self._state.label_mail_in_outbox:
            self._mail = asyncio.create_task(self._email())

    async def _email(self) -> None:
        """The label and its drop-off QR code to the shopper. A failed email never fails the return:
        the label stays in the portal and the merchant's API."""
        state = self._state
        try:
            sent = await workflow.execute_activity_method(
                EmailActivities.send_label_email,
                LabelEmail(return_id=state.inp.return_id, merchant_id=state.inp.merchant_id),
                **EMAIL,
            )
        except ActivityError as err:
            self._journal.note(TimelineEvent.EMAIL, f"label email not sent: {cause(err)}", quiet=True)
            return
        if sent.status == "sent":
            self._journal.note(
                TimelineEvent.EMAIL,
                f"label {state.label.tracking_code} and its drop-off QR code emailed to the shopper",
                quiet=True,
            )
