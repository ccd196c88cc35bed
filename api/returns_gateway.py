"""The API's one way to Temporal: it starts, signals, updates and queries the workflows behind returns,
and turns Temporal's errors into HTTP ones here, once, so that routers never see a Temporal type."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import timedelta
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import (
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.deps import Temporal
from api.errors import ApiError
from workflows import search_attributes as sa
from workflows.ids import (
    TASK_QUEUE,
    request_update_id,
    return_workflow_id,
    store_receipt_update_id,
    submit_update_id,
    transfer_workflow_id,
)
from workflows.messages import (
    CancelPickup,
    CancelRequest,
    CarrierEvent,
    ErrorType,
    FacilityReceipt,
    Inspection,
    InspectionResult,
    PickupWindow,
    ReturnInput,
    ReturnView,
    ReviewDecision,
    StoreReceipt,
    SubmitReturn,
    WarehouseReceipt,
    WorkOrderDone,
)
from workflows.returns import ReturnWorkflow
from workflows.transfer_workflow import TransferWorkflow

T = TypeVar("T")

# How long an update waits for a worker before the API answers 503.
UPDATE_RPC_TIMEOUT = timedelta(seconds=25)

_STATUS_BY_ERROR = {
    ErrorType.IDEMPOTENCY_CONFLICT: (409, "idempotency_conflict"),
    ErrorType.WRONG_STATE: (409, "wrong_state"),
    ErrorType.ALREADY_INSPECTED: (409, "already_inspected"),
    ErrorType.UNKNOWN_LINE: (422, "unknown_line"),
    ErrorType.INVALID_INSPECTION: (422, "invalid_inspection"),
    ErrorType.INVALID_PICKUP: (422, "invalid_pickup"),
    ErrorType.PICKUP_REFUSED: (422, "pickup_refused"),
    ErrorType.TOO_MANY_PICKUPS: (409, "too_many_pickups"),
}


async def _within(update: Awaitable[T], within: timedelta) -> T:
    """The SDK's rpc_timeout bounds each call only, and it asks again for as long as no worker has accepted the
    update (a request would hang for as long as every worker is down): past `within`, the SDK's own timeout."""
    try:
        async with asyncio.timeout(within.total_seconds() + 1):
            return await update
    except TimeoutError as err:
        raise WorkflowUpdateRPCTimeoutOrCancelledError() from err


class SubmitRefused(Exception):
    """The return's workflow id is taken by another request (a reused Idempotency-Key), or the
    workflow refused the submit: the caller decides between replaying the first answer and a 409."""


async def _update(
    update: Awaitable[T],
    closed_status: str | None = None,
    timeout_is_error: bool = True,
    within: timedelta = UPDATE_RPC_TIMEOUT,
) -> T:
    """Await a workflow update; a refusal by its validator becomes the matching 4xx.

    Updates need a worker: when none answers within `within` the caller gets a 503 to retry (or, with
    `timeout_is_error=False`, the timeout to handle itself).
    """
    try:
        return await _within(update, within)
    except WorkflowUpdateRPCTimeoutOrCancelledError as err:
        if not timeout_is_error:
            raise
        raise ApiError(503, "workers_unavailable", "no worker answered in time; retry") from err
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        if isinstance(cause, ApplicationError) and cause.type in _STATUS_BY_ERROR:
            status, code = _STATUS_BY_ERROR[cause.type]
            extra = {"return_status": closed_status} if code == "wrong_state" and closed_status else {}
            raise ApiError(status, code, cause.message, **extra) from err
        # Anything else the workflow refused with: say what, never a 500.
        message = getattr(cause, "message", None) or str(cause or err)
        raise ApiError(409, "update_failed", f"the return did not take the request: {message}"[:500]) from err
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            # The workflow has closed: nothing about this return can change any more.
            raise ApiError(
                409,
                "wrong_state",
                f"the return is {closed_status or 'closed'}; it can no longer change",
                return_status=closed_status or "closed",
            ) from err
        if err.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
            raise ApiError(503, "temporal_unavailable", "the workflow service is unreachable; retry later") from err
        raise


async def _signal(send: Awaitable[None], doing: str) -> bool:
    """Deliver a signal: True; False when its workflow has closed; a 503 "could not <doing>" otherwise."""
    try:
        await send
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return False
        raise ApiError(503, "temporal_unavailable", f"could not {doing}; retry") from err
    return True


class ReturnsGateway:
    """One per request; the Temporal connection behind it is the app's (made on first use)."""

    def __init__(self, temporal: Temporal) -> None:
        self._temporal = temporal

    async def _client(self) -> Client:
        return await self._temporal.client()  # ApiError 503 temporal_unavailable when it cannot connect

    async def _return(self, return_id: str):
        return (await self._client()).get_workflow_handle_for(ReturnWorkflow.run, return_workflow_id(return_id))

    # ---- starting a return ----

    async def submit_return(self, inp: ReturnInput, order_id: str, submit_timeout: timedelta) -> ReturnView | None:
        """Start the return's workflow and submit it in one call: the workflow's view once its label is
        bought; None when no worker answered in time but the workflow exists (it goes on: a 202).
        SubmitRefused when the id belongs to another request; 503 when nothing was started."""
        client = await self._client()
        fingerprint = inp.request_fingerprint
        start = WithStartWorkflowOperation(
            ReturnWorkflow.run,
            inp,
            id=return_workflow_id(inp.return_id),
            task_queue=TASK_QUEUE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            # A finished return keeps its id forever: a late retry must not start it again.
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=sa.at_start(inp.merchant_id, inp.context.order.order_id),
            # What the Temporal UI lists the workflow as: ids and the resolution, no customer data.
            static_summary=f"return {inp.return_id} for order {order_id} ({inp.resolution})",
        )
        update = client.execute_update_with_start_workflow(
            ReturnWorkflow.submit,
            SubmitReturn(request_fingerprint=fingerprint),
            start_workflow_operation=start,
            id=submit_update_id(fingerprint),
            rpc_timeout=submit_timeout,
        )
        try:
            return await _update(update, timeout_is_error=False, within=submit_timeout)
        except (WorkflowAlreadyStartedError, WorkflowUpdateFailedError) as err:
            raise SubmitRefused() from err
        except WorkflowUpdateRPCTimeoutOrCancelledError as err:
            # No worker answered in time. If the workflow exists the return is safe and will
            # proceed when a worker is back. Otherwise nothing happened: 503.
            try:
                await client.get_workflow_handle(return_workflow_id(inp.return_id)).describe()
            except RPCError:
                raise ApiError(503, "workers_unavailable", "the return could not be started; retry") from err
            return None

    async def surely_not_started(self, return_id: str) -> bool:
        """True only when the return's workflow certainly does not exist (Temporal never reached, or it
        says so); False when it exists or Temporal cannot tell."""
        try:
            await (await self._client()).get_workflow_handle(return_workflow_id(return_id)).describe()
            return False
        except ApiError:
            return True  # never connected, so nothing was started
        except RPCError as err:
            return err.status == RPCStatusCode.NOT_FOUND

    # ---- updates: the return answers with its new state, or a 4xx saying why not ----

    async def schedule_pickup(self, return_id: str, window: PickupWindow, status: str) -> ReturnView:
        handle = await self._return(return_id)
        return await _update(
            handle.execute_update(ReturnWorkflow.schedule_pickup, window, rpc_timeout=UPDATE_RPC_TIMEOUT), status
        )

    async def cancel_pickup(self, return_id: str, req: CancelPickup, status: str) -> ReturnView:
        handle = await self._return(return_id)
        return await _update(
            handle.execute_update(ReturnWorkflow.cancel_pickup, req, rpc_timeout=UPDATE_RPC_TIMEOUT), status
        )

    async def _once(self, return_id: str, update, request: BaseModel, status: str):
        """An update that can succeed once per return (inspect, review, cancel), under an id made from the request:
        the same request again (after a 503, a lost answer) gets the first answer; another is judged on its own."""
        handle = await self._return(return_id)
        once = request_update_id(update.__name__, return_id, request.model_dump_json())
        return await _update(handle.execute_update(update, request, id=once, rpc_timeout=UPDATE_RPC_TIMEOUT), status)

    async def cancel(self, return_id: str, req: CancelRequest, status: str) -> ReturnView:
        return await self._once(return_id, ReturnWorkflow.cancel, req, status)

    async def review(self, return_id: str, decision: ReviewDecision, status: str) -> ReturnView:
        return await self._once(return_id, ReturnWorkflow.review, decision, status)

    async def inspect(self, return_id: str, inspection: Inspection, status: str) -> InspectionResult:
        return await self._once(return_id, ReturnWorkflow.inspect, inspection, status)

    async def receive_at_store(self, return_id: str, receipt: StoreReceipt, status: str) -> ReturnView:
        """A store's scan: every scan of a return goes under one update id, so a second gets the first's answer."""
        handle = await self._return(return_id)
        update = handle.execute_update(
            ReturnWorkflow.receive_at_store,
            receipt,
            id=store_receipt_update_id(return_id),
            rpc_timeout=UPDATE_RPC_TIMEOUT,
        )
        return await _update(update, status)

    # ---- signals: fire and forget, a 503 when Temporal does not take them ----

    async def receive_at_warehouse(self, return_id: str, receipt: WarehouseReceipt) -> None:
        handle = await self._return(return_id)
        if not await _signal(handle.signal(ReturnWorkflow.warehouse_receipt, receipt), "record the receipt"):
            raise ApiError(503, "temporal_unavailable", "could not record the receipt; retry")

    async def complete_work_order(self, return_id: str, done: WorkOrderDone) -> None:
        handle = await self._return(return_id)
        if not await _signal(handle.signal(ReturnWorkflow.work_order_done, done), "record the completion"):
            raise ApiError(503, "temporal_unavailable", "could not record the completion; retry")

    async def deliver_carrier_event(self, return_id: str, event: CarrierEvent) -> bool:
        """False when the return has closed (the event is only recorded)."""
        handle = await self._return(return_id)
        return await _signal(handle.signal(ReturnWorkflow.carrier_event, event), "deliver the event")

    async def confirm_facility_receipt(self, return_id: str, line_id: str, receipt: FacilityReceipt) -> bool:
        """False when the item's transfer has already finished (it was received before)."""
        client = await self._client()
        handle = client.get_workflow_handle_for(TransferWorkflow.run, transfer_workflow_id(return_id, line_id))
        return await _signal(handle.signal(TransferWorkflow.facility_receipt, receipt), "record the receipt")

    # ---- health ----

    async def check_health(self, timeout_seconds: float) -> None:
        """Raises (ApiError when it cannot connect) unless Temporal's frontend answers in time."""
        client = await self._client()
        await asyncio.wait_for(client.service_client.check_health(), timeout=timeout_seconds)


def get_returns_gateway(request: Request) -> ReturnsGateway:
    return ReturnsGateway(request.app.state.temporal)


ReturnsGatewayDep = Annotated[ReturnsGateway, Depends(get_returns_gateway)]
