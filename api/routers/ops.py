"""Ops endpoints (an `ops`-scoped key): decisions people make about returns."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel
from sqlmodel import Session, col, select

from api import queries
from api.deps import DbDep, MerchantOrOpsKey, OpsKey, TemporalDep
from api.errors import ApiError
from api.schemas import ReturnOut, ReturnPathId, ReviewIn
from api.workflow_calls import UPDATE_RPC_TIMEOUT, call
from db.tables import AttentionItem
from domain.validation import text
from workflows.ids import return_workflow_id
from workflows.messages import ReviewDecision
from workflows.return_workflow import ReturnWorkflow

router = APIRouter(tags=["ops"])


@router.post("/v1/returns/{return_id}/review", response_model=ReturnOut)
async def review(return_id: ReturnPathId, body: ReviewIn, principal: OpsKey, db: DbDep, temporal: TemporalDep) -> ReturnOut:
    """Approve or reject a return the policy held for manual review."""
    row = await db.run(queries.get_return, principal.merchant_id, return_id)
    if row is None:
        raise ApiError(404, "return_not_found", f"return {return_id!r} not found")
    client = await temporal.client()
    handle = client.get_workflow_handle_for(ReturnWorkflow.run, return_workflow_id(return_id))
    decision = ReviewDecision(decision=body.decision, note=body.note, reviewer=f"ops key {principal.key_prefix}…")
    view = await call(handle.execute_update(ReturnWorkflow.review, decision, rpc_timeout=UPDATE_RPC_TIMEOUT), row.status)
    return ReturnOut.from_view(view)


class AttentionOut(BaseModel):
    id: int
    kind: str
    return_id: str | None
    line_id: str | None
    reason: str
    created_at: datetime


@router.get("/v1/attention", response_model=list[AttentionOut])
async def attention(
    principal: MerchantOrOpsKey, db: DbDep, kind: str | None = Query(None, max_length=32),
    limit: int = Query(100, ge=1, le=500),
) -> list[AttentionOut]:  # fmt: skip
    """What needs a person, newest first: held items, overdue inspections and transfers, inspection
    findings, unconfirmed refunds, shoppers who owe money, unidentified parcels."""

    def load(session: Session) -> list[AttentionItem]:
        q = select(AttentionItem).where(AttentionItem.merchant_id == principal.merchant_id, AttentionItem.resolved_at.is_(None))
        if kind:
            q = q.where(AttentionItem.kind == kind)
        return list(session.exec(q.order_by(col(AttentionItem.created_at).desc(), col(AttentionItem.id).desc()).limit(limit)).all())

    return [AttentionOut.model_validate(r, from_attributes=True) for r in await db.run(load)]


class ResolveIn(BaseModel):
    note: text(2000) = ""


@router.post("/v1/attention/{attention_id}/resolve", response_model=AttentionOut)
async def resolve(attention_id: Annotated[int, Path(ge=1, le=2**63 - 1)], body: ResolveIn, principal: OpsKey, db: DbDep) -> AttentionOut:
    """Mark an attention item handled: it leaves the list (the return's timeline keeps its history)."""

    def mark(session: Session) -> AttentionItem:
        row = session.get(AttentionItem, attention_id)
        if row is None or row.merchant_id != principal.merchant_id:
            raise ApiError(404, "attention_not_found", f"attention item {attention_id} not found")
        if row.resolved_at is not None:
            raise ApiError(409, "already_resolved", f"attention item {attention_id} was resolved at {row.resolved_at.isoformat()}")
        row.resolved_at = datetime.now(UTC)
        row.resolved_by = f"ops key {principal.key_prefix}…" + (f": {body.note}" if body.note else "")
        session.add(row)
        return row

    return AttentionOut.model_validate(await db.run(mark), from_attributes=True)
