"""A merchant's facility registry: where returned items can be received and sent next."""

from __future__ import annotations

from fastapi import APIRouter
from sqlmodel import Session, col, delete, select

from api.deps import DbDep, MerchantKey
from db.tables import FacilityRecord
from db.types import utcnow
from domain.facilities import Facility, FacilityRegistry

router = APIRouter(prefix="/v1/facilities", tags=["merchant: facilities"])


def load_registry(session: Session, merchant_id: str) -> FacilityRegistry:
    rows = session.exec(
        select(FacilityRecord).where(FacilityRecord.merchant_id == merchant_id).order_by(col(FacilityRecord.id))
    ).all()
    return FacilityRegistry(facilities=[Facility.model_validate(r.document) for r in rows])


def replace_registry(session: Session, merchant_id: str, registry: FacilityRegistry) -> None:
    session.exec(delete(FacilityRecord).where(FacilityRecord.merchant_id == merchant_id))
    for facility in registry.facilities:
        session.add(
            FacilityRecord(
                merchant_id=merchant_id, id=facility.id, document=facility.model_dump(mode="json"), updated_at=utcnow()
            )
        )


@router.put("", response_model=FacilityRegistry)
async def put_facilities(body: FacilityRegistry, principal: MerchantKey, db: DbDep) -> FacilityRegistry:
    """Replace the whole registry (validated: capabilities, coordinates, capacities, unique ids)."""

    def save(session: Session) -> FacilityRegistry:
        replace_registry(session, principal.merchant_id, body)
        session.flush()
        return load_registry(session, principal.merchant_id)

    return await db.run(save)


@router.get("", response_model=FacilityRegistry)
async def get_facilities(principal: MerchantKey, db: DbDep) -> FacilityRegistry:
    return await db.run(load_registry, principal.merchant_id)
