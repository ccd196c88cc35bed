"""Issue #14, beyond its "done when": the paths the done-when test does not drive — a pickup (booked, reminded,
missed), a review (approved, rejected), store credit chosen, and a refund that fails for good — each tell the
shopper and the merchant's endpoint exactly once, in order per return.

As tests/workflows/test_everyone_hears.py: real workflows (time-skipping), real activities, the real SMTP sink,
a real HTTP receiver verifying Standard Webhooks; the outbox drained by the worker's OutboxDrain, called here
with the time it should see.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlmodel import select
from standardwebhooks.webhooks import Webhook

from db.session import session_scope
from db.tables import ShopperEmail
from db.types import utcnow
from domain.money import Money
from domain.policy import ReturnPolicy, ReviewRules
from domain.returns import Resolution, ReturnReason
from domain.shopper_locale import money
from domain.status import ReturnStatus
from tests.polling import poll_async, poll_awaitable
from tests.workflows.test_everyone_hears import (
    Receiver,
    drain_for,
    drained,
    events_of,
    listen,
    shopper,
    until_mailed,
)
from tests.workflows.test_pickup_paths import pickup_status, window
from tests.workflows.test_return_workflow import closed, scan, submitted
from workflows.messages import ReviewDecision
from workflows.returns import ReturnWorkflow


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


FULL = 2 * 2500 + 8999  # the factory's order: every line back as new


def mail_row(h, return_id: str, kind: str) -> ShopperEmail | None:
    with session_scope(h.engine) as s:
        return s.exec(
            select(ShopperEmail).where(ShopperEmail.return_id == return_id, ShopperEmail.kind == kind)
        ).first()


async def written(h, return_id: str, kind: str) -> ShopperEmail:
    """The projection writes the outbox row when the workflow flushes, which may be just after an update answers."""
    return await poll_async(lambda: mail_row(h, return_id, kind), what=f"the {kind} email in the outbox")


async def clock(h):
    """The later of the workflow's clock and ours: rows are written on either."""
    return max(await h.env.get_current_time(), utcnow())


def texts(h, address: str) -> list[tuple[str, str]]:
    """(subject, plain text) of each mail the shopper received, in order."""
    r = httpx.get(f"{h.sandboxes['mail']}/_sandbox/messages", params={"to": address, "content": "false"})
    r.raise_for_status()
    return [(m["subject"], m["text"]) for m in r.json()]


def attention_subjects(receiver, secret: str, return_id: str) -> list[str]:
    """What each return.needs_attention event for the return is about (its data.subject)."""
    out = []
    for headers, body in receiver.requests:
        payload = Webhook(secret).verify(body, headers)
        if payload["type"] == "return.needs_attention" and payload["data"]["return"]["return_id"] == return_id:
            out.append(payload["data"].get("subject"))
    return out


async def test_a_booked_pickup_is_confirmed_then_reminded_the_day_before_in_dutch(harness, receiver):
    h, drain = harness, drain_for(harness)
    inp = h.new_return()
    inp = inp.model_copy(update={"pickup": await window(h, timedelta(days=3))})
    secret, address = listen(h, inp.merchant_id, receiver.url), shopper(h, inp, "nl")
    handle, _ = await submitted(h, inp)
    await poll_awaitable(lambda: pickup_status(handle), lambda s: s == "scheduled", what="pickup booked")
    await drained(drain, await clock(h))  # the label email, kept with the label
    await until_mailed(h, address, inp.return_id, 1)
    await written(h, inp.return_id, "pickup_booked")
    due = (await written(h, inp.return_id, "pickup_reminder")).next_attempt_at
    assert due == inp.pickup.min_datetime - timedelta(days=1)  # the day before the window opens
    await drained(drain, due - timedelta(minutes=1))
    mails = await until_mailed(h, address, inp.return_id, 2)
    assert mails == [("label_ready", "nl"), ("pickup_booked", "nl")]  # the reminder not before its time
    await drained(drain, due + timedelta(minutes=1))
    await drained(drain, due + timedelta(minutes=2))  # a second drain sends nothing again
    await handle.signal(ReturnWorkflow.carrier_event, scan("evt_p1", "in_transit"))
    await poll_awaitable(lambda: pickup_status(handle), lambda s: s == "picked_up", what="collected")
    assert (await closed(handle)).status == ReturnStatus.COMPLETED
    await drained(drain, await clock(h) + timedelta(days=4))
    mails = await until_mailed(h, address, inp.return_id, 6)
    assert mails == [
        (k, "nl") for k in ("label_ready", "pickup_booked", "pickup_reminder", "in_transit", "received", "refund_sent")
    ]
    assert events_of(receiver, secret, inp.return_id) == [
        "return.created",
        "return.label_created",
        "return.in_transit",
        "return.received",
        "return.inspected",
        "refund.succeeded",
        "return.completed",
    ]


async def test_a_missed_pickup_offers_the_drop_off_once_in_german(harness, receiver):
    h, drain = harness, drain_for(harness)
    inp = h.new_return()
    secret, address = listen(h, inp.merchant_id, receiver.url), shopper(h, inp, "de")
    handle, _ = await submitted(h, inp)
    await drained(drain, await clock(h))
    await until_mailed(h, address, inp.return_id, 1)  # the label email, which the shopper books the pickup from
    booked = await window(h, timedelta(days=2))
    await handle.execute_update(ReturnWorkflow.schedule_pickup, booked)  # booked later, by the update
    due = (await written(h, inp.return_id, "pickup_reminder")).next_attempt_at
    assert due == booked.min_datetime - timedelta(days=1)
    await drained(drain, due + timedelta(minutes=1))
    await until_mailed(h, address, inp.return_id, 3)
    await h.env.sleep(timedelta(days=2, hours=7))  # past the window and the grace
    await poll_awaitable(lambda: pickup_status(handle), lambda s: s == "missed", what="missed pickup")
    await written(h, inp.return_id, "pickup_missed")
    await drained(drain, await clock(h) + timedelta(minutes=1))
    await drained(drain, await clock(h) + timedelta(minutes=2))
    mails = await until_mailed(h, address, inp.return_id, 4)
    assert mails == [(k, "de") for k in ("label_ready", "pickup_booked", "pickup_reminder", "pickup_missed")]
    subject, text = texts(h, address)[-1]
    assert "nicht abgeholt" in subject and "trotzdem senden" in text, (subject, text)  # the drop-off, in German
    assert f"https://shop.test/r/{inp.return_id}" in text
    await handle.signal(ReturnWorkflow.carrier_event, scan("evt_m1", "in_transit"))  # dropped off after all
    assert (await closed(handle)).status == ReturnStatus.COMPLETED
    await drained(drain, await clock(h) + timedelta(days=1))
    assert [k for k, _ in await until_mailed(h, address, inp.return_id, 7)] == [
        "label_ready",
        "pickup_booked",
        "pickup_reminder",
        "pickup_missed",
        "in_transit",
        "received",
        "refund_sent",
    ]
    assert events_of(receiver, secret, inp.return_id) == [  # a pickup is the shopper's news, not an event
        "return.created",
        "return.label_created",
        "return.in_transit",
        "return.received",
        "return.inspected",
        "refund.succeeded",
        "return.completed",
    ]


async def approved_in_french(h, receiver):
    """A return held for review, then approved; the outbox drained as the worker would: while it waits for ops,
    and at its next round after the approval (the approval, then the label it brings)."""
    drain = drain_for(h)
    inp = h.new_return(policy=ReturnPolicy(review=ReviewRules(order_value_above=10_000)))
    secret, address = listen(h, inp.merchant_id, receiver.url), shopper(h, inp, "fr")
    handle, view = await submitted(h, inp)
    assert view.status == ReturnStatus.PENDING_REVIEW
    await written(h, inp.return_id, "held_for_review")
    await drained(drain, await clock(h))
    assert await until_mailed(h, address, inp.return_id, 1) == [("held_for_review", "fr")]
    await handle.execute_update(ReturnWorkflow.review, ReviewDecision(decision="approve", note="ok", reviewer="ops-1"))
    await written(h, inp.return_id, "review_approved")
    await drained(drain, await clock(h))  # the drain's next round (outbox_poll_seconds later)
    await until_mailed(h, address, inp.return_id, 3)  # the approval, then the label it brings
    assert (await closed(handle)).status == ReturnStatus.COMPLETED
    await drained(drain, await clock(h) + timedelta(minutes=1))
    mails = await until_mailed(h, address, inp.return_id, 5)
    assert all(lang == "fr" for _, lang in mails)
    assert events_of(receiver, secret, inp.return_id) == [
        "return.created",
        "return.pending_review",
        "return.needs_attention",  # the hold is an item on ops' list
        "return.label_created",
        "return.received",
        "return.inspected",
        "refund.succeeded",
        "return.completed",
    ]
    return [k for k, _ in mails]


async def test_the_approval_is_told_before_the_label_it_brings(harness, receiver):
    """The label email comes after what the return announced before it: the approval (one outbox, in order)."""
    kinds = await approved_in_french(harness, receiver)
    assert kinds == ["held_for_review", "review_approved", "label_ready", "received", "refund_sent"]


async def test_a_held_return_rejected_in_review_is_told_why_in_english(harness, receiver):
    h, drain = harness, drain_for(harness)
    inp = h.new_return(policy=ReturnPolicy(review=ReviewRules(reasons=[ReturnReason.TOO_SMALL])))
    secret, address = listen(h, inp.merchant_id, receiver.url), shopper(h, inp, "en")
    handle, _ = await submitted(h, inp)
    await written(h, inp.return_id, "held_for_review")
    await drained(drain, await clock(h))
    await handle.execute_update(
        ReturnWorkflow.review, ReviewDecision(decision="reject", note="serial returner", reviewer="ops-1")
    )
    assert (await handle.result()).status == ReturnStatus.REJECTED
    await written(h, inp.return_id, "rejected")
    await drained(drain, await clock(h))
    await drained(drain, await clock(h) + timedelta(minutes=1))
    mails = await until_mailed(h, address, inp.return_id, 2)
    assert mails == [("held_for_review", "en"), ("rejected", "en")]
    _, text = texts(h, address)[-1]
    assert "rejected in review: serial returner" in text  # the policy's reasons, in the mail
    assert events_of(receiver, secret, inp.return_id) == [
        "return.created",
        "return.pending_review",
        "return.needs_attention",
        "return.rejected",
    ]
    assert [s.split(":")[1:2] for s in attention_subjects(receiver, secret, inp.return_id)] == [["pending_review"]]


async def test_store_credit_chosen_is_told_with_the_amount_in_german(harness, receiver):
    h, drain = harness, drain_for(harness)
    inp = h.new_return(resolution=Resolution.STORE_CREDIT)
    secret, address = listen(h, inp.merchant_id, receiver.url), shopper(h, inp, "de")
    handle, _ = await submitted(h, inp)
    await drained(drain, await clock(h))
    await until_mailed(h, address, inp.return_id, 1)  # the label email
    await handle.signal(ReturnWorkflow.carrier_event, scan("evt_s1", "in_transit"))
    final = await closed(handle)
    assert final.status == ReturnStatus.COMPLETED and final.refund.method == Resolution.STORE_CREDIT
    await drained(drain, await clock(h))
    await drained(drain, await clock(h) + timedelta(minutes=1))
    mails = await until_mailed(h, address, inp.return_id, 4)
    assert mails == [(k, "de") for k in ("label_ready", "in_transit", "received", "store_credit_issued")]
    _, text = texts(h, address)[-1]
    amount = money(Money(amount=FULL, currency=final.refund.amount.currency), "de")
    assert final.refund.amount.amount == FULL and amount in text and "139,99" in amount, (amount, text)  # German
    assert events_of(receiver, secret, inp.return_id) == [
        "return.created",
        "return.label_created",
        "return.in_transit",
        "return.received",
        "return.inspected",
        "store_credit.issued",
        "return.completed",
    ]


async def test_a_refund_refused_for_good_is_told_as_store_credit_in_french(harness, receiver):
    h, drain = harness, drain_for(harness)
    inp = h.new_return(payment_method="pm_card_refundFail")
    secret, address = listen(h, inp.merchant_id, receiver.url), shopper(h, inp, "fr")
    handle, _ = await submitted(h, inp)
    await drained(drain, await clock(h))
    await until_mailed(h, address, inp.return_id, 1)  # the label email
    final = await closed(handle)
    assert final.status == ReturnStatus.COMPLETED and final.refund.method == Resolution.STORE_CREDIT
    await drained(drain, await clock(h))
    await drained(drain, await clock(h) + timedelta(minutes=1))
    mails = await until_mailed(h, address, inp.return_id, 3)
    assert mails == [(k, "fr") for k in ("label_ready", "received", "store_credit_issued")]  # never "refund sent"
    _, text = texts(h, address)[-1]
    assert final.refund.amount.amount == FULL
    assert money(Money(amount=FULL, currency=final.refund.amount.currency), "fr") in text  # 139,99 $US
    events = events_of(receiver, secret, inp.return_id)
    assert events == [
        "return.created",
        "return.label_created",
        "return.received",
        "return.inspected",
        "refund.failed",
        "store_credit.issued",
        "return.completed",
    ]
