"""A merchant's saved facility registry and disposition rules, read and replaced whole."""

from __future__ import annotations

from sqlmodel import Session, col, delete, select

from db.tables import DispositionPolicyRecord, FacilityRecord
from db.types import utcnow
from domain.disposition import DispositionPolicy
from domain.facilities import Facility, FacilityRegistry


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


def load_disposition_rules(session: Session, merchant_id: str) -> DispositionPolicy | None:
    """The merchant's saved rules; None: the defaults apply."""
    row = session.get(DispositionPolicyRecord, merchant_id)
    return None if row is None else DispositionPolicy.model_validate(row.document)


def save_disposition_rules(session: Session, merchant_id: str, rules: DispositionPolicy) -> None:
    row = session.get(DispositionPolicyRecord, merchant_id) or DispositionPolicyRecord(merchant_id=merchant_id)
    row.document, row.updated_at = rules.model_dump(mode="json"), utcnow()
    session.add(row)
