"""A return too heavy for one parcel: a label per parcel, received when every parcel is.
Time-skipping environment with the real EasyPost sandbox."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.returns import Grade
from domain.status import ReturnStatus
from tests.workflows.test_return_workflow import (
    record_history,
    sandbox_shipments,
    scan,
    submitted,
    timeline,
)
from workflows.messages import (
    CancelRequest,
    InspectedItem,
    Inspection,
    WarehouseReceipt,
)
from workflows.returns import ReturnWorkflow

BULK = [{"id": "L1", "sku": "SHOE-42", "title": "Runner 42", "quantity": 25, "unit_price": 8999, "category": "shoes"}]


def bought(h, reference: str) -> list[dict]:
    return [s for s in sandbox_shipments(h, reference) if s.get("postage_label")]


def dock(n: int, tracking_code: str | None) -> WarehouseReceipt:
    return WarehouseReceipt(
        receipt_id=f"r{n}", warehouse_id="wh_demo_nl", received_at=datetime.now(UTC), tracking_code=tracking_code
    )


async def test_a_bulk_return_gets_a_label_per_parcel_and_is_received_when_all_are(harness):
    h = harness
    inp = h.new_return(lines=BULK)
    handle, view = await submitted(h, inp)
    assert len(view.parcels) == 2 and view.parcels[0] == view.label
    first, second = bought(h, inp.return_id), bought(h, f"{inp.return_id}-parcel-2")
    assert len(first) == len(second) == 1
    assert (first[0]["parcel"]["weight"], second[0]["parcel"]["weight"]) == (800, 200)  # 25 x 40 oz, 50 lb a parcel
    assert any("2 parcels" in e.cause for e in timeline(h, inp.return_id))

    await handle.signal(ReturnWorkflow.carrier_event, scan("evt_1", "in_transit"))
    await handle.signal(ReturnWorkflow.warehouse_receipt, dock(1, view.parcels[1].tracking_code))
    await handle.signal(
        ReturnWorkflow.warehouse_receipt, dock(2, view.parcels[1].tracking_code)
    )  # the same parcel again
    assert (await handle.query(ReturnWorkflow.view)).status == ReturnStatus.IN_TRANSIT
    await handle.signal(ReturnWorkflow.warehouse_receipt, dock(3, view.parcels[0].tracking_code))
    await handle.execute_update(ReturnWorkflow.inspect, Inspection(items=[InspectedItem(line_id="L1", grade=Grade.A)]))
    final = await handle.result()
    assert final.status == ReturnStatus.COMPLETED
    causes = [e.cause for e in timeline(h, inp.return_id) if e.event == "warehouse_receipt"]
    assert causes[0].startswith("parcel 2 of 2") and len(causes) == 2
    record_history("multi_parcel", await handle.fetch_history())


async def test_cancelling_a_bulk_return_voids_every_parcel(harness):
    h = harness
    inp = h.new_return(lines=BULK)
    handle, _ = await submitted(h, inp)
    await handle.execute_update(ReturnWorkflow.cancel, CancelRequest(reason="sold them locally"))
    await handle.result()
    for reference in (inp.return_id, f"{inp.return_id}-parcel-2"):
        assert bought(h, reference)[0]["refund_status"] in ("submitted", "refunded")
