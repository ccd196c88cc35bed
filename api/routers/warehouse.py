"""Warehouse endpoints: dock receipts (signals), inspections (updates), unidentified parcels."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fastapi import APIRouter, Query
from sqlmodel import Session, col, select
from temporalio.service import RPCError

from api import queries
from api.deps import DbDep, TemporalDep, WarehouseKey, WarehouseOrOpsKey
from api.errors import ApiError
from api.schemas import (
    InspectedItemOut,
    InspectionIn,
    InspectionOut,
    MoneyOut,
    ReceiptIn,
    ReturnOut,
    ReturnPathId,
    UnidentifiedOut,
)
from api.workflow_calls import UPDATE_RPC_TIMEOUT, call
from db.registry import load_disposition_rules, load_registry
from db.tables import AttentionItem, Merchant, ReturnRecord, UnidentifiedParcel
from domain.rma import parse_rma_code
from domain.status import ALLOWED_TRANSITIONS, ReturnStatus
from workflows.ids import return_workflow_id
from workflows.messages import InspectedItem, Inspection, WarehouseReceipt
from workflows.returns import ReturnWorkflow

router = APIRouter(tags=["warehouse"])


def _find(session: Session, merchant_id: str, body: ReceiptIn) -> tuple[ReturnRecord | None, str | None]:
    """The return the scan names, and the id it names (a return id or an RMA code's)."""
    if body.tracking_code:
        return queries.find_return_by_tracking(session, merchant_id, body.tracking_code), None
    return_id = body.return_id or parse_rma_code(body.rma_code or "")
    return (queries.get_return(session, merchant_id, return_id) if return_id else None), return_id


def _receiving_facility(session: Session, merchant_id: str, body: ReceiptIn, row: ReturnRecord | None) -> str | None:
    if body.facility_id:
        if load_registry(session, merchant_id).get(body.facility_id) is None:
            raise ApiError(422, "unknown_facility", f"facility_id {body.facility_id!r} is not in your facility registry",
                           field="facility_id")  # fmt: skip
        return body.facility_id
    if row is not None and row.label and row.label.get("receiving_facility_id"):
        return row.label["receiving_facility_id"]
    return session.get(Merchant, merchant_id).warehouse_id


def _record_unidentified(session: Session, merchant_id: str, body: ReceiptIn, named_id: str | None) -> UnidentifiedParcel:
    facility_id = _receiving_facility(session, merchant_id, body, None)
    parcel = UnidentifiedParcel(
        id=f"parcel_{uuid.uuid4().hex[:20]}", merchant_id=merchant_id, facility_id=facility_id,
        tracking_code=body.tracking_code, rma_code=body.rma_code, return_id=named_id, notes=body.notes,
        received_at=datetime.now(UTC),
    )  # fmt: skip
    scanned = body.tracking_code or body.rma_code or body.return_id
    session.add(parcel)
    session.add(
        AttentionItem(
            merchant_id=merchant_id, key=f"unidentified:{parcel.id}", kind="unidentified_parcel",
            reason=f"parcel {scanned!r} scanned at {facility_id} matches no return", created_at=parcel.received_at,
        )
    )  # fmt: skip
    return parcel


@router.post("/v1/warehouse/receipts", status_code=202, response_model=ReturnOut | UnidentifiedOut)
async def receive(body: ReceiptIn, principal: WarehouseKey, db: DbDep, temporal: TemporalDep) -> ReturnOut | UnidentifiedOut:
    """Record a dock scan (202: the workflow moves the return to `received`).

    A parcel matching no return is recorded as unidentified for ops (also 202, `status: unidentified`).
    """

    def find(session: Session):
        row, named_id = _find(session, principal.merchant_id, body)
        if row is None:
            return None, _record_unidentified(session, principal.merchant_id, body, named_id)
        return row, _receiving_facility(session, principal.merchant_id, body, row)

    row, found = await db.run(find)
    if row is None:
        return UnidentifiedOut(parcel_id=found.id, **found.model_dump(include={"tracking_code", "rma_code", "return_id", "facility_id", "notes", "received_at"}))
    status = ReturnStatus(row.status)
    if ReturnStatus.RECEIVED not in ALLOWED_TRANSITIONS[status]:
        raise ApiError(409, "wrong_state", f"the return is {status.value}; it cannot be received now", return_status=status.value)
    client = await temporal.client()
    receipt = WarehouseReceipt(receipt_id=f"receipt-{uuid.uuid4().hex}", warehouse_id=found, received_at=datetime.now(UTC),
                               tracking_code=body.tracking_code)  # fmt: skip
    try:
        await client.get_workflow_handle(return_workflow_id(row.id)).signal(ReturnWorkflow.warehouse_receipt, receipt)
    except RPCError as err:
        raise ApiError(503, "temporal_unavailable", "could not record the receipt; retry") from err
    return ReturnOut.of(row)


@router.get("/v1/warehouse/unidentified", response_model=list[UnidentifiedOut])
async def unidentified(principal: WarehouseOrOpsKey, db: DbDep, limit: int = Query(100, ge=1, le=500)) -> list[UnidentifiedOut]:
    """Parcels scanned at a dock that matched no return, newest first."""

    def load(session: Session) -> list[UnidentifiedParcel]:
        q = (select(UnidentifiedParcel).where(UnidentifiedParcel.merchant_id == principal.merchant_id)
             .order_by(col(UnidentifiedParcel.received_at).desc()).limit(limit))  # fmt: skip
        return list(session.exec(q).all())

    return [
        UnidentifiedOut(parcel_id=p.id, tracking_code=p.tracking_code, rma_code=p.rma_code, return_id=p.return_id,
                        facility_id=p.facility_id, notes=p.notes, received_at=p.received_at)  # fmt: skip
        for p in await db.run(load)
    ]


@router.post("/v1/returns/{return_id}/inspection", response_model=InspectionOut)
async def inspect(
    return_id: ReturnPathId, body: InspectionIn, principal: WarehouseKey, db: DbDep, temporal: TemporalDep
) -> InspectionOut:
    def load(session: Session):
        return queries.get_return(session, principal.merchant_id, return_id), load_disposition_rules(session, principal.merchant_id)

    row, rules = await db.run(load)
    if row is None:
        raise ApiError(404, "return_not_found", f"return {return_id!r} not found")
    client = await temporal.client()
    handle = client.get_workflow_handle_for(ReturnWorkflow.run, return_workflow_id(return_id))
    inspection = Inspection(
        items=[InspectedItem(**i.model_dump(mode="json")) for i in body.items],
        inspector=body.inspector or f"warehouse key {principal.key_prefix}…",
        disposition_rules=rules,
    )
    result = await call(handle.execute_update(ReturnWorkflow.inspect, inspection, rpc_timeout=UPDATE_RPC_TIMEOUT), row.status)
    return InspectionOut(
        return_id=return_id,
        status=result.status,
        items=[
            InspectedItemOut(
                line_id=o.line_id, grade=o.grade, disposition=o.disposition, refund=MoneyOut.of(o.refund),
                recovery_value=MoneyOut.of(o.recovery_value), findings=o.findings, flagged=o.flagged,
            )
            for o in result.items
        ],  # fmt: skip
        refund=MoneyOut.of(result.refund),
    )
