"""A merchant's disposition rules (grade x category x reason -> disposition, with a recovery estimate)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlmodel import Session

from api.deps import DbDep, Operator, Reader
from db.registry import load_disposition_rules, save_disposition_rules
from domain.disposition import DispositionPolicy

router = APIRouter(prefix="/v1/disposition-rules", tags=["merchant: facilities"])


@router.put("", response_model=DispositionPolicy)
async def put_rules(body: DispositionPolicy, principal: Operator, db: DbDep) -> DispositionPolicy:
    """Replace the rules (validated: ambiguous rules at one priority are refused, defaults must be total).
    Inspections from now on use them; items inspected earlier keep their decision."""

    def save(session: Session) -> DispositionPolicy:
        save_disposition_rules(session, principal.merchant_id, body)
        return body

    return await db.run(save)


@router.get("", response_model=DispositionPolicy)
async def get_rules(principal: Reader, db: DbDep) -> DispositionPolicy:
    """The rules in force (the defaults until you save your own)."""

    def load(session: Session) -> DispositionPolicy:
        return load_disposition_rules(session, principal.merchant_id) or DispositionPolicy()

    return await db.run(load)
