"""A merchant's facility registry: where returned items can be received and sent next."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, model_validator
from sqlmodel import Session, select
from temporalio.service import RPCError, RPCStatusCode

from api.deps import DbDep, MerchantOrOpsKey, TemporalDep, WarehouseOrOpsKey
from api.errors import ApiError
from api.schemas import PathId, Strict
from db.registry import load_registry, replace_registry
from db.tables import ItemRoute
from domain.facilities import FacilityRegistry
from domain.validation import Id, ReturnId, TrackingCode
from workflows.ids import transfer_workflow_id
from workflows.messages import FacilityReceipt
from workflows.transfer_workflow import TransferWorkflow

router = APIRouter(prefix="/v1/facilities", tags=["merchant: facilities"])


@router.put("", response_model=FacilityRegistry)
async def put_facilities(body: FacilityRegistry, principal: MerchantOrOpsKey, db: DbDep) -> FacilityRegistry:
    """Replace the whole registry (validated: capabilities, coordinates, capacities, unique ids)."""

    def save(session: Session) -> FacilityRegistry:
        replace_registry(session, principal.merchant_id, body)
        session.flush()
        return load_registry(session, principal.merchant_id)

    return await db.run(save)


@router.get("", response_model=FacilityRegistry)
async def get_facilities(principal: MerchantOrOpsKey, db: DbDep) -> FacilityRegistry:
    return await db.run(load_registry, principal.merchant_id)


class FacilityReceiptIn(Strict):
    """A facility confirms a transferred item arrived: by the transfer's tracking code, or by return and line."""

    tracking_code: TrackingCode | None = None
    return_id: ReturnId | None = None
    line_id: Id | None = None

    @model_validator(mode="after")
    def _one(self) -> FacilityReceiptIn:
        if (self.tracking_code is None) == (self.return_id is None and self.line_id is None):
            raise ValueError("give either tracking_code, or return_id and line_id")
        if self.tracking_code is None and (self.return_id is None or self.line_id is None):
            raise ValueError("return_id and line_id go together")
        return self


class FacilityReceiptOut(BaseModel):
    status: Literal["accepted"] = "accepted"
    facility_id: str
    return_id: str
    line_id: str
    tracking_code: str | None


def _transfer(session: Session, merchant_id: str, facility_id: str, body: FacilityReceiptIn) -> ItemRoute | None:
    q = select(ItemRoute).where(ItemRoute.merchant_id == merchant_id, ItemRoute.facility_id == facility_id)
    if body.tracking_code:
        q = q.where(ItemRoute.transfer_tracking_code == body.tracking_code)
    else:
        q = q.where(ItemRoute.return_id == body.return_id, ItemRoute.line_id == body.line_id)
    return session.exec(q).first()


@router.post("/{facility_id}/receipts", status_code=202, response_model=FacilityReceiptOut)
async def facility_receipt(
    facility_id: PathId, body: FacilityReceiptIn, principal: WarehouseOrOpsKey, db: DbDep, temporal: TemporalDep
) -> FacilityReceiptOut:
    """Confirm an item sent to this facility arrived (202: its transfer workflow completes)."""
    route = await db.run(_transfer, principal.merchant_id, facility_id, body)
    if route is None or (route.from_facility_id == facility_id):
        what = f"tracking code {body.tracking_code!r}" if body.tracking_code else f"line {body.line_id!r} of return {body.return_id!r}"
        raise ApiError(404, "transfer_not_found", f"no item was sent to facility {facility_id!r} with {what}")
    if route.transfer_tracking_code is None:
        raise ApiError(409, "not_shipped", f"line {route.line_id} of return {route.return_id} has not been shipped to {facility_id} yet")
    client = await temporal.client()
    receipt = FacilityReceipt(receipt_id=f"freceipt-{uuid.uuid4().hex}", facility_id=facility_id, received_at=datetime.now(UTC))
    try:
        await client.get_workflow_handle(transfer_workflow_id(route.return_id, route.line_id)).signal(
            TransferWorkflow.facility_receipt, receipt
        )
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise ApiError(409, "already_received", f"line {route.line_id} of return {route.return_id} was already received at {facility_id}") from err
        raise ApiError(503, "temporal_unavailable", "could not record the receipt; retry") from err
    return FacilityReceiptOut(facility_id=facility_id, return_id=route.return_id, line_id=route.line_id, tracking_code=route.transfer_tracking_code)
