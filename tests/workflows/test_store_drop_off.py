"""A return handed in at one of the merchant's stores: no label is bought, the store's receipt is its arrival.

Time-skipping environment, real activities (SQLite, the EasyPost and payments sandboxes); the merchant's
registry is the demo one plus a store in Amsterdam that only receives (so its items are sent on).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from db.stores import HANDED_IN_AT
from db.tables import ItemRouteRow
from domain.facilities_example import example_facilities
from domain.policy import ReturnPolicy, ReviewRules
from domain.returns import Grade
from domain.status import ReturnStatus
from tests.polling import poll_async
from tests.workflows.test_exchange_paths import exchange_return, outbound
from tests.workflows.test_return_workflow import (
    closed,
    db_row,
    record_history,
    sandbox_refunds,
    sandbox_shipments,
    submitted,
    timeline,
)
from tests.workflows.test_return_workflow import (
    receipt as dock_scan,
)
from tests.workflows.test_timer_names import timer_names
from tests.workflows.test_warehouse_paths import facility_receipt, rows, shipped
from workflows.ids import store_receipt_update_id, transfer_workflow_id
from workflows.messages import (
    CancelRequest,
    ErrorType,
    InspectedItem,
    Inspection,
    ReturnInput,
    ReviewDecision,
    StoreReceipt,
    TimelineEvent,
)
from workflows.returns import ReturnWorkflow
from workflows.transfer_workflow import TransferWorkflow

STORE = "st_demo_kalverstraat"
OTHER_STORE = "st_demo_utrecht"


def with_stores() -> dict:
    registry = example_facilities()
    for id_, name, lat, lon in ((STORE, "Kalverstraat", 52.3702, 4.8952), (OTHER_STORE, "Utrecht", 52.0907, 5.1214)):
        registry["facilities"].append(
            {
                "id": id_,
                "kind": "store",
                "name": f"Demo store {name}",
                "address": {"company": "Demo", "street1": f"{name} 1", "city": name, "zip": "1012 NX", "country": "NL"},
                "location": {"lat": lat, "lon": lon},
                "capabilities": [],  # it only receives: the items go on to the returns centre
                "daily_capacity": 100,
                "cost_per_unit": 0,
                "currency": "EUR",
                "opening_hours": [
                    {"days": ["mon", "tue", "wed", "thu", "fri", "sat"], "opens": "10:00", "closes": "18:00"}
                ],
            }
        )
    return registry


def to_a_store(h, store_id: str = STORE, **kw) -> ReturnInput:
    inp = h.new_return(facilities=with_stores(), **kw)
    return ReturnInput.model_validate({**inp.model_dump(), "send_method": "store", "store_id": store_id})


def receipt(store_id: str = STORE) -> StoreReceipt:
    return StoreReceipt(store_id=store_id, received_at=datetime.now(UTC), scanned_by="rf_test_store_1")


async def scanned(handle, store_id: str = STORE):
    return await handle.execute_update(
        ReturnWorkflow.receive_at_store,
        receipt(store_id),
        id=store_receipt_update_id(handle.id.removeprefix("return-")),
    )


async def test_handed_in_at_a_store_no_label_is_bought_and_the_receipt_leads_to_inspection_and_refund(harness):
    h = harness
    inp = to_a_store(h)
    handle, view = await submitted(h, inp)
    assert view.status == ReturnStatus.AWAITING_HAND_IN and view.label is None
    assert sandbox_shipments(h, inp.return_id) == []  # no label bought
    assert db_row(h, inp.return_id).status == "awaiting_hand_in"

    # The shopper hands it in at another of the merchant's stores than the one chosen; the clerk scans twice.
    first = await scanned(handle, OTHER_STORE)
    again = await scanned(handle, STORE)
    assert first.status == again.status == ReturnStatus.RECEIVED
    # A third scan sent under another update id (another API instance, say) changes nothing either.
    third = await handle.execute_update(ReturnWorkflow.receive_at_store, receipt(STORE))
    assert third.status in (ReturnStatus.RECEIVED, ReturnStatus.INSPECTED)
    # Every answer names the store that has it (the API answers a scan at another store with a 409 naming it).
    assert first.received_at_facility == again.received_at_facility == third.received_at_facility == OTHER_STORE

    await handle.execute_update(
        ReturnWorkflow.inspect,
        Inspection(items=[InspectedItem(line_id="L1", grade=Grade.A), InspectedItem(line_id="L2", grade=Grade.A)]),
    )
    # The items leave from the store where the shopper handed them in, for the nearest returns centre.
    for line_id in ("L1", "L2"):
        route = await shipped(h, inp.return_id, line_id)
        assert (route.from_facility_id, route.facility_id) == (OTHER_STORE, "wh_demo_nl")
    await poll_async(lambda: db_row(h, inp.return_id).status, lambda s: s == "completed", what="refunded")
    for line_id in ("L1", "L2"):
        await h.client.get_workflow_handle(transfer_workflow_id(inp.return_id, line_id)).signal(
            TransferWorkflow.facility_receipt, facility_receipt("wh_demo_nl")
        )
    final = await handle.result()
    assert final.status == ReturnStatus.COMPLETED and final.label is None
    assert [r["amount"] for r in sandbox_refunds(h, inp.return_id)] == [final.refund.amount.amount]
    assert not [s for s in sandbox_shipments(h, inp.return_id) if s.get("postage_label")]

    lines = timeline(h, inp.return_id)
    hand_ins = [(e.status, e.cause) for e in lines if e.event == TimelineEvent.HAND_IN]
    assert hand_ins == [
        ("awaiting_hand_in", f"to be handed in at store {STORE} within 30 days: no label bought"),
        (
            "received",
            f"handed in at store {OTHER_STORE} (the shopper had chosen store {STORE}), "
            "scanned with store key rf_test_store_1…",
        ),
    ]
    assert HANDED_IN_AT.match(hand_ins[-1][1]).group(1) == OTHER_STORE  # how db/stores.py reads it back
    assert {"requested", "awaiting_hand_in", "received", "inspected", "settling", "completed"} <= {
        e.status for e in lines
    }
    assert {r.from_facility_id for r in rows(h, ItemRouteRow, return_id=inp.return_id)} == {OTHER_STORE}

    history = await handle.fetch_history()
    await Replayer(workflows=[ReturnWorkflow], data_converter=pydantic_data_converter).replay_workflow(history)
    record_history("store_hand_in", history)


async def test_cancelled_before_the_store_receives_it_and_no_store_can_take_it_then(harness):
    h = harness
    inp = to_a_store(h)
    handle, _ = await submitted(h, inp)
    view = await handle.execute_update(ReturnWorkflow.cancel, CancelRequest(reason="shopper kept it"))
    assert view.status == ReturnStatus.CANCELLED
    assert (await handle.result()).status == ReturnStatus.CANCELLED
    with pytest.raises(Exception):  # closed: nothing can change any more (the API answers 409 wrong_state)
        await scanned(handle)
    assert sandbox_shipments(h, inp.return_id) == [] and sandbox_refunds(h, inp.return_id) == []
    assert db_row(h, inp.return_id).status == "cancelled"
    assert not any(e.event == TimelineEvent.HAND_IN and e.status == "received" for e in timeline(h, inp.return_id))


async def test_not_handed_in_before_the_deadline_the_return_expires(harness):
    h = harness
    inp = to_a_store(h)
    handle, _ = await submitted(h, inp)
    await h.env.sleep(timedelta(days=29))
    assert (await handle.query(ReturnWorkflow.view)).status == ReturnStatus.AWAITING_HAND_IN
    await h.env.sleep(timedelta(days=2))
    final = await handle.result()
    assert final.status == ReturnStatus.EXPIRED
    assert db_row(h, inp.return_id).status == "expired"
    [last] = timeline(h, inp.return_id)[-1:]
    assert (last.event, last.cause) == ("expiry", "not handed in at a store within 30 days")
    assert sandbox_shipments(h, inp.return_id) == []
    assert "hand-in deadline" in await timer_names(handle)  # what the Temporal UI says it waited for


async def test_a_store_cannot_receive_a_return_sent_with_a_label(harness):
    h = harness
    inp = h.new_return(facilities=with_stores())
    handle, view = await submitted(h, inp)
    assert view.status == ReturnStatus.LABEL_CREATED
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await scanned(handle)
    assert err.value.cause.type == ErrorType.WRONG_STATE and "not sent to a store" in err.value.cause.message
    assert (await handle.query(ReturnWorkflow.view)).status == ReturnStatus.LABEL_CREATED
    await handle.execute_update(ReturnWorkflow.cancel, CancelRequest())
    await handle.result()


async def test_a_scan_refused_while_held_for_review_is_taken_under_the_same_update_id_once_approved(harness):
    """Every scan of a return goes under one update id: a refusal is not remembered for it, an acceptance is."""
    h = harness
    inp = to_a_store(h, policy=ReturnPolicy(review=ReviewRules(order_value_above=10_000)))
    handle, view = await submitted(h, inp)
    assert view.status == ReturnStatus.PENDING_REVIEW
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await scanned(handle)
    assert err.value.cause.type == ErrorType.WRONG_STATE and "pending_review" in err.value.cause.message
    approved = await handle.execute_update(
        ReturnWorkflow.review, ReviewDecision(decision="approve", note="ok", reviewer="ops-1")
    )
    assert approved.status == ReturnStatus.AWAITING_HAND_IN and approved.label is None
    assert (await scanned(handle)).status == ReturnStatus.RECEIVED
    assert sandbox_shipments(h, inp.return_id) == []
    await handle.execute_update(
        ReturnWorkflow.inspect,
        Inspection(items=[InspectedItem(line_id="L1", grade=Grade.A), InspectedItem(line_id="L2", grade=Grade.A)]),
    )
    for line_id in ("L1", "L2"):
        await shipped(h, inp.return_id, line_id)
        await h.client.get_workflow_handle(transfer_workflow_id(inp.return_id, line_id)).signal(
            TransferWorkflow.facility_receipt, facility_receipt("wh_demo_nl")
        )
    assert (await handle.result()).status == ReturnStatus.COMPLETED


async def test_an_advance_exchange_handed_in_nowhere_is_charged_at_its_own_deadline(harness):
    h = harness
    inp = exchange_return(h, "SHOE-44", mode="advance", on_missing="charge")
    inp = ReturnInput.model_validate({**inp.model_dump(), "send_method": "store", "store_id": STORE})
    handle, view = await submitted(h, inp)
    assert view.status == ReturnStatus.AWAITING_HAND_IN
    await poll_async(lambda: outbound(h, inp.return_id), lambda s: len(s) == 2, what="replacements shipped first")
    final = await handle.result()  # time skips past the exchange's 7 days (before the 30-day hand-in deadline)
    assert final.status == ReturnStatus.EXPIRED and final.label is None
    assert final.refund.status == "charged" and final.refund.amount.amount == 2 * 2500 + 8999
    # The exchange's deadline ended it (7 days, its own words), not the 30-day hand-in deadline.
    ended = [e for e in timeline(h, inp.return_id) if e.status == "expired" and e.event == "exchange"]
    assert [e.cause.split(";")[0] for e in ended] == ["original not scanned in time"]
    assert not any(e.event == "expiry" for e in timeline(h, inp.return_id))
    assert sandbox_shipments(h, inp.return_id) == []  # no return label, only the replacements went out


async def test_posted_to_the_warehouse_anyway_the_dock_receives_it_and_no_store_can_after(harness):
    h = harness
    inp = to_a_store(h)
    handle, _ = await submitted(h, inp)
    await handle.signal(ReturnWorkflow.warehouse_receipt, dock_scan())
    await poll_async(lambda: db_row(h, inp.return_id).status, lambda s: s == "received", what="received at the dock")
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await scanned(handle)
    assert err.value.cause.type == ErrorType.WRONG_STATE and "received" in err.value.cause.message
    final = await closed(handle)  # the dock scan again (ignored), inspection, refund
    assert final.status == ReturnStatus.COMPLETED and final.label is None
    assert not any(e.event == TimelineEvent.HAND_IN and e.status == "received" for e in timeline(h, inp.return_id))
