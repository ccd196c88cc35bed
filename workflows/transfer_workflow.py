"""TransferWorkflow: one item moved from the warehouse that received it to its facility.

A child of the item's ReturnWorkflow (id `transfer-<return>-<line>`, which is also
the EasyPost shipment's reference, so a retried purchase never buys twice). It
ends when the facility confirms receipt (`POST /v1/facilities/{id}/receipts`). If
that takes longer than the return's transfer timeout it tells the return (which
escalates: NeedsAttention, a timeline entry, GET /v1/attention) and keeps waiting:
a late parcel is still received, never lost.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.carrier import CarrierActivities, TransferLabelRequest
    from activities.inventory import InventoryActivities, ItemStep
    from workflows.activity_options import CARRIER, ITEMS
    from workflows.ids import TRANSFER_OVERDUE_SIGNAL, return_workflow_id
    from workflows.messages import (
        FacilityReceipt,
        TransferInput,
        TransferOverdue,
        TransferResult,
    )


@workflow.defn
class TransferWorkflow:
    def __init__(self) -> None:
        self._receipt: FacilityReceipt | None = None
        self._tracking_code: str | None = None

    @workflow.signal
    def facility_receipt(self, receipt: FacilityReceipt) -> None:
        if self._receipt is None:  # the first confirmation counts; repeats change nothing
            self._receipt = receipt

    @workflow.query
    def tracking_code(self) -> str | None:
        return self._tracking_code

    @workflow.run
    async def run(self, inp: TransferInput) -> TransferResult:
        label = await workflow.execute_activity_method(
            CarrierActivities.buy_transfer_label,
            TransferLabelRequest(
                reference=workflow.info().workflow_id,
                merchant_id=inp.merchant_id,
                from_facility_id=inp.from_facility_id,
                to_facility_id=inp.to_facility_id,
                units=inp.quantity,
            ),
            **CARRIER,
        )
        self._tracking_code = label.tracking_code
        step = ItemStep(
            return_id=inp.return_id,
            merchant_id=inp.merchant_id,
            line_id=inp.line_id,
            step="sent",
            tracking_code=label.tracking_code,
        )
        await workflow.execute_activity_method(InventoryActivities.record_item_step, step, **ITEMS)
        overdue = False
        try:
            await workflow.wait_condition(
                lambda: self._receipt is not None, timeout=timedelta(days=inp.arrival_timeout_days)
            )
        except asyncio.TimeoutError:
            overdue = True
            await workflow.get_external_workflow_handle(return_workflow_id(inp.return_id)).signal(
                TRANSFER_OVERDUE_SIGNAL,
                TransferOverdue(
                    line_id=inp.line_id,
                    facility_id=inp.to_facility_id,
                    tracking_code=label.tracking_code,
                    days=inp.arrival_timeout_days,
                ),
            )
            await workflow.wait_condition(lambda: self._receipt is not None)
        await workflow.execute_activity_method(
            InventoryActivities.record_item_step, step.model_copy(update={"step": "arrived"}), **ITEMS
        )
        return TransferResult(tracking_code=label.tracking_code, received_at=self._receipt.received_at, overdue=overdue)
