"""A merchant's saved facility registry and disposition rules, read and replaced whole."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
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
    # One statement (insert or update), so two saves at once never both try to insert the merchant's row.
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    document, now = rules.model_dump(mode="json"), utcnow()
    upsert = insert(DispositionPolicyRecord).values(merchant_id=merchant_id, document=document, updated_at=now)
    session.execute(
        upsert.on_conflict_do_update(index_elements=["merchant_id"], set_={"document": document, "updated_at": now})
    )


def save_registry(session: Session, merchant_id: str, registry: FacilityRegistry) -> FacilityRegistry:
    """Replace the registry and read back what is stored."""
    replace_registry(session, merchant_id, registry)
    session.flush()
    return load_registry(session, merchant_id)
