"""Ops endpoints (an `ops`-scoped key): decisions people make about returns."""

from __future__ import annotations

from fastapi import APIRouter

from api import queries
from api.deps import DbDep, OpsKey, TemporalDep
from api.errors import ApiError
from api.schemas import ReturnOut, ReviewIn
from api.workflow_calls import UPDATE_RPC_TIMEOUT, call
from workflows.ids import return_workflow_id
from workflows.messages import ReviewDecision
from workflows.return_workflow import ReturnWorkflow

router = APIRouter(tags=["ops"])


@router.post("/v1/returns/{return_id}/review", response_model=ReturnOut)
async def review(return_id: str, body: ReviewIn, principal: OpsKey, db: DbDep, temporal: TemporalDep) -> ReturnOut:
    """Approve or reject a return the policy held for manual review."""
    row = await db.run(queries.get_return, principal.merchant_id, return_id)
    if row is None:
        raise ApiError(404, "return_not_found", f"return {return_id!r} not found")
    client = await temporal.client()
    handle = client.get_workflow_handle_for(ReturnWorkflow.run, return_workflow_id(return_id))
    decision = ReviewDecision(decision=body.decision, note=body.note, reviewer=f"ops key {principal.key_prefix}…")
    view = await call(handle.execute_update(ReturnWorkflow.review, decision, rpc_timeout=UPDATE_RPC_TIMEOUT), row.status)
    return ReturnOut.from_view(view)
