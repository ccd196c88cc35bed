"""A merchant's facility registry: where returned items can be received and sent next."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fastapi import APIRouter

from api.deps import DbDep, Handler, Operator, Reader
from api.errors import ApiError
from api.returns_gateway import ReturnsGatewayDep
from api.schemas.common import PathId
from api.schemas.facilities import FacilityReceiptIn, FacilityReceiptOut
from db.inventory_queries import transfer_to
from db.registry import load_registry, save_registry
from domain.facilities import FacilityRegistry
from workflows.messages import FacilityReceipt

router = APIRouter(prefix="/v1/facilities", tags=["merchant: facilities"])


@router.put("", response_model=FacilityRegistry)
async def put_facilities(body: FacilityRegistry, principal: Operator, db: DbDep) -> FacilityRegistry:
    """Replace the whole registry (validated: capabilities, coordinates, capacities, unique ids)."""
    return await db.run(save_registry, principal.merchant_id, body)


@router.get("", response_model=FacilityRegistry)
async def get_facilities(principal: Reader, db: DbDep) -> FacilityRegistry:
    return await db.run(load_registry, principal.merchant_id)


@router.post("/{facility_id}/receipts", status_code=202, response_model=FacilityReceiptOut)
async def facility_receipt(
    facility_id: PathId, body: FacilityReceiptIn, principal: Handler, db: DbDep, workflows: ReturnsGatewayDep
) -> FacilityReceiptOut:
    """Confirm an item sent to this facility arrived (202: its transfer workflow completes)."""
    route = await db.run(
        lambda s: transfer_to(
            s,
            principal.merchant_id,
            facility_id,
            tracking_code=body.tracking_code,
            return_id=body.return_id,
            line_id=body.line_id,
        )
    )
    if route is None or (route.from_facility_id == facility_id):
        what = (
            f"tracking code {body.tracking_code!r}"
            if body.tracking_code
            else f"line {body.line_id!r} of return {body.return_id!r}"
        )
        raise ApiError(404, "transfer_not_found", f"no item was sent to facility {facility_id!r} with {what}")
    if route.transfer_tracking_code is None:
        raise ApiError(
            409,
            "not_shipped",
            f"line {route.line_id} of return {route.return_id} has not been shipped to {facility_id} yet",
        )
    receipt = FacilityReceipt(
        receipt_id=f"freceipt-{uuid.uuid4().hex}", facility_id=facility_id, received_at=datetime.now(UTC)
    )
    if not await workflows.confirm_facility_receipt(
        route.return_id, route.line_id, receipt
    ):  # its transfer has finished
        raise ApiError(
            409,
            "already_received",
            f"line {route.line_id} of return {route.return_id} was already received at {facility_id}",
        )
    return FacilityReceiptOut(
        facility_id=facility_id,
        return_id=route.return_id,
        line_id=route.line_id,
        tracking_code=route.transfer_tracking_code,
    )
