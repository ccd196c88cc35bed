"""From a projection to what it announces: the return's picture reduced to domain.notifications' terms,
and the outbox rows written in the projection's own transaction (db/outbox.py). No Temporal call:
telling the merchant and the shopper costs the return no workflow, activity or timer of its own."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from db import outbox
from db.tables import Merchant, TimelineRecord
from domain.notifications import PickupFacts, Progress, Step, announcements
from workflows.messages import ReturnProjection, TimelineEntry

# The workflow notes a refund refused for good with these words (workflows/returns/settlement.py).
REFUND_FAILED_NOTE = "refund failed"
# The line that moves a return to label_created when its label is bought (workflows/returns/labels.py).
LABEL_BOUGHT = "label"


def progress_of(session: Session, projection: ReturnProjection, fresh: list[TimelineEntry]) -> Progress:
    view = projection.view
    steps = tuple(Step(seq=e.seq, at=e.at, status=e.status.value, event=e.event.value, cause=e.cause) for e in fresh)
    refund, exchange, label = view.refund, view.exchange, view.label
    expires_at = None
    # The label's deadline runs from its purchase (the move to label_created); later label_created lines
    # (a relabel, a pickup) do not move it (workflows/returns/workflow.py keeps one deadline).
    labelled = next((s for s in steps if s.status == "label_created" and s.event == LABEL_BOUGHT), None)
    advance = exchange is not None and exchange.mode == "advance"  # its original has a deadline of its own
    if labelled is not None and label is not None and not advance:
        days = view.label_expiry_days  # as the return started with it; older views: the merchant's setting now
        if days is None:
            merchant = session.get(Merchant, view.merchant_id)
            days = merchant.label_expiry_days if merchant else 30
        expires_at = labelled.at + timedelta(days=days)
    pickup = label.pickup if label else None
    before = session.get(TimelineRecord, (view.return_id, fresh[0].seq - 1)) if fresh else None
    return Progress(
        status=view.status.value,
        steps=steps,
        status_before=before.status if before else None,
        new_attention=tuple((a.key, a.kind.value, a.reason) for a in projection.new_attention),
        settlement_method=refund.method.value if refund else None,
        settlement_status=refund.status.value if refund else None,
        settlement_amount=refund.amount.amount if refund else 0,
        label_tracking_code=label.tracking_code if label else None,
        # a relabel that voided the label and could not buy another announces no email for the voided one
        label_mail=projection.label_mail and label is not None and label.void_status is None,
        label_expires_at=expires_at,
        pickup=PickupFacts(pickup.pickup_id, pickup.status.value, pickup.window.min_datetime) if pickup else None,
        replacements_shipped=tuple(
            r.tracking_code or r.line_id for r in (exchange.replacements if exchange else []) if r.status == "shipped"
        ),
        exchange_charged=bool(exchange and exchange.charge_reference),
        refund_failed=any(s.event == "settlement" and s.cause.startswith(REFUND_FAILED_NOTE) for s in steps),
    )


def event_payload(projection: ReturnProjection) -> dict:
    """The return's current view as merchants read it: ids, statuses, amounts; no shopper data."""
    return projection.view.model_dump(mode="json", exclude={"request_fingerprint"})


def announce(session: Session, projection: ReturnProjection, fresh: list[TimelineEntry], now: datetime) -> None:
    if not fresh:  # every line written before: a retried write that had committed, or a late older one
        return
    progress = progress_of(session, projection, fresh)
    view = projection.view
    outbox.keep(
        session,
        view.merchant_id,
        view.return_id,
        progress.status,
        announcements(progress),
        event_payload(projection),
        now,
    )
