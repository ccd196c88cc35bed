"""The projection: the workflow's state written to the database for reads.

Idempotent by construction: the return row carries the workflow's timeline
sequence (`version`) and is only overwritten by a newer one; timeline entries
are keyed by (return_id, seq) and inserted once.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import select
from temporalio import activity

from activities.announcements import announce
from db import attention, return_units
from db.return_items import show_transfer_codes
from db.session import session_scope
from db.tables import AttentionItem, ReturnLine, ReturnParcel, ReturnRecord, TimelineRecord
from db.types import utcnow
from domain.status import ReturnStatus
from workflows.messages import ReturnProjection


class StoreActivities:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @activity.defn
    def record_return(self, projection: ReturnProjection) -> None:
        view = projection.view
        values = {**view.row_fields(), "version": projection.version}
        with session_scope(self._engine) as session:
            row = session.get(ReturnRecord, view.return_id, with_for_update=True)
            if row is None:
                session.add(ReturnRecord(**values))
            elif row.version < projection.version:
                for key, value in values.items():
                    setattr(row, key, value)
            session.flush()
            # A transfer's code is shown from its label's purchase (the workflow knows it only when the transfer
            # completes): read after this write, so a code bought meanwhile is not written over (db/return_items.py).
            show_transfer_codes(session, view.return_id)
            for item in view.items:  # sku and reason never change: written once, found by GET /v1/returns filters
                if session.get(ReturnLine, (view.return_id, item.line_id)) is None:
                    session.add(
                        ReturnLine(
                            return_id=view.return_id,
                            line_id=item.line_id,
                            merchant_id=view.merchant_id,
                            sku=item.sku,
                            reason=item.reason.value,
                            created_at=view.created_at,
                        )
                    )
            if view.status in return_units.RELEASING:  # cancelled, rejected, expired: its units are free again
                return_units.release(session, view.return_id)
            fresh = []  # entries written now for the first time: what the outbox announces
            for entry in projection.new_entries:
                if session.get(TimelineRecord, (view.return_id, entry.seq)) is None:
                    fresh.append(entry)
                    session.add(
                        TimelineRecord(
                            return_id=view.return_id,
                            seq=entry.seq,
                            at=entry.at,
                            status=entry.status.value,
                            event=entry.event,
                            cause=entry.cause,
                        )
                    )
            for number, label in enumerate(view.parcels, start=1):
                if session.get(ReturnParcel, label.tracking_code) is None:
                    session.add(
                        ReturnParcel(
                            tracking_code=label.tracking_code,
                            merchant_id=view.merchant_id,
                            return_id=view.return_id,
                            parcel=number,
                            tracker_id=label.tracker_id,
                        )
                    )
            for flag in projection.new_attention:
                known = select(AttentionItem.id).where(
                    AttentionItem.merchant_id == view.merchant_id, AttentionItem.key == flag.key
                )
                if session.exec(known).first() is None:
                    session.add(
                        AttentionItem(
                            merchant_id=view.merchant_id,
                            key=flag.key,
                            kind=flag.kind,
                            return_id=view.return_id,
                            line_id=flag.line_id,
                            reason=flag.reason,
                            created_at=flag.at,
                        )
                    )
            # Reviewed (or cancelled while held): no longer waiting. Only when this write is the newest.
            if view.status != ReturnStatus.PENDING_REVIEW and (row is None or row.version <= projection.version):
                session.flush()
                attention.close_pending_review(
                    session, view.merchant_id, view.return_id, f"workflow: return {view.status.value}"
                )
            announce(session, projection, fresh, utcnow())
