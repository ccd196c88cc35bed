"""Ops endpoints (an `ops`-scoped key): decisions people make about returns."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import DbDep, Reader, Reviewer
from api.errors import ApiError
from api.pages import CursorQuery, Page, decode_cursor, page
from api.returns_gateway import ReturnsGatewayDep
from api.schemas.common import ReturnPathId
from api.schemas.ops import AttentionOut, ResolveIn
from api.schemas.returns import ReturnOut, ReviewIn
from db.attention import AlreadyResolved, open_attention, resolve_attention
from db.returns import get_return
from workflows.messages import ReviewDecision

router = APIRouter(tags=["ops"])


@router.post("/v1/returns/{return_id}/review", response_model=ReturnOut)
async def review(
    return_id: ReturnPathId, body: ReviewIn, principal: Reviewer, db: DbDep, workflows: ReturnsGatewayDep
) -> ReturnOut:
    """Approve or reject a return the policy held for manual review."""
    row = await db.run(get_return, principal.merchant_id, return_id)
    if row is None:
        raise ApiError(404, "return_not_found", f"return {return_id!r} not found")
    decision = ReviewDecision(decision=body.decision, note=body.note, reviewer=f"ops key {principal.key_prefix}…")
    view = await workflows.review(return_id, decision, row.status)
    return ReturnOut.from_view(view)


@router.get("/v1/attention", response_model=Page[AttentionOut])
async def attention(
    principal: Reader,
    db: DbDep,
    kind: str | None = Query(None, max_length=32),
    limit: int = Query(100, ge=1, le=500),
    cursor: CursorQuery = None,
) -> Page[AttentionOut]:
    """What needs a person, newest first: held items, overdue inspections and transfers, inspection
    findings, unconfirmed refunds, shoppers who owe money, unidentified parcels."""

    rows = await db.run(open_attention, principal.merchant_id, kind, limit + 1, decode_cursor(cursor, int))
    shown, next_cursor = page(rows, limit, lambda r: (r.created_at, r.id))
    return Page[AttentionOut](
        data=[AttentionOut.model_validate(r, from_attributes=True) for r in shown], next_cursor=next_cursor
    )


@router.post("/v1/attention/{attention_id}/resolve", response_model=AttentionOut)
async def resolve(
    attention_id: Annotated[int, Path(ge=1, le=2**63 - 1)], body: ResolveIn, principal: Reviewer, db: DbDep
) -> AttentionOut:
    """Mark an attention item handled: it leaves the list (the return's timeline keeps its history)."""
    by = f"ops key {principal.key_prefix}…" + (f": {body.note}" if body.note else "")
    try:
        row = await db.run(resolve_attention, principal.merchant_id, attention_id, by)
    except AlreadyResolved as err:
        raise ApiError(
            409, "already_resolved", f"attention item {attention_id} was resolved at {err.resolved_at.isoformat()}"
        ) from err
    if row is None:
        raise ApiError(404, "attention_not_found", f"attention item {attention_id} not found")
    return AttentionOut.model_validate(row, from_attributes=True)
