"""Telling the merchant's systems how the return settled. Deliveries run as workflows of their own,
so the return completes now while a delivery may retry for days against a down endpoint."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.notify import NotifyActivities
    from domain.returns import Resolution
    from workflows.activity_options import ANNOUNCE
    from workflows.ids import merchant_event_id
    from workflows.messages import (
        Announcement,
        MerchantEvent,
        MerchantEventType,
        ReplacementStatus,
        SettlementStatus,
        TimelineEvent,
    )
    from workflows.returns.journal import Journal
    from workflows.returns.state import ReturnState


def settlement_events(state: ReturnState) -> list[tuple[MerchantEventType, dict]]:
    """(event type, payload) for each thing the merchant hears about: ids and amounts, no customer data."""
    inp, s, ex = state.inp, state.settlement, state.exchange
    data = {
        "return_id": inp.return_id,
        "order_id": inp.context.order.order_id,
        "amount": s.amount.amount,
        "currency": s.amount.currency,
        "status": s.status,
        "reference": s.reference,
    }
    kinds: list[tuple[MerchantEventType, dict]] = []
    if state.refund_failure is not None:
        kinds.append((MerchantEventType.REFUND_FAILED, {**data, "reason": state.refund_failure}))
    if (
        s.amount.amount > 0
        and s.method in (Resolution.REFUND, Resolution.STORE_CREDIT)
        and s.status != SettlementStatus.HELD_FOR_OPS
    ):
        kinds.append(
            (
                MerchantEventType.RETURN_REFUNDED
                if s.method == Resolution.REFUND
                else MerchantEventType.RETURN_CREDITED,
                data,
            )
        )
    if ex is not None and any(r.status == ReplacementStatus.SHIPPED for r in ex.replacements):
        kinds.append(
            (
                MerchantEventType.RETURN_EXCHANGED,
                {
                    "return_id": inp.return_id,
                    "order_id": inp.context.order.order_id,
                    "mode": ex.mode,
                    "replacements": [
                        {"line_id": r.line_id, "sku": r.sku, "quantity": r.quantity, "tracking_code": r.tracking_code}
                        for r in ex.replacements
                        if r.status == ReplacementStatus.SHIPPED
                    ],
                    "difference": ex.difference.amount if ex.difference else None,
                    "currency": inp.context.order.currency,
                    "settle_difference": ex.settle_difference,
                    "charge_reference": ex.charge_reference,
                },
            )
        )
    return kinds


async def tell_merchant(state: ReturnState, journal: Journal) -> None:
    inp = state.inp
    events = [
        MerchantEvent(
            event_id=merchant_event_id(inp.return_id, kind),
            merchant_id=inp.merchant_id,
            type=kind,
            return_id=inp.return_id,
            created_at=workflow.now().isoformat(),
            data=payload,
        )
        for kind, payload in settlement_events(state)
    ]
    if not events:
        return
    # Local: starting workflows by deterministic id is quick and idempotent; one marker event.
    await workflow.execute_local_activity_method(
        NotifyActivities.announce_to_merchant, Announcement(events=events), **ANNOUNCE
    )
    for event in events:
        journal.note(
            TimelineEvent.MERCHANT_WEBHOOK, f"{event.type} event {event.event_id} sent to the merchant's endpoint"
        )
