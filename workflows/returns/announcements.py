"""Telling the merchant's systems how the return settled. Deliveries run as workflows of their own,
so the return completes now while a delivery may retry for days against a down endpoint."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.notify import Announcement, MerchantEvent, NotifyActivities
    from domain.returns import Resolution
    from workflows.activity_options import ANNOUNCE
    from workflows.returns.journal import Journal
    from workflows.returns.state import ReturnState


def settlement_events(state: ReturnState) -> list[tuple[str, dict]]:
    """(event type, payload) for each thing the merchant hears about: ids and amounts, no customer data."""
    inp, s, ex = state.inp, state.settlement, state.exchange
    data = {"return_id": inp.return_id, "order_id": inp.context.order.order_id,
            "amount": s.amount.amount, "currency": s.amount.currency, "status": s.status, "reference": s.reference}  # fmt: skip
    kinds: list[tuple[str, dict]] = []
    if state.refund_failure is not None:
        kinds.append(("refund.failed", {**data, "reason": state.refund_failure}))
    if s.amount.amount > 0 and s.method in (Resolution.REFUND, Resolution.STORE_CREDIT) and s.status != "held_for_ops":
        kinds.append(("return.refunded" if s.method == Resolution.REFUND else "return.credited", data))
    if ex is not None and any(r.status == "shipped" for r in ex.replacements):
        kinds.append(("return.exchanged", {
            "return_id": inp.return_id, "order_id": inp.context.order.order_id, "mode": ex.mode,
            "replacements": [{"line_id": r.line_id, "sku": r.sku, "quantity": r.quantity, "tracking_code": r.tracking_code}
                             for r in ex.replacements if r.status == "shipped"],
            "difference": ex.difference.amount if ex.difference else None, "currency": inp.context.order.currency,
            "settle_difference": ex.settle_difference, "charge_reference": ex.charge_reference,
        }))  # fmt: skip
    return kinds


async def tell_merchant(state: ReturnState, journal: Journal) -> None:
    inp = state.inp
    events = [
        MerchantEvent(
            event_id=f"evt_{inp.return_id}_{kind.replace('.', '_')}", merchant_id=inp.merchant_id,
            type=kind, return_id=inp.return_id, created_at=workflow.now().isoformat(), data=payload,
        )
        for kind, payload in settlement_events(state)
    ]  # fmt: skip
    if not events:
        return
    # Local: starting workflows by deterministic id is quick and idempotent; one marker event.
    await workflow.execute_local_activity_method(NotifyActivities.announce_to_merchant, Announcement(events=events), **ANNOUNCE)
    for event in events:
        journal.note("merchant_webhook", f"{event.type} event {event.event_id} sent to the merchant's endpoint")
