"""After the dock: inspection SLA, routing to facilities, transfers, refurbishment, held items.

Time-skipping environment, real activities (SQLite, the EasyPost sandbox for transfer
shipments); the demo facility registry (NL, DE, BE, US) is the merchant's.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from db.session import session_scope
from db.tables import (
    AttentionItem,
    Certificate,
    FacilityBooking,
    InventoryMovement,
    ItemRouteRow,
    ReturnRecord,
    WorkOrder,
)
from domain import inventory
from domain.facilities_example import example_facilities
from domain.returns import Grade, ReturnReason
from domain.status import ReturnStatus
from tests.factories import THREE_LINES
from tests.polling import poll_async, poll_awaitable
from tests.workflows.test_carrier_paths import needs_attention
from tests.workflows.test_return_workflow import record_history, scan, submitted
from workflows import search_attributes as sa
from workflows.ids import transfer_workflow_id
from workflows.messages import (
    FacilityReceipt,
    InspectedItem,
    Inspection,
    ItemStage,
    WarehouseReceipt,
    WorkOrderDone,
)
from workflows.returns import ReturnWorkflow
from workflows.transfer_workflow import TransferWorkflow


def rows(h, model, **where):
    with session_scope(h.engine) as s:
        q = select(model)
        for k, v in where.items():
            q = q.where(getattr(model, k) == v)
        return list(s.exec(q).all())


def movements(h, return_id: str, line_id: str) -> list[str]:
    with session_scope(h.engine) as s:
        q = select(InventoryMovement).where(
            InventoryMovement.return_id == return_id, InventoryMovement.line_id == line_id
        )
        return [m.movement for m in s.exec(q.order_by(InventoryMovement.id))]


def levels(h, merchant_id: str) -> dict[tuple[str, str, str], int]:
    found = rows(h, InventoryMovement, merchant_id=merchant_id)
    return inventory.levels(
        inventory.Movement(
            kind=m.movement,
            sku=m.sku,
            quantity=m.quantity,
            from_location=m.from_location,
            from_condition=m.from_condition,
            to_location=m.to_location,
            to_condition=m.to_condition,
        )
        for m in found
    )


async def received_at(h, inp, facility_id: str = "wh_demo_us"):
    handle, view = await submitted(h, inp)
    await handle.signal(ReturnWorkflow.carrier_event, scan("evt_1", "in_transit"))
    await handle.signal(
        ReturnWorkflow.warehouse_receipt,
        WarehouseReceipt(receipt_id="rcpt-1", warehouse_id=facility_id, received_at=datetime.now(UTC)),
    )
    return handle, view


def facility_receipt(facility_id: str) -> FacilityReceipt:
    return FacilityReceipt(receipt_id=f"fr-{facility_id}", facility_id=facility_id, received_at=datetime.now(UTC))


async def shipped(h, return_id: str, line_id: str) -> ItemRouteRow:
    def route():
        found = rows(h, ItemRouteRow, return_id=return_id, line_id=line_id)
        return found[0] if found else None

    return await poll_async(route, lambda r: r is not None and r.transfer_tracking_code, what=f"{line_id} shipped")


async def test_three_items_three_grades_go_to_three_facilities_and_the_ledger_shows_each_path(harness):
    h = harness
    inp = h.new_return(facilities=example_facilities(), lines=THREE_LINES, reason=ReturnReason.DEFECTIVE)
    handle, view = await received_at(h, inp)
    # The shopper is in the US: the label goes to the US warehouse, not the merchant's default address.
    assert view.label.receiving_facility_id == "wh_demo_us"

    await handle.execute_update(
        ReturnWorkflow.inspect,
        Inspection(
            items=[
                InspectedItem(line_id="L1", grade=Grade.A),  # apparel A -> restock, here
                InspectedItem(line_id="L2", grade=Grade.D),  # shoes D -> recycle at the recycler
                InspectedItem(line_id="L3", grade=Grade.B),  # electronics B -> refurbish at the refurbishment centre
            ]
        ),
    )
    l2, l3 = await shipped(h, inp.return_id, "L2"), await shipped(h, inp.return_id, "L3")
    assert (l2.facility_id, l3.facility_id) == ("rc_demo_rotterdam", "rf_demo_eindhoven")
    routes = {r.line_id: r for r in rows(h, ItemRouteRow, return_id=inp.return_id)}
    assert routes["L1"].facility_id == "wh_demo_us" and routes["L1"].transfer_tracking_code is None

    # The shopper is paid (the return completed) while two items are still on their way.
    await poll_async(lambda: rows(h, ReturnRecord, id=inp.return_id)[0].status, lambda s: s == "completed", what="paid")

    async def stages():
        return {i.line_id: i.stage for i in (await handle.query(ReturnWorkflow.view)).items}

    # L1 is restocked beside the payment (either may finish first); L2 and L3 stay in transfer until their facilities
    # confirm, which happens only below.
    placed = {"L1": ItemStage.DONE, "L2": ItemStage.IN_TRANSFER, "L3": ItemStage.IN_TRANSFER}
    assert (
        await poll_awaitable(stages, lambda found: found == placed, what="L1 placed, L2 and L3 in transfer") == placed
    )

    for line_id, facility_id in (("L2", "rc_demo_rotterdam"), ("L3", "rf_demo_eindhoven")):
        await h.client.get_workflow_handle(transfer_workflow_id(inp.return_id, line_id)).signal(
            TransferWorkflow.facility_receipt, facility_receipt(facility_id)
        )
    order = (await poll_async(lambda: rows(h, WorkOrder, return_id=inp.return_id), what="work order"))[0]
    assert (order.line_id, order.facility_id, order.grade_in, order.status) == ("L3", "rf_demo_eindhoven", "B", "open")
    await handle.signal(
        ReturnWorkflow.work_order_done, WorkOrderDone(work_order_id=order.id, line_id="L3", grade=Grade.A)
    )

    final = await handle.result()
    assert final.status == ReturnStatus.COMPLETED
    assert {i.line_id: i.stage for i in final.items} == {
        "L1": ItemStage.DONE,
        "L2": ItemStage.DONE,
        "L3": ItemStage.DONE,
    }
    record_history("routed_items", await handle.fetch_history())
    assert movements(h, inp.return_id, "L1") == ["received", "restocked"]
    assert movements(h, inp.return_id, "L2") == ["received", "sent_to_facility", "received_at_facility", "recycled"]
    assert movements(h, inp.return_id, "L3") == ["received", "sent_to_facility", "received_at_facility", "refurbished"]
    assert levels(h, inp.merchant_id) == {
        ("TEE-BLK-M", "wh_demo_us", "sellable"): 2,
        ("EARBUDS-1", "rf_demo_eindhoven", "refurbished"): 1,
    }
    [cert] = rows(h, Certificate, return_id=inp.return_id)
    assert (cert.kind, cert.facility_id, cert.line_id, cert.count) == ("recycling", "rc_demo_rotterdam", "L2", 1)
    booked = {b.facility_id: b.units for b in rows(h, FacilityBooking, merchant_id=inp.merchant_id)}
    assert booked == {"wh_demo_us": 2, "rc_demo_rotterdam": 1, "rf_demo_eindhoven": 1}


async def test_an_uninspected_return_escalates_after_the_sla_and_keeps_waiting(harness):
    h = harness
    inp = h.new_return(reason=ReturnReason.DEFECTIVE)
    handle, _ = await received_at(h, inp, facility_id="wh_demo_nl")
    await h.env.sleep(timedelta(hours=inp.inspection_sla_hours + 1))
    [flag] = await poll_async(lambda: rows(h, AttentionItem, return_id=inp.return_id), what="SLA escalation")
    assert flag.kind == "inspection_overdue" and "48 h" in flag.reason
    described = await needs_attention(handle)
    assert described.typed_search_attributes.get(sa.NEEDS_ATTENTION) is True
    assert (await handle.query(ReturnWorkflow.view)).status == ReturnStatus.RECEIVED  # still waiting, not failed

    await handle.execute_update(
        ReturnWorkflow.inspect,
        Inspection(items=[InspectedItem(line_id="L1", grade=Grade.A), InspectedItem(line_id="L2", grade=Grade.A)]),
    )
    assert (await handle.result()).status == ReturnStatus.COMPLETED


async def test_a_transfer_not_confirmed_in_time_escalates_and_a_late_receipt_still_completes_it(harness):
    h = harness
    inp = h.new_return(facilities=example_facilities(), reason=ReturnReason.DEFECTIVE)
    handle, _ = await received_at(h, inp)
    await handle.execute_update(
        ReturnWorkflow.inspect,
        Inspection(items=[InspectedItem(line_id="L1", grade=Grade.A), InspectedItem(line_id="L2", grade=Grade.D)]),
    )
    await shipped(h, inp.return_id, "L2")
    await h.env.sleep(timedelta(days=inp.transfer_timeout_days, hours=1))
    flags = await poll_async(
        lambda: rows(h, AttentionItem, return_id=inp.return_id, kind="transfer_overdue"), what="overdue"
    )
    assert flags[0].line_id == "L2" and "rc_demo_rotterdam" in flags[0].reason
    assert (await needs_attention(handle)).typed_search_attributes.get(sa.NEEDS_ATTENTION) is True
    assert movements(h, inp.return_id, "L2") == ["received", "sent_to_facility"]

    transfer = h.client.get_workflow_handle_for(TransferWorkflow.run, transfer_workflow_id(inp.return_id, "L2"))
    await transfer.signal(TransferWorkflow.facility_receipt, facility_receipt("rc_demo_rotterdam"))
    assert (await transfer.result()).overdue is True
    final = await handle.result()
    assert [i.stage for i in final.items] == [ItemStage.DONE, ItemStage.DONE]
    assert movements(h, inp.return_id, "L2")[-2:] == ["received_at_facility", "recycled"]


async def test_the_inspectors_notes_and_photos_and_a_transfers_code_are_on_the_returns_items(harness):
    """What the warehouse sent stays on the return (workflow view and projection); the transfer's tracking code is
    on the projected item from the moment its label is bought, while the workflow still has it in transfer."""
    h = harness
    inp = h.new_return(facilities=example_facilities(), reason=ReturnReason.DEFECTIVE)
    handle, _ = await received_at(h, inp)
    photos = ["https://photos.example/l2-sole.jpg", "https://photos.example/l2-box.jpg"]
    await handle.execute_update(
        ReturnWorkflow.inspect,
        Inspection(
            items=[
                InspectedItem(line_id="L1", grade=Grade.A),
                InspectedItem(line_id="L2", grade=Grade.D, notes="sole split at the heel", photo_urls=photos),
            ]
        ),
    )
    view = {i.line_id: i for i in (await handle.query(ReturnWorkflow.view)).items}
    assert (view["L2"].notes, view["L2"].photo_urls) == ("sole split at the heel", photos)
    assert (view["L1"].notes, view["L1"].photo_urls) == ("", [])

    route = await shipped(h, inp.return_id, "L2")

    def projected() -> dict[str, dict]:
        return {i["line_id"]: i for i in rows(h, ReturnRecord, id=inp.return_id)[0].items}

    await poll_async(projected, lambda items: items["L2"]["transfer_tracking_code"], what="L2's code projected")
    # The return is paid while L2 travels: that later projection keeps the code the workflow does not know yet.
    await poll_async(lambda: rows(h, ReturnRecord, id=inp.return_id)[0].status, lambda s: s == "completed", what="paid")
    items = projected()
    assert items["L2"]["transfer_tracking_code"] == route.transfer_tracking_code
    assert (await handle.query(ReturnWorkflow.view)).items[1].transfer_tracking_code is None  # in transfer
    assert items["L1"]["transfer_tracking_code"] is None  # restocked where it was received: no transfer
    assert (items["L2"]["notes"], items["L2"]["photo_urls"]) == ("sole split at the heel", photos)

    transfer = h.client.get_workflow_handle_for(TransferWorkflow.run, transfer_workflow_id(inp.return_id, "L2"))
    await transfer.signal(TransferWorkflow.facility_receipt, facility_receipt("rc_demo_rotterdam"))
    final = await handle.result()
    assert final.items[1].transfer_tracking_code == route.transfer_tracking_code
    done = await poll_async(projected, lambda items: items["L2"]["stage"] == "done", what="L2 placed")
    assert done["L2"]["transfer_tracking_code"] == route.transfer_tracking_code and done["L2"]["notes"]


async def test_an_item_no_facility_can_take_is_held_for_ops_and_the_return_still_completes(harness):
    h = harness
    warehouses_only = {"facilities": [f for f in example_facilities()["facilities"] if f["kind"] == "warehouse"]}
    inp = h.new_return(facilities=warehouses_only, reason=ReturnReason.DEFECTIVE)
    handle, _ = await received_at(h, inp)
    await handle.execute_update(
        ReturnWorkflow.inspect,
        Inspection(items=[InspectedItem(line_id="L1", grade=Grade.A), InspectedItem(line_id="L2", grade=Grade.D)]),
    )
    final = await handle.result()
    assert final.status == ReturnStatus.COMPLETED and final.refund.amount.amount == 2 * 2500 + 8999
    stages = {i.line_id: (i.stage, i.facility_id) for i in final.items}
    assert stages == {"L1": (ItemStage.DONE, "wh_demo_us"), "L2": (ItemStage.HELD, None)}
    [flag] = rows(h, AttentionItem, return_id=inp.return_id)
    assert (flag.kind, flag.line_id) == ("item_held", "L2") and "no facility can recycle" in flag.reason
    assert (await handle.describe()).typed_search_attributes.get(sa.NEEDS_ATTENTION) is True
    assert movements(h, inp.return_id, "L2") == ["received"]  # it is at the warehouse, waiting for a person


async def test_a_missing_item_is_not_refunded_not_routed_and_flagged(harness):
    h = harness
    inp = h.new_return(facilities=example_facilities(), reason=ReturnReason.TOO_SMALL)
    handle, _ = await received_at(h, inp)
    result = await handle.execute_update(
        ReturnWorkflow.inspect,
        Inspection(items=[InspectedItem(line_id="L1", problem="missing"), InspectedItem(line_id="L2", grade=Grade.A)]),
    )
    assert result.refund.amount == 8999 and result.status == ReturnStatus.INSPECTED
    final = await handle.result()
    assert {i.line_id: i.stage for i in final.items} == {"L1": ItemStage.NOT_RECEIVED, "L2": ItemStage.DONE}
    assert final.refund.amount.amount == 8999
    [flag] = rows(h, AttentionItem, return_id=inp.return_id)
    assert (flag.kind, flag.line_id) == ("inspection_finding", "L1") and "not in the parcel" in flag.reason
    assert movements(h, inp.return_id, "L1") == []
