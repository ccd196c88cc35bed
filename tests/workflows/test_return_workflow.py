"""The return workflow's paths, in the time-skipping environment with real activities."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import select
from temporalio.client import WorkflowUpdateFailedError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from db.session import session_scope
from db.tables import AttentionItem, MerchantEvent, ReturnRecord, StoreCreditEntry, TimelineRecord
from domain.returns import Grade, Resolution, ReturnReason
from domain.status import ReturnStatus
from workflows.messages import (
    CancelRequest,
    CarrierEvent,
    ErrorType,
    InspectedItem,
    Inspection,
    SubmitReturn,
    WarehouseReceipt,
)
from workflows.returns import ReturnWorkflow


def record_history(name: str, history) -> None:
    """With RETURNFLOW_RECORD_HISTORIES=1, keep this history for tests/replay (see tests/replay/record.py)."""
    if os.environ.get("RETURNFLOW_RECORD_HISTORIES") == "1":
        (Path(__file__).resolve().parents[1] / "replay" / "histories" / f"{name}.json").write_text(history.to_json())


async def closed(handle, lines: tuple[str, ...] = ("L1", "L2")):
    """Take a return waiting for its parcel to the end (dock scan, every line as new), so its history is whole."""
    await handle.signal(ReturnWorkflow.warehouse_receipt, receipt())
    await handle.execute_update(
        ReturnWorkflow.inspect, Inspection(items=[InspectedItem(line_id=l, grade=Grade.A) for l in lines])
    )
    return await handle.result()


def sandbox_shipments(h, return_id: str) -> list[dict]:
    r = httpx.get(f"{h.sandboxes['easypost']}/_sandbox/shipments", params={"reference": return_id})
    r.raise_for_status()
    return r.json()


def sandbox_refunds(h, return_id: str) -> list[dict]:
    r = httpx.get(
        f"{h.sandboxes['payments']}/_sandbox/refunds", params={"metadata_key": "return_id", "metadata_value": return_id}
    )
    r.raise_for_status()
    return r.json()


def scan(event_id: str, status: str) -> CarrierEvent:
    return CarrierEvent(event_id=event_id, tracking_status=status, occurred_at=datetime.now(UTC))


def receipt(n: int = 1) -> WarehouseReceipt:
    return WarehouseReceipt(receipt_id=f"rcpt-{n}", warehouse_id="wh_demo_nl", received_at=datetime.now(UTC))


def db_row(h, return_id: str) -> ReturnRecord:
    with session_scope(h.engine) as s:
        return s.get(ReturnRecord, return_id)


def timeline(h, return_id: str) -> list[TimelineRecord]:
    with session_scope(h.engine) as s:
        return list(
            s.exec(select(TimelineRecord).where(TimelineRecord.return_id == return_id).order_by(TimelineRecord.seq))
        )


async def submitted(h, inp):
    handle = await h.start(inp)
    view = await handle.execute_update(ReturnWorkflow.submit, SubmitReturn(request_fingerprint=inp.request_fingerprint))
    return handle, view


async def test_happy_path_refunds_once_and_projects_every_step(harness):
    h = harness
    inp = h.new_return(reason=ReturnReason.TOO_SMALL)
    handle, view = await submitted(h, inp)
    assert view.status == ReturnStatus.LABEL_CREATED
    assert view.label is not None and view.label.tracking_code

    await handle.signal(ReturnWorkflow.carrier_event, scan("evt_1", "in_transit"))
    await handle.signal(ReturnWorkflow.carrier_event, scan("evt_1", "in_transit"))  # duplicate delivery
    await handle.signal(ReturnWorkflow.carrier_event, scan("evt_2", "delivered"))
    await handle.signal(ReturnWorkflow.warehouse_receipt, receipt())
    result = await handle.execute_update(
        ReturnWorkflow.inspect,
        Inspection(items=[InspectedItem(line_id="L1", grade=Grade.A), InspectedItem(line_id="L2", grade=Grade.C)]),
    )
    # L1: 2 x 25.00 at grade A (100%); L2: 89.99 at grade C for a size reason (50%, rounded down).
    assert result.refund.amount == 5000 + 4499
    assert {o.line_id: o.disposition.value for o in result.items} == {"L1": "restock", "L2": "recycle"}

    final = await handle.result()
    assert final.status == ReturnStatus.COMPLETED
    assert final.refund.method == Resolution.REFUND and final.refund.amount.amount == 9499

    assert len([s for s in sandbox_shipments(h, inp.return_id) if s.get("postage_label")]) == 1
    refunds = sandbox_refunds(h, inp.return_id)
    assert [r["amount"] for r in refunds] == [9499]

    row = db_row(h, inp.return_id)
    assert row.status == "completed" and row.refund["reference"] == refunds[0]["id"]
    statuses = [e.status for e in timeline(h, inp.return_id)]
    for expected in (
        "requested",
        "label_created",
        "in_transit",
        "delivered",
        "received",
        "inspected",
        "settling",
        "completed",
    ):
        assert expected in statuses
    assert sum(1 for e in timeline(h, inp.return_id) if "evt_1" in e.cause) == 1  # duplicate dropped

    # The merchant hears through the outbox (no endpoint configured here: no event is kept, and the return
    # starts no delivery workflow: tests/workflows/test_announcements.py).
    with session_scope(h.engine) as s:
        assert s.exec(select(MerchantEvent).where(MerchantEvent.return_id == inp.return_id)).all() == []

    # The history replays deterministically with the current code.
    history = await handle.fetch_history()
    await Replayer(workflows=[ReturnWorkflow], data_converter=pydantic_data_converter).replay_workflow(history)
    record_history("happy_path", history)


async def test_cancel_before_scan_voids_label(harness):
    h = harness
    inp = h.new_return()
    handle, _ = await submitted(h, inp)
    view = await handle.execute_update(ReturnWorkflow.cancel, CancelRequest(reason="shopper changed plans"))
    assert view.status == ReturnStatus.CANCELLED
    assert (await handle.result()).status == ReturnStatus.CANCELLED
    [shipment] = sandbox_shipments(h, inp.return_id)
    assert shipment["refund_status"] in ("submitted", "refunded")
    assert sandbox_refunds(h, inp.return_id) == []
    assert any("voided" in e.cause for e in timeline(h, inp.return_id))
    record_history("cancelled", await handle.fetch_history())


async def test_cancel_after_first_scan_is_refused(harness):
    h = harness
    inp = h.new_return()
    handle, _ = await submitted(h, inp)
    await handle.signal(ReturnWorkflow.carrier_event, scan("evt_x", "in_transit"))
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await handle.execute_update(ReturnWorkflow.cancel, CancelRequest())
    assert err.value.cause.type == ErrorType.WRONG_STATE
    [shipment] = sandbox_shipments(h, inp.return_id)
    assert shipment["refund_status"] is None


async def test_unscanned_label_expires_after_30_days_and_is_voided(harness):
    h = harness
    inp = h.new_return()
    handle, _ = await submitted(h, inp)
    await h.env.sleep(timedelta(days=29))
    assert (await handle.query(ReturnWorkflow.view)).status == ReturnStatus.LABEL_CREATED
    await h.env.sleep(timedelta(days=2))
    final = await handle.result()
    assert final.status == ReturnStatus.EXPIRED
    [shipment] = sandbox_shipments(h, inp.return_id)
    assert shipment["refund_status"] in ("submitted", "refunded")
    assert db_row(h, inp.return_id).status == "expired"
    record_history("expired", await handle.fetch_history())


async def test_outside_the_window_is_rejected_without_a_label(harness):
    h = harness
    inp = h.new_return(requested_at=datetime.now(UTC) + timedelta(days=60))
    handle, view = await submitted(h, inp)
    assert view.status == ReturnStatus.REJECTED
    assert "return window" in view.decision_reasons[0]
    assert (await handle.result()).status == ReturnStatus.REJECTED
    assert sandbox_shipments(h, inp.return_id) == []
    assert db_row(h, inp.return_id).status == "rejected"


async def test_inspection_validator_refuses_wrong_state_and_unknown_lines(harness):
    h = harness
    inp = h.new_return()
    handle, _ = await submitted(h, inp)
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await handle.execute_update(
            ReturnWorkflow.inspect, Inspection(items=[InspectedItem(line_id="L1", grade=Grade.A)])
        )
    assert err.value.cause.type == ErrorType.WRONG_STATE
    await handle.signal(ReturnWorkflow.warehouse_receipt, receipt())
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await handle.execute_update(
            ReturnWorkflow.inspect, Inspection(items=[InspectedItem(line_id="nope", grade=Grade.A)])
        )
    assert err.value.cause.type == ErrorType.UNKNOWN_LINE
    partial = await handle.execute_update(
        ReturnWorkflow.inspect, Inspection(items=[InspectedItem(line_id="L1", grade=Grade.B)])
    )
    assert partial.status == ReturnStatus.RECEIVED  # L2 still to inspect
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await handle.execute_update(
            ReturnWorkflow.inspect, Inspection(items=[InspectedItem(line_id="L1", grade=Grade.A)])
        )
    assert err.value.cause.type == ErrorType.ALREADY_INSPECTED


async def test_store_credit_resolution_writes_one_ledger_entry(harness):
    h = harness
    inp = h.new_return(resolution=Resolution.STORE_CREDIT, reason=ReturnReason.DEFECTIVE)
    handle, _ = await submitted(h, inp)
    await handle.signal(ReturnWorkflow.warehouse_receipt, receipt())
    await handle.execute_update(
        ReturnWorkflow.inspect,
        Inspection(items=[InspectedItem(line_id="L1", grade=Grade.D), InspectedItem(line_id="L2", grade=Grade.D)]),
    )
    final = await handle.result()
    # Defective: the shopper is not to blame, full value even at grade D.
    assert final.refund.method == Resolution.STORE_CREDIT and final.refund.amount.amount == 5000 + 8999
    with session_scope(h.engine) as s:
        entries = list(s.exec(select(StoreCreditEntry).where(StoreCreditEntry.return_id == inp.return_id)))
    assert [(e.amount, e.kind) for e in entries] == [(13999, "issue")]
    assert sandbox_refunds(h, inp.return_id) == []


async def test_refund_refused_by_the_bank_falls_back_to_store_credit(harness):
    """The card's bank refuses the refund (it fails after pending: expired card), so no money left: credit instead."""
    h = harness
    inp = h.new_return(payment_method="pm_card_refundFail")
    handle, _ = await submitted(h, inp)
    final = await closed(handle)
    assert final.status == ReturnStatus.COMPLETED
    assert final.refund.method == Resolution.STORE_CREDIT and final.refund.amount.amount == 13999
    assert [r["status"] for r in sandbox_refunds(h, inp.return_id)] == ["failed"]
    assert any("refund failed" in e.cause for e in timeline(h, inp.return_id))


async def test_a_disputed_payment_is_held_for_ops_not_paid_again_as_store_credit(harness):
    """A chargeback already gives the shopper their money back: no refund, no credit in its place; ops decide."""
    h = harness
    inp = h.new_return(payment_method="pm_card_createDispute")
    handle, _ = await submitted(h, inp)
    final = await closed(handle)
    assert final.status == ReturnStatus.COMPLETED
    assert final.refund.status == "held_for_ops" and final.refund.amount.amount == 13999
    assert sandbox_refunds(h, inp.return_id) == []
    with session_scope(h.engine) as s:
        assert s.exec(select(StoreCreditEntry).where(StoreCreditEntry.return_id == inp.return_id)).all() == []
        [flag] = s.exec(
            select(AttentionItem).where(AttentionItem.return_id == inp.return_id, AttentionItem.kind == "payout_held")
        ).all()
    assert "disputed" in flag.reason
    assert not any("store credit" in e.cause for e in timeline(h, inp.return_id))


async def test_submit_with_another_fingerprint_is_refused(harness):
    h = harness
    inp = h.new_return()
    handle, _ = await submitted(h, inp)
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await handle.execute_update(ReturnWorkflow.submit, SubmitReturn(request_fingerprint="something-else"))
    assert err.value.cause.type == ErrorType.IDEMPOTENCY_CONFLICT
