"""Dock receipts at the warehouse: the return a scan names, where it was received, and the parcels
that match no return (recorded for ops, with an attention item)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from db.pages import after_row
from db.registry import load_registry
from db.returns import find_return_by_tracking, get_return
from db.tables import AttentionItem, Merchant, ReturnRecord, UnidentifiedParcel
from domain.rma import parse_rma_code
from workflows.ids import unidentified_parcel_key


class UnknownFacility(Exception):
    """The scan names a facility that is not in the merchant's registry."""


def scanned_return(
    session: Session, merchant_id: str, tracking_code: str | None, return_id: str | None, rma_code: str | None
) -> tuple[ReturnRecord | None, str | None]:
    """The return the scan names, and the id it names (a return id or an RMA code's)."""
    if tracking_code:
        return find_return_by_tracking(session, merchant_id, tracking_code), None
    named = return_id or parse_rma_code(rma_code or "")
    return (get_return(session, merchant_id, named) if named else None), named


def receiving_facility(
    session: Session, merchant_id: str, facility_id: str | None, row: ReturnRecord | None
) -> str | None:
    """The facility named by the scan (UnknownFacility if not the merchant's), else the one the label
    was addressed to, else the merchant's warehouse."""
    if facility_id:
        if load_registry(session, merchant_id).get(facility_id) is None:
            raise UnknownFacility(facility_id)
        return facility_id
    if row is not None and row.label and row.label.get("receiving_facility_id"):
        return row.label["receiving_facility_id"]
    return session.get(Merchant, merchant_id).warehouse_id


def record_unidentified(
    session: Session,
    merchant_id: str,
    facility_id: str | None,
    *,
    tracking_code: str | None,
    rma_code: str | None,
    return_id: str | None,
    named_id: str | None,
    notes: str,
) -> UnidentifiedParcel:
    facility_id = receiving_facility(session, merchant_id, facility_id, None)
    parcel = UnidentifiedParcel(
        id=f"parcel_{uuid.uuid4().hex[:20]}",
        merchant_id=merchant_id,
        facility_id=facility_id,
        tracking_code=tracking_code,
        rma_code=rma_code,
        return_id=named_id,
        notes=notes,
        received_at=datetime.now(UTC),
    )
    scanned = tracking_code or rma_code or return_id
    session.add(parcel)
    session.add(
        AttentionItem(
            merchant_id=merchant_id,
            key=unidentified_parcel_key(parcel.id),
            kind="unidentified_parcel",
            reason=f"parcel {scanned!r} scanned at {facility_id} matches no return",
            created_at=parcel.received_at,
        )
    )
    return parcel


def unidentified_parcels(
    session: Session, merchant_id: str, limit: int, after: tuple[datetime, str] | None = None
) -> list[UnidentifiedParcel]:
    """Newest first; after `after`, the (received_at, id) of the last one a page showed."""
    q = select(UnidentifiedParcel).where(UnidentifiedParcel.merchant_id == merchant_id)
    q = after_row(q, col(UnidentifiedParcel.received_at), col(UnidentifiedParcel.id), after, newest_first=True)
    q = q.order_by(col(UnidentifiedParcel.received_at).desc(), col(UnidentifiedParcel.id).desc()).limit(limit)
    return list(session.exec(q).all())
