"""Carrier paths off the happy road: voids followed to their end, a cancelled label replaced,
carrier exceptions sent to ops. Time-skipping environment, real activities and EasyPost sandbox."""

from __future__ import annotations

import httpx
from sqlmodel import select

from db.session import session_scope
from db.tables import AttentionItem
from domain.returns import Grade
from domain.status import ReturnStatus
from tests.polling import poll_async, poll_awaitable
from tests.workflows.test_everyone_hears import drain_for, drained
from tests.workflows.test_lean_history import label_mail
from tests.workflows.test_return_workflow import (
    receipt,
    record_history,
    sandbox_shipments,
    scan,
    submitted,
    timeline,
)
from workflows import search_attributes as sa
from workflows.messages import CancelRequest, InspectedItem, Inspection
from workflows.returns import ReturnWorkflow


def flags(h, return_id: str) -> list[AttentionItem]:
    with session_scope(h.engine) as s:
        return list(s.exec(select(AttentionItem).where(AttentionItem.return_id == return_id)).all())


async def needs_attention(handle):
    """The workflow's description once its NeedsAttention search attribute is set. The attribute lands when
    the workflow task that flagged completes, after the flag's row is written (a local activity): poll, don't race it."""
    return await poll_awaitable(
        lambda: handle.describe(),
        lambda d: d.typed_search_attributes.get(sa.NEEDS_ATTENTION),
        what="NeedsAttention set",
    )


async def test_a_voided_label_is_followed_until_the_carrier_refunds_it(harness):
    h = harness
    inp = h.new_return()
    handle, view = await submitted(h, inp)
    cancelled = await handle.execute_update(ReturnWorkflow.cancel, CancelRequest(reason="not needed"))
    assert cancelled.status == ReturnStatus.CANCELLED  # answered at once, before the refund settles
    final = await handle.result()
    assert final.label.void_status == "refunded"
    [shipment] = sandbox_shipments(h, inp.return_id)
    assert shipment["refund_status"] == "refunded"
    saved = [e.cause for e in timeline(h, inp.return_id) if e.event == "label_void"]
    assert saved == [f"label {view.label.tracking_code} refund refunded: {view.label.rate.display()} saved"]


async def test_a_label_the_carrier_cancels_before_any_scan_is_replaced(harness):
    h = harness
    inp = h.new_return()
    handle, view = await submitted(h, inp)
    first = view.label
    await handle.signal(ReturnWorkflow.carrier_event, scan("evt_cx", "cancelled"))
    await handle.signal(ReturnWorkflow.carrier_event, scan("evt_cx", "cancelled"))  # a duplicate changes nothing

    async def current_label():
        return (await handle.query(ReturnWorkflow.view)).label

    label = await poll_awaitable(current_label, lambda l: l.tracking_code != first.tracking_code, what="a new label")
    assert label.tracking_code != first.tracking_code
    assert len([s for s in sandbox_shipments(h, f"{inp.return_id}-relabel-1") if s.get("postage_label")]) == 1
    [cancelled_one] = sandbox_shipments(h, inp.return_id)
    assert cancelled_one["tracking_code"] == first.tracking_code and cancelled_one["refund_status"] in (
        "submitted",
        "refunded",
    )
    assert (await handle.query(ReturnWorkflow.view)).status == ReturnStatus.LABEL_CREATED

    # The new label moves the return on as usual.
    await handle.signal(ReturnWorkflow.carrier_event, scan("evt_1", "in_transit"))
    await handle.signal(ReturnWorkflow.warehouse_receipt, receipt())
    await handle.execute_update(
        ReturnWorkflow.inspect,
        Inspection(items=[InspectedItem(line_id="L1", grade=Grade.A), InspectedItem(line_id="L2", grade=Grade.A)]),
    )
    final = await handle.result()
    assert final.status == ReturnStatus.COMPLETED and final.label.tracking_code == label.tracking_code
    record_history("relabel_after_carrier_cancel", await handle.fetch_history())


async def test_return_to_sender_goes_to_ops_and_the_return_keeps_waiting(harness):
    h = harness
    inp = h.new_return()
    handle, _ = await submitted(h, inp)
    await handle.signal(ReturnWorkflow.carrier_event, scan("evt_1", "in_transit"))
    await handle.signal(ReturnWorkflow.carrier_event, scan("evt_2", "return_to_sender"))
    [flag] = await poll_async(lambda: flags(h, inp.return_id), what="carrier exception flagged")
    assert flag.kind == "carrier_exception" and "back to the shopper" in flag.reason
    attrs = await needs_attention(handle)
    assert attrs.typed_search_attributes.get(sa.NEEDS_ATTENTION) is True
    assert (await handle.query(ReturnWorkflow.view)).status == ReturnStatus.IN_TRANSIT


async def test_the_shopper_gets_the_label_by_email_once_and_again_for_a_replacement_label(harness):
    h = harness
    inp = h.new_return()
    handle, view = await submitted(h, inp)

    def mails(code: str) -> list[dict]:
        r = httpx.get(
            f"{h.sandboxes['mail']}/_sandbox/messages", params={"to": "sam.shopper@example.com", "content": "false"}
        )
        r.raise_for_status()
        return [m for m in r.json() if code in m["subject"] + m["text"]]

    drain = drain_for(h)
    await drained(drain)  # the label email, kept in the outbox by the write with the label
    [mail] = await poll_async(lambda: mails(view.label.tracking_code), what="the label email")
    assert view.label.tracking_code in mail["subject"] + mail["text"]
    await handle.signal(ReturnWorkflow.carrier_event, scan("evt_cx", "cancelled"))
    label = await poll_awaitable(
        lambda: _label(handle), lambda l: l.tracking_code != view.label.tracking_code, what="new label"
    )
    await poll_async(lambda: len(label_mail(h, inp.return_id)) == 2, what="the new label's email kept")
    await drained(drain)
    await poll_async(lambda: mails(label.tracking_code), what="the new label's email")
    assert len(mails(view.label.tracking_code)) == 1
    assert sorted(label_mail(h, inp.return_id)) == sorted(
        [("sent", view.label.tracking_code), ("sent", label.tracking_code)]
    )


async def _label(handle):
    return (await handle.query(ReturnWorkflow.view)).label
