"""Warehouse endpoints: dock receipts (signals), inspections (updates), unidentified parcels."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fastapi import APIRouter, Query
from sqlmodel import Session

from api.deps import DbDep, FloorReader, Receiver
from api.errors import ApiError
from api.pages import CursorQuery, Page, decode_cursor, page
from api.returns_gateway import ReturnsGatewayDep
from api.schemas.common import MoneyOut, ReturnPathId
from api.schemas.returns import ReturnOut
from api.schemas.warehouse import (
    InspectedItemOut,
    InspectionIn,
    InspectionOut,
    ReceiptIn,
    UnidentifiedOut,
)
from db.receipts import (
    UnknownFacility,
    receiving_facility,
    record_unidentified,
    scanned_return,
    unidentified_parcels,
)
from db.registry import load_disposition_rules
from db.returns import get_return
from db.tables import ReturnRecord, UnidentifiedParcel
from domain.status import ALLOWED_TRANSITIONS, ReturnStatus
from workflows.messages import InspectedItem, Inspection, WarehouseReceipt

router = APIRouter(tags=["warehouse"])


def _scan(
    session: Session, merchant_id: str, body: ReceiptIn
) -> tuple[ReturnRecord | None, UnidentifiedParcel | str | None]:
    """(the return scanned, the facility receiving it), or (None, the unidentified parcel recorded for ops)."""
    row, named_id = scanned_return(session, merchant_id, body.tracking_code, body.return_id, body.rma_code)
    if row is None:
        parcel = record_unidentified(
            session,
            merchant_id,
            body.facility_id,
            tracking_code=body.tracking_code,
            rma_code=body.rma_code,
            return_id=body.return_id,
            named_id=named_id,
            notes=body.notes,
        )
        return None, parcel
    return row, receiving_facility(session, merchant_id, body.facility_id, row)


@router.post("/v1/warehouse/receipts", status_code=202, response_model=ReturnOut | UnidentifiedOut)
async def receive(
    body: ReceiptIn, principal: Receiver, db: DbDep, workflows: ReturnsGatewayDep
) -> ReturnOut | UnidentifiedOut:
    """Record a dock scan (202: the workflow moves the return to `received`).

    A parcel matching no return is recorded as unidentified for ops (also 202, `status: unidentified`).
    """
    try:
        row, found = await db.run(_scan, principal.merchant_id, body)
    except UnknownFacility as err:
        raise ApiError(
            422,
            "unknown_facility",
            f"facility_id {body.facility_id!r} is not in your facility registry",
            field="facility_id",
        ) from err
    if row is None:
        return UnidentifiedOut(
            parcel_id=found.id,
            **found.model_dump(
                include={"tracking_code", "rma_code", "return_id", "facility_id", "notes", "received_at"}
            ),
        )
    status = ReturnStatus(row.status)
    if ReturnStatus.RECEIVED not in ALLOWED_TRANSITIONS[status]:
        raise ApiError(
            409, "wrong_state", f"the return is {status.value}; it cannot be received now", return_status=status.value
        )
    receipt = WarehouseReceipt(
        receipt_id=f"receipt-{uuid.uuid4().hex}",
        warehouse_id=found,
        received_at=datetime.now(UTC),
        tracking_code=body.tracking_code,
    )
    await workflows.receive_at_warehouse(row.id, receipt)
    return ReturnOut.of(row)


@router.get("/v1/warehouse/unidentified", response_model=Page[UnidentifiedOut])
async def unidentified(
    principal: FloorReader, db: DbDep, limit: int = Query(100, ge=1, le=500), cursor: CursorQuery = None
) -> Page[UnidentifiedOut]:
    """Parcels scanned at a dock that matched no return, newest first."""
    rows = await db.run(unidentified_parcels, principal.merchant_id, limit + 1, decode_cursor(cursor))
    shown, next_cursor = page(rows, limit, lambda p: (p.received_at, p.id))
    data = [
        UnidentifiedOut(
            parcel_id=p.id,
            tracking_code=p.tracking_code,
            rma_code=p.rma_code,
            return_id=p.return_id,
            facility_id=p.facility_id,
            notes=p.notes,
            received_at=p.received_at,
        )
        for p in shown
    ]
    return Page[UnidentifiedOut](data=data, next_cursor=next_cursor)


@router.post("/v1/returns/{return_id}/inspection", response_model=InspectionOut)
async def inspect(
    return_id: ReturnPathId, body: InspectionIn, principal: Receiver, db: DbDep, workflows: ReturnsGatewayDep
) -> InspectionOut:
    def load(session: Session):
        return get_return(session, principal.merchant_id, return_id), load_disposition_rules(
            session, principal.merchant_id
        )

    row, rules = await db.run(load)
    if row is None:
        raise ApiError(404, "return_not_found", f"return {return_id!r} not found")
    inspection = Inspection(
        items=[InspectedItem(**i.model_dump(mode="json")) for i in body.items],
        inspector=body.inspector or f"warehouse key {principal.key_prefix}…",
        disposition_rules=rules,
    )
    result = await workflows.inspect(return_id, inspection, row.status)
    return InspectionOut(
        return_id=return_id,
        status=result.status,
        items=[
            InspectedItemOut(
                line_id=o.line_id,
                grade=o.grade,
                disposition=o.disposition,
                refund=MoneyOut.of(o.refund),
                recovery_value=MoneyOut.of(o.recovery_value),
                findings=o.findings,
                flagged=o.flagged,
            )
            for o in result.items
        ],
        refund=MoneyOut.of(result.refund),
    )
