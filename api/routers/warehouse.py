"""Warehouse endpoints: dock receipts (signals) and inspections (updates)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fastapi import APIRouter
from temporalio.service import RPCError

from api import queries
from api.deps import DbDep, TemporalDep, WarehouseKey
from api.errors import ApiError
from api.schemas import (
    InspectedItemOut,
    InspectionIn,
    InspectionOut,
    MoneyOut,
    ReceiptIn,
    ReturnOut,
)
from api.workflow_calls import UPDATE_RPC_TIMEOUT, call
from db.tables import Merchant
from domain.status import ALLOWED_TRANSITIONS, ReturnStatus
from workflows.ids import return_workflow_id
from workflows.messages import InspectedItem, Inspection, WarehouseReceipt
from workflows.return_workflow import ReturnWorkflow

router = APIRouter(tags=["warehouse"])


def _find(session, merchant_id: str, body: ReceiptIn):
    if body.return_id:
        row = queries.get_return(session, merchant_id, body.return_id)
    else:
        row = queries.find_return_by_tracking(session, merchant_id, body.tracking_code)
    merchant = session.get(Merchant, merchant_id)
    return row, merchant.warehouse_id


@router.post("/v1/warehouse/receipts", status_code=202, response_model=ReturnOut)
async def receive(body: ReceiptIn, principal: WarehouseKey, db: DbDep, temporal: TemporalDep) -> ReturnOut:
    """Record a dock scan. Accepted (202): the workflow moves the return to `received`."""
    row, warehouse_id = await db.run(_find, principal.merchant_id, body)
    if row is None:
        what = f"return {body.return_id!r}" if body.return_id else f"tracking code {body.tracking_code!r}"
        raise ApiError(404, "return_not_found", f"no return matches {what}")
    status = ReturnStatus(row.status)
    if ReturnStatus.RECEIVED not in ALLOWED_TRANSITIONS[status]:
        raise ApiError(409, "wrong_state", f"the return is {status.value}; it cannot be received now")
    client = await temporal.client()
    receipt = WarehouseReceipt(
        receipt_id=f"receipt-{uuid.uuid4().hex}", warehouse_id=warehouse_id, received_at=datetime.now(UTC)
    )
    try:
        await client.get_workflow_handle(return_workflow_id(row.id)).signal(ReturnWorkflow.warehouse_receipt, receipt)
    except RPCError as err:
        raise ApiError(503, "temporal_unavailable", "could not record the receipt; retry") from err
    return ReturnOut.of(row)


@router.post("/v1/returns/{return_id}/inspection", response_model=InspectionOut)
async def inspect(
    return_id: str, body: InspectionIn, principal: WarehouseKey, db: DbDep, temporal: TemporalDep
) -> InspectionOut:
    row = await db.run(queries.get_return, principal.merchant_id, return_id)
    if row is None:
        raise ApiError(404, "return_not_found", f"return {return_id!r} not found")
    client = await temporal.client()
    handle = client.get_workflow_handle_for(ReturnWorkflow.run, return_workflow_id(return_id))
    inspection = Inspection(items=[InspectedItem(**i.model_dump()) for i in body.items])
    result = await call(handle.execute_update(ReturnWorkflow.inspect, inspection, rpc_timeout=UPDATE_RPC_TIMEOUT), row.status)
    return InspectionOut(
        return_id=return_id,
        status=result.status,
        items=[
            InspectedItemOut(
                line_id=o.line_id,
                grade=o.grade,
                disposition=o.disposition,
                refund=MoneyOut(amount=o.refund.amount, currency=o.refund.currency),
            )
            for o in result.items
        ],
        refund=MoneyOut(amount=result.refund.amount, currency=result.refund.currency),
    )
