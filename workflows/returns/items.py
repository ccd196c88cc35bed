"""After inspection, each item goes to where it belongs: routed to a facility, moved there by a
transfer child workflow if it is elsewhere, refurbished if so decided, and recorded at its end.
A step that fails holds the item for ops; the others go on."""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import ChildWorkflowError

with workflow.unsafe.imports_passed_through():
    from activities.inventory import InventoryActivities, ItemStep
    from activities.routing import RoutingActivities
    from domain.disposition import DispositionKind
    from workflows.activity_options import database_step
    from workflows.ids import transfer_workflow_id
    from workflows.messages import (
        AttentionKind,
        ItemRoute,
        ItemStage,
        RouteItem,
        RouteRequest,
        TimelineEvent,
        TransferInput,
    )
    from workflows.returns.journal import Journal, cause
    from workflows.returns.state import ReturnState
    from workflows.transfer_workflow import TransferWorkflow


class Items:
    def __init__(self, state: ReturnState, journal: Journal) -> None:
        self._state = state
        self._journal = journal

    async def route_and_follow(self) -> None:
        state, journal = self._state, self._journal
        inp = state.inp
        lines = {l.line_id: l for l in inp.lines}
        to_route = [
            RouteItem(
                line_id=i.line_id,
                sku=i.sku,
                quantity=i.quantity,
                category=lines[i.line_id].category,
                grade=i.grade,
                disposition=i.disposition,
                recovery_value=i.recovery_value,
                rule="",
            )
            for i in state.items
            if i.disposition is not None and i.grade is not None
        ]
        if not to_route:
            return
        at = state.received_at_facility or (state.label.receiving_facility_id if state.label else None)
        routes = await journal.attempt(
            AttentionKind.ROUTING_FAILED,
            "routing the items to their facilities",
            database_step(
                state.lean,
                RoutingActivities.route_items,
                RouteRequest(return_id=inp.return_id, merchant_id=inp.merchant_id, at_facility_id=at, items=to_route),
            ),
        )
        if routes is None:
            return await journal.flush()
        if not routes:
            journal.note(TimelineEvent.ROUTING, "no facility registry: the items stay with the merchant's warehouse")
        for route in routes:
            item = state.item(route.line_id)
            item.facility_id = route.facility_id
            if route.held:
                item.stage = ItemStage.HELD
                journal.flag(
                    AttentionKind.ITEM_HELD,
                    f"line {route.line_id} ({route.disposition.value}) held: {route.reason}",
                    route.line_id,
                )
            else:
                item.stage = ItemStage.ROUTED
                journal.note(TimelineEvent.ROUTING, f"line {route.line_id}: {route.reason}")
        if not state.lean:  # a lean return writes the routes with the settlement or the item's next step
            await journal.flush()
        await asyncio.gather(*(self._follow(r) for r in routes if not r.held))

    async def _follow(self, route: ItemRoute) -> None:
        state, journal = self._state, self._journal
        inp, item = state.inp, state.item(route.line_id)
        step = ItemStep(return_id=inp.return_id, merchant_id=inp.merchant_id, line_id=route.line_id, step="done")
        if route.moves and not await self._transfer(route):
            return
        if route.disposition == DispositionKind.REFURBISH:
            opened = await journal.attempt(
                AttentionKind.ITEM_STEP_FAILED,
                f"opening a work order for line {route.line_id}",
                database_step(
                    state.lean,
                    InventoryActivities.record_item_step,
                    step.model_copy(update={"step": "open_work_order"}),
                ),
                about=route.line_id,
            )
            if opened is None:
                item.stage = ItemStage.HELD
                return await journal.flush()
            item.stage, item.work_order_id = ItemStage.IN_REFURBISHMENT, opened.work_order_id
            journal.note(TimelineEvent.REFURBISHMENT, f"line {route.line_id}: {opened.summary}")
            await journal.flush()
            await workflow.wait_condition(lambda: route.line_id in state.work_orders_done)
            done = state.work_orders_done[route.line_id]
            journal.note(
                TimelineEvent.REFURBISHMENT,
                f"line {route.line_id}: work order {done.work_order_id} done, now grade {done.grade}"
                + (f" ({done.notes})" if done.notes else ""),
            )
        finished = await journal.attempt(
            AttentionKind.ITEM_STEP_FAILED,
            f"recording line {route.line_id} at its destination",
            database_step(state.lean, InventoryActivities.record_item_step, step),
            about=route.line_id,
        )
        if finished is None:
            item.stage = ItemStage.HELD
            return await journal.flush()
        item.stage = ItemStage.DONE
        journal.note(TimelineEvent.DISPOSITION, f"line {route.line_id}: {finished.summary}")
        if not state.lean:  # `run` writes a lean return's items once they are all done
            await journal.flush()

    async def _transfer(self, route: ItemRoute) -> bool:
        """Move the item from the receiving warehouse to its facility (a child workflow); False if it failed."""
        state, journal = self._state, self._journal
        inp, item = state.inp, state.item(route.line_id)
        item.stage = ItemStage.IN_TRANSFER
        journal.note(
            TimelineEvent.TRANSFER, f"line {route.line_id} leaves {route.from_facility_id} for {route.facility_id}"
        )
        try:
            moved = await workflow.execute_child_workflow(
                TransferWorkflow.run,
                TransferInput(
                    return_id=inp.return_id,
                    merchant_id=inp.merchant_id,
                    line_id=route.line_id,
                    from_facility_id=route.from_facility_id,
                    to_facility_id=route.facility_id,
                    quantity=item.quantity,
                    arrival_timeout_days=inp.transfer_timeout_days,
                ),
                id=transfer_workflow_id(inp.return_id, route.line_id),
            )
        except ChildWorkflowError as err:
            item.stage = ItemStage.HELD
            journal.flag(
                AttentionKind.TRANSFER_FAILED,
                f"line {route.line_id}: transfer to {route.facility_id} failed ({cause(err)})",
                route.line_id,
            )
            await journal.flush()
            return False
        item.stage, item.transfer_tracking_code = ItemStage.AT_FACILITY, moved.tracking_code
        journal.note(
            TimelineEvent.TRANSFER, f"line {route.line_id} received at {route.facility_id} ({moved.tracking_code})"
        )
        await journal.flush()
        return True
