"""Carrier pickups: booked on the shopper's window, checked when it opens and after it closes;
a pickup the carrier cancelled or missed becomes a drop-off offer, never a stuck return."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.carrier import CarrierActivities, PickupOrder, PickupRef
    from domain import carrier as carrier_rules
    from workflows.activity_options import CARRIER
    from workflows.messages import AttentionKind, Pickup, PickupStatus, PickupWindow, TimelineEvent
    from workflows.returns.journal import Journal
    from workflows.returns.state import ReturnState

# A pickup not collected by its window's end (plus this) is missed: the shopper drops the parcel off.
PICKUP_GRACE = timedelta(hours=2)


class Pickups:
    def __init__(self, state: ReturnState, journal: Journal) -> None:
        self._state = state
        self._journal = journal
        self._watch: asyncio.Task | None = None

    @property
    def scheduled(self) -> Pickup | None:
        label = self._state.label
        pickup = label.pickup if label else None
        return pickup if pickup is not None and pickup.status == PickupStatus.SCHEDULED else None

    async def book(self, window: PickupWindow) -> None:
        state = self._state
        state.pickups_booked += 1
        inp, label = state.inp, state.label
        pickup = await workflow.execute_activity_method(
            CarrierActivities.schedule_pickup,
            PickupOrder(
                return_id=inp.return_id,
                merchant_id=inp.merchant_id,
                order_id=inp.context.order.order_id,
                shipment_id=label.shipment_id,
                window=window,
                attempt=state.pickups_booked,
            ),
            **CARRIER,
        )
        state.label = state.label.model_copy(update={"pickup": pickup})
        self._journal.note(
            TimelineEvent.PICKUP,
            f"{pickup.carrier} pickup {pickup.confirmation} booked for "
            f"{window.min_datetime:%Y-%m-%d %H:%M}–{window.max_datetime:%H:%M} UTC ({pickup.cost.display()})",
        )
        self._watch = asyncio.create_task(self._follow(pickup))

    async def cancel(self, reason: str) -> None:
        state = self._state
        pickup = state.label.pickup
        await workflow.execute_activity_method(
            CarrierActivities.cancel_pickup,
            PickupRef(return_id=state.inp.return_id, pickup_id=pickup.pickup_id),
            **CARRIER,
        )
        self.set_status(PickupStatus.CANCELLED)
        self._journal.note(TimelineEvent.PICKUP, f"pickup {pickup.confirmation} cancelled: {reason}")

    def set_status(self, status: PickupStatus) -> None:
        state = self._state
        pickup = state.label.pickup.model_copy(update={"status": status})
        state.label = state.label.model_copy(update={"pickup": pickup})

    async def _follow(self, pickup: Pickup) -> None:
        """Check the pickup when its window opens and after it closes; if the carrier called it off or
        never came, offer the shopper the drop-off (the label or its QR code) instead."""
        state = self._state

        def settled() -> bool:
            current = state.label.pickup if state.label else None
            return (
                current is None
                or current.pickup_id != pickup.pickup_id
                or current.status != PickupStatus.SCHEDULED
                or carrier_rules.is_first_scan(state.tracking_status)
                or state.status.is_final
            )

        checkpoints = (
            ("pickup window opens", pickup.window.min_datetime),
            ("pickup window closed", pickup.window.max_datetime + PICKUP_GRACE),
        )
        for name, checkpoint in checkpoints:
            wait = checkpoint - workflow.now()
            try:
                await workflow.wait_condition(
                    settled, timeout=wait if wait > timedelta(0) else timedelta(seconds=1), timeout_summary=name
                )
            except asyncio.TimeoutError:
                pass
            if settled():
                if (
                    carrier_rules.is_first_scan(state.tracking_status)
                    and state.label.pickup.pickup_id == pickup.pickup_id
                ):
                    self.set_status(PickupStatus.PICKED_UP)
                return
            status = await self._journal.attempt(
                AttentionKind.PICKUP_UNCHECKED,
                f"checking pickup {pickup.confirmation}",
                workflow.execute_activity_method(
                    CarrierActivities.pickup_status,
                    PickupRef(return_id=state.inp.return_id, pickup_id=pickup.pickup_id),
                    **CARRIER,
                ),
            )
            if status == "canceled":
                return self._offer_drop_off(
                    PickupStatus.CANCELLED_BY_CARRIER, f"the carrier cancelled pickup {pickup.confirmation}"
                )
        self._offer_drop_off(
            PickupStatus.MISSED, f"pickup {pickup.confirmation} did not collect the parcel in its window"
        )

    def _offer_drop_off(self, status: PickupStatus, why: str) -> None:
        self.set_status(status)
        self._journal.note(
            TimelineEvent.PICKUP,
            f"{why}: the shopper can drop the parcel off instead, with label "
            f"{self._state.label.tracking_code} or its drop-off QR code",
        )
