"""What the carrier and the warehouse dock say about the parcel, applied to the return.

Duplicates are dropped by event id; a cancel accepted earlier wins over any later scan (the
parcel sent anyway is for ops); carrier exceptions go to a person, except a label the carrier
cancelled unused, which `run` replaces.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain import carrier as carrier_rules
    from domain.status import ALLOWED_TRANSITIONS
    from domain.status import ReturnStatus as S
    from workflows.messages import AttentionKind, CarrierEvent, TimelineEvent, WarehouseReceipt
    from workflows.returns.journal import Journal
    from workflows.returns.state import ReturnState


def apply_carrier_event(state: ReturnState, journal: Journal, event: CarrierEvent) -> None:
    if event.event_id in state.seen_events:
        return
    state.seen_events.add(event.event_id)
    state.tracking_status = event.tracking_status
    detail = f" ({event.status_detail})" if event.status_detail else ""
    said = f"carrier reported {event.tracking_status}{detail} [{event.event_id}]"
    if state.cancel_won:
        if carrier_rules.is_first_scan(event.tracking_status):
            return journal.flag(
                AttentionKind.SCANNED_AFTER_CANCEL,
                f"{said} after the return was cancelled: if the parcel arrives, receive it by hand",
            )
        return journal.note(TimelineEvent.CARRIER_EVENT, said, quiet=True)
    if event.tracking_status in carrier_rules.EXCEPTIONS and not state.status.is_final:
        return _carrier_exception(state, journal, event.tracking_status, said)
    target = carrier_rules.status_after_tracking(state.status, event.tracking_status)
    if target is None:  # a scan that changes nothing waits for the next write
        journal.note(TimelineEvent.CARRIER_EVENT, said, quiet=True)
    else:
        journal.move(target, TimelineEvent.CARRIER_EVENT, said)


def _carrier_exception(state: ReturnState, journal: Journal, tracking_status: str, said: str) -> None:
    if tracking_status == "cancelled" and state.status == S.LABEL_CREATED:
        state.relabel_reason = said  # the run loop buys a new label
        journal.note(TimelineEvent.CARRIER_EVENT, said)
    elif tracking_status == "available_for_pickup":
        target = carrier_rules.status_after_tracking(state.status, tracking_status)
        cause = f"{said}: {carrier_rules.EXCEPTIONS[tracking_status]}"
        if target:
            journal.move(target, TimelineEvent.CARRIER_EVENT, cause)
        else:
            journal.note(TimelineEvent.CARRIER_EVENT, cause)
    else:  # return_to_sender, failure, a cancelled label already moving: a person decides
        journal.flag(AttentionKind.CARRIER_EXCEPTION, f"{said}: {carrier_rules.EXCEPTIONS[tracking_status]}")


def apply_warehouse_receipt(state: ReturnState, journal: Journal, receipt: WarehouseReceipt) -> None:
    if state.cancel_won:
        # Cancelled before the parcel came: the dock has goods of a return that is over.
        return journal.flag(
            AttentionKind.RECEIVED_AFTER_CANCEL,
            f"dock scan at warehouse {receipt.warehouse_id} after the return was cancelled: handle the parcel by hand",
            about=receipt.receipt_id,
        )
    if receipt.receipt_id in state.seen_events or S.RECEIVED not in ALLOWED_TRANSITIONS[state.status]:
        return  # duplicate, or nothing to receive (cancelled, already received, ...)
    state.seen_events.add(receipt.receipt_id)
    codes = [p.tracking_code for p in state.parcels]
    if receipt.tracking_code in codes:  # one parcel of several: received when all are
        if receipt.tracking_code in state.parcels_received:
            return  # that parcel was scanned already
        state.parcels_received.add(receipt.tracking_code)
        if len(state.parcels_received) < len(codes):
            number = codes.index(receipt.tracking_code) + 1
            journal.note(
                TimelineEvent.WAREHOUSE_RECEIPT,
                f"parcel {number} of {len(codes)} ({receipt.tracking_code}) scanned at "
                f"{receipt.warehouse_id}; waiting for {len(codes) - len(state.parcels_received)} more",
            )
            return
    state.received_at_facility = receipt.warehouse_id
    journal.move(S.RECEIVED, TimelineEvent.WAREHOUSE_RECEIPT, f"dock scan at warehouse {receipt.warehouse_id}")
