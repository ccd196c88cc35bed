"""A whole return, driven by the real workflow and activities, writes its news into the outbox: each event for
the merchant's endpoint and each email for the shopper once, in the order the return lived them, and the
return itself starts no delivery workflow and notes no delivery on its timeline (Patch.NOTIFICATION_OUTBOX)."""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import select
from temporalio.service import RPCError, RPCStatusCode

from db.session import session_scope
from db.tables import EventDelivery, MerchantEvent, ShopperEmail, WebhookEndpoint
from domain.returns import ReturnReason
from domain.status import ReturnStatus
from tests.workflows.test_exchange_paths import exchange_return, inspected_as_new
from tests.workflows.test_return_workflow import closed, scan, submitted, timeline
from workflows.ids import notification_workflow_id
from workflows.messages import CancelRequest
from workflows.returns import ReturnWorkflow


def subscribe_to_everything(h, merchant_id: str) -> str:
    endpoint_id = f"we_{uuid.uuid4().hex[:12]}"
    with session_scope(h.engine) as s:
        s.add(
            WebhookEndpoint(
                id=endpoint_id,
                merchant_id=merchant_id,
                url="https://hooks.example/returnflow",
                events=["*"],
                secret="whsec_" + "b" * 32,
            )
        )
    return endpoint_id


async def test_a_refund_return_announces_each_step_once_in_order_through_the_outbox(harness):
    h = harness
    inp = h.new_return(reason=ReturnReason.TOO_SMALL)
    endpoint_id = subscribe_to_everything(h, inp.merchant_id)
    handle, view = await submitted(h, inp)
    assert view.status == ReturnStatus.LABEL_CREATED
    await handle.signal(ReturnWorkflow.carrier_event, scan("evt_ann_1", "in_transit"))
    await handle.signal(ReturnWorkflow.carrier_event, scan("evt_ann_2", "delivered"))
    final = await closed(handle)  # dock receipt, inspection, then the time-skipping server runs it to the end
    assert final.status == ReturnStatus.COMPLETED and final.refund.amount.amount > 0

    with session_scope(h.engine) as s:
        events = list(
            s.exec(select(MerchantEvent).where(MerchantEvent.return_id == inp.return_id).order_by(MerchantEvent.seq))
        )
        deliveries = list(s.exec(select(EventDelivery).where(EventDelivery.return_id == inp.return_id)))
        emails = list(
            s.exec(select(ShopperEmail).where(ShopperEmail.return_id == inp.return_id).order_by(ShopperEmail.id))
        )
    assert [e.type for e in events] == [
        "return.created",
        "return.label_created",
        "return.in_transit",
        "return.delivered",
        "return.received",
        "return.inspected",
        "refund.succeeded",
        "return.completed",
    ]
    assert len({e.id for e in events}) == len(events)
    refunded = events[-2].payload["return"]
    assert (
        refunded["return_id"] == inp.return_id and refunded["refund"]["amount"]["amount"] == final.refund.amount.amount
    )
    # one pending delivery of each event to the one endpoint
    assert sorted((d.event_id, d.endpoint_id) for d in deliveries) == sorted((e.id, endpoint_id) for e in events)

    by_kind = {m.kind: m for m in emails}
    assert len(by_kind) == len(emails)  # each kind once
    # the label's email is the workflow's own activity (it records its row when sent); the rest is the outbox's
    outboxed = [m.kind for m in emails if m.kind != "label_ready" and m.status != "withdrawn"]
    assert outboxed == ["in_transit", "received", "refund_sent"]
    # the label's reminder was written when it was bought and withdrawn by the first scan
    assert by_kind["label_reminder"].status == "withdrawn"

    # The return itself told nobody: no delivery workflow, no "sent to the merchant's endpoint" line.
    for old_event in ("return.refunded", "return.created"):
        with pytest.raises(RPCError) as gone:
            await h.client.get_workflow_handle(
                notification_workflow_id(f"evt_{inp.return_id}_{old_event.replace('.', '_')}")
            ).describe()
        assert gone.value.status == RPCStatusCode.NOT_FOUND
    lines = timeline(h, inp.return_id)
    assert not [e for e in lines if e.event == "merchant_webhook" or "sent to the merchant's endpoint" in e.cause]


async def test_without_an_endpoint_a_return_writes_no_event_but_still_mails_the_shopper(harness):
    h = harness
    inp = h.new_return(reason=ReturnReason.TOO_SMALL)
    handle, _ = await submitted(h, inp)
    await handle.signal(ReturnWorkflow.carrier_event, scan("evt_ann_3", "in_transit"))
    final = await closed(handle)
    assert final.status == ReturnStatus.COMPLETED
    with session_scope(h.engine) as s:
        assert s.exec(select(MerchantEvent).where(MerchantEvent.merchant_id == inp.merchant_id)).all() == []
        kinds = [
            m.kind
            for m in s.exec(
                select(ShopperEmail).where(ShopperEmail.return_id == inp.return_id).order_by(ShopperEmail.id)
            )
            if m.status != "withdrawn" and m.kind != "label_ready"
        ]
    assert kinds == ["in_transit", "received", "refund_sent"]


def outbox(h, return_id: str) -> tuple[list[str], dict[str, str]]:
    """The return's events by type in order, and its emails' status by kind (the label email aside)."""
    with session_scope(h.engine) as s:
        query = select(MerchantEvent).where(MerchantEvent.return_id == return_id).order_by(MerchantEvent.seq)
        events = [e.type for e in s.exec(query)]
        query = select(ShopperEmail).where(ShopperEmail.return_id == return_id).order_by(ShopperEmail.id)
        emails = {m.kind: m.status for m in s.exec(query) if m.kind != "label_ready"}
    return events, emails


async def test_a_cancelled_return_is_announced_and_its_label_reminder_withdrawn(harness):
    h = harness
    inp = h.new_return()
    subscribe_to_everything(h, inp.merchant_id)
    handle, _ = await submitted(h, inp)
    await handle.execute_update(ReturnWorkflow.cancel, CancelRequest(reason="changed my mind"))
    assert (await handle.result()).status == ReturnStatus.CANCELLED
    events, emails = outbox(h, inp.return_id)
    assert events == ["return.created", "return.label_created", "return.cancelled"]
    assert emails == {"label_reminder": "withdrawn", "cancelled": "pending"}


async def test_an_expired_return_is_announced_once_its_label_runs_out(harness):
    h = harness
    inp = h.new_return()
    subscribe_to_everything(h, inp.merchant_id)
    handle, _ = await submitted(h, inp)
    final = await handle.result()  # the time-skipping server runs to the label's expiry
    assert final.status == ReturnStatus.EXPIRED
    events, emails = outbox(h, inp.return_id)
    assert events == ["return.created", "return.label_created", "return.expired"]
    # nobody drains the outbox here: the reminder waited for its time and the end withdrew it
    assert emails == {"label_reminder": "withdrawn", "expired": "pending"}


async def test_a_dearer_exchange_announces_the_shipment_and_the_charge_before_it_completes(harness):
    h = harness
    inp = exchange_return(h, "SHOE-43")
    subscribe_to_everything(h, inp.merchant_id)
    handle, _ = await submitted(h, inp)
    await inspected_as_new(h, handle)
    final = await handle.result()
    assert final.status == ReturnStatus.COMPLETED and final.exchange.charge_reference
    events, emails = outbox(h, inp.return_id)
    assert events == [
        "return.created",
        "return.label_created",
        "return.in_transit",
        "return.received",
        "return.inspected",
        "exchange.shipped",
        "exchange.charged",
        "return.completed",
    ]
    assert emails == {
        "label_reminder": "withdrawn",
        "in_transit": "pending",
        "received": "pending",
        "exchange_shipped": "pending",
    }
