"""An exchange: replacements reserved when the return is approved, shipped (now for an advance
exchange, at the first scan for an instant one, else at settlement), the price difference settled
by the rule in `domain.exchange`, and everything unwound if the return ends another way."""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.carrier import CarrierActivities, ReplacementShipmentRequest, VoidRequest
    from activities.exchanges import ExchangeActivities, ReserveRequest, ReturnRef, ShipRef
    from domain import exchange as exchange_rules
    from domain.money import Money
    from domain.returns import Resolution
    from workflows.activity_options import CARRIER, ITEMS, database_step
    from workflows.ids import replacement_shipment_reference
    from workflows.messages import AttentionKind, ExchangeView, Label, ReplacementStatus, TimelineEvent, VoidStatus
    from workflows.returns.journal import Journal, cause
    from workflows.returns.patches import Patch
    from workflows.returns.state import ReturnState


class Exchange:
    def __init__(self, state: ReturnState, journal: Journal) -> None:
        self._state = state
        self._journal = journal

    @property
    def advance(self) -> bool:
        return self._state.exchange is not None and self._state.exchange.mode == "advance"

    @property
    def instant(self) -> bool:
        return self._state.exchange is not None and self._state.exchange.mode == "instant"

    @property
    def shipped(self) -> bool:
        ex = self._state.exchange
        return ex is not None and any(r.status == ReplacementStatus.SHIPPED for r in ex.replacements)

    async def reserve(self) -> None:
        """Hold the replacements at the nearest stocked warehouse (all lines or none), or fall back
        to the shopper's second choice when stock is short."""
        state = self._state
        inp, order = state.inp, state.inp.context.order
        lines = {l.line_id: l for l in inp.lines}
        values = {
            e.line_id: Money(
                amount=state.item_value(e.line_id).amount * e.quantity // lines[e.line_id].quantity,
                currency=order.currency,
            )
            for e in inp.exchange.lines
        }
        got = await database_step(
            state.lean,
            ExchangeActivities.reserve_replacements,
            ReserveRequest(
                return_id=inp.return_id,
                merchant_id=inp.merchant_id,
                order_id=order.order_id,
                lines=inp.exchange.lines,
                returned_quantities={l.line_id: l.quantity for l in inp.lines},
                values=values,
                fallback=inp.exchange.fallback,
            ),
        )
        if got.fallback_reason:
            state.resolution = Resolution(inp.exchange.fallback)
            self._journal.note(TimelineEvent.EXCHANGE, f"exchange not possible: {got.fallback_reason}")
            return
        state.exchange = ExchangeView(mode=inp.exchange.mode, replacements=got.replacements)
        for r in got.replacements:
            self._journal.note(
                TimelineEvent.EXCHANGE, f"{r.sku} x{r.quantity} reserved at {r.warehouse_id} for line {r.line_id}"
            )

    async def ship(self) -> None:
        state, journal = self._state, self._journal
        inp = state.inp
        reserved = [r for r in state.exchange.replacements if r.status == ReplacementStatus.RESERVED]
        # A lean return ships every replacement at once: their stock is then marked in one workflow task.
        shipped = await asyncio.gather(*(self._ship(r, at_once=True) for r in reserved)) if state.lean else None
        for n, r in enumerate(reserved):
            label = shipped[n] if shipped is not None else await self._ship(r)
            if label is None:
                continue
            await journal.attempt(
                AttentionKind.STOCK_NOT_RECORDED,
                f"recording replacement {r.sku} as shipped",
                database_step(
                    state.lean,
                    ExchangeActivities.mark_shipped,
                    ShipRef(return_id=inp.return_id, merchant_id=inp.merchant_id, line_id=r.line_id),
                ),
                about=r.line_id,
            )
            r.status, r.tracking_code, r.shipment_id = ReplacementStatus.SHIPPED, label.tracking_code, label.shipment_id
            journal.note(
                TimelineEvent.EXCHANGE,
                f"replacement {r.sku} x{r.quantity} shipped from {r.warehouse_id}: {label.carrier} {label.tracking_code}",
            )
        if not state.lean:  # a lean return writes the shipments with what follows (the settlement, a wait)
            await journal.flush()

    async def _ship(self, r, at_once: bool = False) -> Label | None:
        """One replacement's shipment bought; None (flagged) if it could not be. Bought `at_once` with the others,
        it counts as shipped as soon as its label is bought, as one shipped alone does: a cancel is refused from
        then on (guards.check_cancel), not only once the slowest of the others has its label too."""
        inp = self._state.inp
        try:
            label = await workflow.execute_activity_method(
                CarrierActivities.ship_replacement,
                ReplacementShipmentRequest(
                    reference=replacement_shipment_reference(inp.return_id, r.line_id),
                    merchant_id=inp.merchant_id,
                    order_id=inp.context.order.order_id,
                    warehouse_id=r.warehouse_id,
                    units=r.quantity,
                ),
                **CARRIER,
            )
        except ActivityError as err:
            self._journal.flag(
                AttentionKind.EXCHANGE_NOT_SHIPPED,
                f"replacement {r.sku} for line {r.line_id} could not be shipped: {cause(err)}",
                r.line_id,
            )
            return None
        if at_once:
            r.status, r.tracking_code, r.shipment_id = ReplacementStatus.SHIPPED, label.tracking_code, label.shipment_id
        return label

    def price(self) -> Money:
        """What the replacements cost the shopper: only those sent. One the carrier refused for good (flagged for
        ops) is not charged for (Patch.PRICE_OF_WHAT_SHIPPED, asked only then: an exchange that shipped everything
        records no marker)."""
        replacements = self._state.exchange.replacements
        unsent = [r for r in replacements if r.status != ReplacementStatus.SHIPPED]
        if unsent and self._state.patched(Patch.PRICE_OF_WHAT_SHIPPED):
            replacements = [r for r in replacements if r.status == ReplacementStatus.SHIPPED]
        return exchange_rules.replacement_total(
            [(r.unit_price, r.quantity) for r in replacements], self._state.inp.context.order.currency
        )

    def difference(self, returned_value: Money) -> tuple[str, Money]:
        """How the price difference settles (`domain.exchange.settle_difference`), recorded on the exchange."""
        ex = self._state.exchange
        settle, ex.difference = exchange_rules.settle_difference(
            self.price(), returned_value, self._state.inp.exchange.fallback
        )
        ex.settle_difference = settle
        return settle, ex.difference

    def when_original_missing(self, deadline_started) -> str:
        """The advance exchange's original never came: "charge" for the replacement or "cancel" it."""
        order = self._state.inp.exchange
        outcome = exchange_rules.advance_exchange_outcome(
            deadline_started, None, workflow.now(), order.advance_deadline_days, order.on_missing
        )
        return outcome if outcome in ("charge", "cancel") else order.on_missing

    async def unwind(self, void_shipped: bool) -> None:
        """An exchange that will not happen: reserved stock goes back; shipped replacements are voided if asked."""
        state, journal = self._state, self._journal
        inp, ex = state.inp, state.exchange
        if any(r.status == ReplacementStatus.RESERVED for r in ex.replacements):
            released = await journal.attempt(
                AttentionKind.STOCK_NOT_RELEASED,
                "releasing the reserved replacements",
                workflow.execute_activity_method(
                    ExchangeActivities.release_replacements,
                    ReturnRef(return_id=inp.return_id, merchant_id=inp.merchant_id),
                    **ITEMS,
                ),
                ok=True,
            )
            for r in ex.replacements if released else []:
                if r.status == ReplacementStatus.RESERVED:
                    r.status = ReplacementStatus.RELEASED
                    journal.note(
                        TimelineEvent.EXCHANGE, f"{r.sku} x{r.quantity} released back to stock at {r.warehouse_id}"
                    )
        for r in ex.replacements:
            if void_shipped and r.status == ReplacementStatus.SHIPPED and r.shipment_id:
                status = await journal.attempt(
                    AttentionKind.VOID_FAILED,
                    f"voiding replacement shipment {r.tracking_code}",
                    workflow.execute_activity_method(
                        CarrierActivities.void_label,
                        VoidRequest(return_id=inp.return_id, shipment_id=r.shipment_id),
                        **CARRIER,
                    ),
                    about=r.line_id,
                )
                if status is None:
                    continue
                if status == VoidStatus.REJECTED:  # the carrier has it: it is on its way to the shopper
                    journal.flag(
                        AttentionKind.REPLACEMENT_NOT_VOIDED,
                        f"replacement {r.sku} ({r.tracking_code}) could not be voided: "
                        "the carrier already has it; the shopper will receive it",
                        about=r.line_id,
                    )
                    continue
                r.status = ReplacementStatus.VOIDED
                journal.note(
                    TimelineEvent.EXCHANGE, f"replacement shipment {r.tracking_code} voided (carrier refund {status})"
                )
