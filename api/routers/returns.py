"""Merchant endpoints for returns: create, read, list, cancel, timeline."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from starlette.concurrency import run_in_threadpool
from temporalio.client import (
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api import queries
from api.address_check import verify_shopper_address
from api.assessment import Assessment, assess
from api.deps import DbDep, MerchantKey, SettingsDep, TemporalDep
from api.errors import ApiError
from api.exchange_check import exchange_order
from api.schemas import (
    CancelIn,
    ItemOut,
    PickupWindowIn,
    ReturnCreate,
    ReturnList,
    ReturnOut,
    ReturnPathId,
    Timeline,
    TimelineEntryOut,
    Tracking,
    TrackingEventOut,
)
from api.workflow_calls import UPDATE_RPC_TIMEOUT, call
from db import return_units
from db.tables import ReturnRecord
from domain.policy import Quote
from domain.requests import RequestedItem
from domain.status import ReturnStatus
from workflows import search_attributes as sa
from workflows.ids import TASK_QUEUE, return_workflow_id
from workflows.messages import (
    CancelPickup,
    CancelRequest,
    ExchangeOrder,
    PickupWindow,
    ReturnInput,
    SubmitReturn,
)
from workflows.return_workflow import ReturnWorkflow

router = APIRouter(prefix="/v1/returns", tags=["merchant: returns"])


IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=255)]


def _fingerprint(body: ReturnCreate) -> str:
    return hashlib.sha256(json.dumps(body.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()


def _return_id(merchant_id: str, idempotency_key: str | None) -> str:
    if idempotency_key is None:
        return "ret_" + secrets.token_hex(12)
    return "ret_" + hashlib.sha256(f"{merchant_id}\0{idempotency_key}".encode()).hexdigest()[:24]


async def _existing(db: DbDep, merchant_id: str, return_id: str, fingerprint: str) -> ReturnOut | None:
    row = await db.run(queries.get_return, merchant_id, return_id)
    if row is None:
        return None
    if row.request_fingerprint != fingerprint:
        raise ApiError(409, "idempotency_conflict", "this Idempotency-Key was already used with a different request")
    return ReturnOut.of(row)


@router.post("/quote", response_model=Quote)
async def quote_return(body: ReturnCreate, principal: MerchantKey, db: DbDep) -> Quote:
    """What the policy says about this return, item by item; changes nothing."""
    return (await assess(db, principal.merchant_id, body, datetime.now(UTC))).quote


@router.post("", status_code=201, response_model=ReturnOut)
async def create_return(
    body: ReturnCreate,
    principal: MerchantKey,
    db: DbDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ReturnOut:
    """Create a return. 201 with its label; 202 if workers are slow (it goes on; retry with the same key to read it)."""
    merchant_id = principal.merchant_id
    fingerprint = _fingerprint(body)
    return_id = _return_id(merchant_id, idempotency_key)
    if idempotency_key and (done := await _existing(db, merchant_id, return_id, fingerprint)):
        return done

    now = datetime.now(UTC)
    found = await assess(db, merchant_id, body, now, return_id)
    if not found.quote.eligible:
        raise ApiError(422, "not_eligible", " ".join(found.quote.reasons), reasons=found.quote.reasons)
    await verify_shopper_address(settings, found)  # unverifiable: 422 naming the field, nothing started
    exchange = await exchange_order(db, merchant_id, body, found, settings)

    # The units first, atomically: of concurrent creates for the same unit exactly one gets it.
    reserved = await _reserve_units(db, merchant_id, return_id, body, found)
    try:
        return await _start(body, merchant_id, return_id, idempotency_key, fingerprint, found, exchange, now, db, temporal, settings, response)
    except BaseException:
        if reserved:
            await _release_unless_started(db, temporal, return_id)
        raise


async def _reserve_units(db: DbDep, merchant_id: str, return_id: str, body: ReturnCreate, found: Assessment) -> bool:
    """Hold the return's units (422 if another return holds them); False if a retry held them already."""
    quantities = {l["id"]: l["quantity"] for l in found.order.lines}
    items = [RequestedItem(line_id=i.line_id, quantity=i.quantity) for i in body.items]
    try:
        problems, created = await run_in_threadpool(
            return_units.reserve, db.engine, merchant_id, body.order_id, return_id, quantities, items, fingerprint=_fingerprint(body)
        )
    except return_units.IdempotencyConflict as err:  # the same key sent with another body, maybe at the same moment
        raise ApiError(409, "idempotency_conflict", "this Idempotency-Key was already used with a different request") from err
    if problems:
        raise ApiError(422, "invalid_items", "; ".join(p.message for p in problems), details=[p.model_dump() for p in problems])
    return created


async def _release_unless_started(db: DbDep, temporal: TemporalDep, return_id: str) -> None:
    """A return whose workflow surely never started (Temporal unreachable, no worker) holds no units.
    When unsure the units stay held: a retry with the same Idempotency-Key finds them its own."""
    try:
        client = await temporal.client()
        await client.get_workflow_handle(return_workflow_id(return_id)).describe()
        return  # it exists: the units are its own
    except ApiError:
        pass  # never connected, so nothing was started
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            return
    await run_in_threadpool(return_units.release_in, db.engine, return_id)


async def _start(
    body: ReturnCreate, merchant_id: str, return_id: str, idempotency_key: str | None, fingerprint: str, found: Assessment,
    exchange: ExchangeOrder | None, now: datetime, db: DbDep, temporal: TemporalDep, settings: SettingsDep, response: Response,
) -> ReturnOut:  # fmt: skip
    client = await temporal.client()
    start = WithStartWorkflowOperation(
        ReturnWorkflow.run,
        ReturnInput(
            return_id=return_id,
            merchant_id=merchant_id,
            context=found.context,
            lines=found.lines,
            resolution=body.resolution,
            policy=found.policy,
            policy_version=found.policy_version,
            requested_at=now,
            label_expiry_days=found.merchant.label_expiry_days,
            inspection_sla_hours=settings.inspection_sla_hours,
            transfer_timeout_days=settings.transfer_timeout_days,
            exchange=exchange,
            pickup=PickupWindow(**body.pickup.model_dump()) if body.pickup else None,
            request_fingerprint=fingerprint,
        ),
        id=return_workflow_id(return_id),
        task_queue=TASK_QUEUE,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        # A finished return keeps its id forever: a late retry must not start it again.
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        search_attributes=TypedSearchAttributes(
            [SearchAttributePair(sa.MERCHANT_ID, merchant_id), SearchAttributePair(sa.RETURN_STATUS, "requested")]
        ),
    )
    update = client.execute_update_with_start_workflow(
        ReturnWorkflow.submit,
        SubmitReturn(request_fingerprint=fingerprint),
        start_workflow_operation=start,
        id=f"submit-{fingerprint[:32]}",
        rpc_timeout=timedelta(seconds=settings.submit_timeout_seconds),
    )
    try:
        view = await call(update, timeout_is_error=False)
    except (WorkflowAlreadyStartedError, WorkflowUpdateFailedError) as err:
        if idempotency_key and (done := await _existing(db, merchant_id, return_id, fingerprint)):
            return done
        raise ApiError(409, "idempotency_conflict", "this Idempotency-Key belongs to another request") from err
    except WorkflowUpdateRPCTimeoutOrCancelledError as err:
        # No worker answered in time. If the workflow exists the return is safe and will
        # proceed when a worker is back: say so (202). Otherwise nothing happened: 503.
        try:
            await client.get_workflow_handle(return_workflow_id(return_id)).describe()
        except RPCError:
            raise ApiError(503, "workers_unavailable", "the return could not be started; retry") from err
        response.status_code = 202
        return ReturnOut(
            id=return_id, order_id=body.order_id, status=ReturnStatus.REQUESTED, resolution=body.resolution,
            items=[ItemOut(line_id=l.line_id, sku=l.sku, quantity=l.quantity, reason=l.reason) for l in found.lines],
            policy_version=found.policy_version, created_at=now, updated_at=now,
        )
    return ReturnOut.from_view(view)


@router.get("", response_model=ReturnList)
async def list_returns(
    principal: MerchantKey,
    db: DbDep,
    status: ReturnStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> ReturnList:
    try:
        after = queries.decode_cursor(cursor) if cursor else None
    except ValueError as err:
        raise ApiError(400, "invalid_cursor", "cursor is not one this API returned") from err
    rows = await db.run(queries.list_returns, principal.merchant_id, status.value if status else None, limit + 1, after)
    page, more = rows[:limit], len(rows) > limit
    return ReturnList(data=[ReturnOut.of(r) for r in page], next_cursor=queries.encode_cursor(page[-1]) if more else None)


async def _owned(db: DbDep, merchant_id: str, return_id: str) -> ReturnRecord:
    row = await db.run(queries.get_return, merchant_id, return_id)
    if row is None:
        raise ApiError(404, "return_not_found", f"return {return_id!r} not found")
    return row


@router.get("/{return_id}", response_model=ReturnOut)
async def get_return(return_id: ReturnPathId, principal: MerchantKey, db: DbDep) -> ReturnOut:
    return ReturnOut.of(await _owned(db, principal.merchant_id, return_id))


@router.get("/{return_id}/timeline", response_model=Timeline)
async def get_timeline(return_id: ReturnPathId, principal: MerchantKey, db: DbDep) -> Timeline:
    await _owned(db, principal.merchant_id, return_id)
    rows = await db.run(queries.timeline, return_id)
    return Timeline(return_id=return_id, entries=[TimelineEntryOut.of(r) for r in rows])


@router.get("/{return_id}/tracking", response_model=Tracking)
async def get_tracking(return_id: ReturnPathId, principal: MerchantKey, db: DbDep) -> Tracking:
    """Every carrier event received for the return, with the carrier's tracking details, oldest first."""
    await _owned(db, principal.merchant_id, return_id)
    rows = await db.run(queries.carrier_events, return_id)
    events = []
    for row in rows:
        result = (row.payload or {}).get("result") or {}
        events.append(
            TrackingEventOut(
                event_id=row.event_id, description=row.description, status=row.tracking_status,
                status_detail=result.get("status_detail"), received_at=row.received_at, signalled=row.signalled,
                tracking_details=[d for d in result.get("tracking_details") or [] if isinstance(d, dict)],
            )
        )
    return Tracking(return_id=return_id, events=events)


@router.post("/{return_id}/pickup", response_model=ReturnOut)
async def schedule_pickup(return_id: ReturnPathId, body: PickupWindowIn, principal: MerchantKey, db: DbDep, temporal: TemporalDep) -> ReturnOut:
    """Book a carrier pickup at the shopper's address (cheapest pickup rate), until the carrier has the parcel.
    If the carrier calls it off or misses it, the return says so and the shopper drops the parcel off instead."""
    row = await _owned(db, principal.merchant_id, return_id)
    client = await temporal.client()
    handle = client.get_workflow_handle_for(ReturnWorkflow.run, return_workflow_id(return_id))
    window = PickupWindow(**body.model_dump())
    view = await call(handle.execute_update(ReturnWorkflow.schedule_pickup, window, rpc_timeout=UPDATE_RPC_TIMEOUT), row.status)
    return ReturnOut.from_view(view)


@router.post("/{return_id}/pickup/cancel", response_model=ReturnOut)
async def cancel_pickup(return_id: ReturnPathId, principal: MerchantKey, db: DbDep, temporal: TemporalDep, body: CancelIn | None = None) -> ReturnOut:
    row = await _owned(db, principal.merchant_id, return_id)
    client = await temporal.client()
    handle = client.get_workflow_handle_for(ReturnWorkflow.run, return_workflow_id(return_id))
    req = CancelPickup(reason=(body or CancelIn()).reason)
    view = await call(handle.execute_update(ReturnWorkflow.cancel_pickup, req, rpc_timeout=UPDATE_RPC_TIMEOUT), row.status)
    return ReturnOut.from_view(view)


@router.post("/{return_id}/cancel", response_model=ReturnOut)
async def cancel_return(
    return_id: ReturnPathId, principal: MerchantKey, db: DbDep, temporal: TemporalDep, body: CancelIn | None = None
) -> ReturnOut:
    row = await _owned(db, principal.merchant_id, return_id)
    status = ReturnStatus(row.status)
    if not status.is_cancellable:
        raise ApiError(409, "wrong_state", f"the return is {status.value}; it can be cancelled only until the carrier scans it")
    client = await temporal.client()
    handle = client.get_workflow_handle_for(ReturnWorkflow.run, return_workflow_id(return_id))
    reason = (body or CancelIn()).reason
    view = await call(handle.execute_update(ReturnWorkflow.cancel, CancelRequest(reason=reason), rpc_timeout=UPDATE_RPC_TIMEOUT), status.value)
    return ReturnOut.from_view(view)
