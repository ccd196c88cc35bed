"""The shopper's emails through the outbox, for real: rows kept by db.outbox, sent by the ShopperMailer over
SMTP to the mail sink and read back from it (tests/activities/shopper_mail_setup.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.email import EmailActivities
from activities.store import StoreActivities
from db import outbox, shopper_emails
from db.session import session_scope
from db.tables import ReturnRecord, ShopperEmail
from domain.notifications import Announcement, MailKind
from domain.returns import Resolution, ReturnReason
from domain.status import ReturnStatus
from tests.activities.shopper_mail_setup import (
    T0,
    branded_return,
    emails,
    keep,
    later,
    mailer,
)
from tests.activities.test_email import _setup, labelled_return
from workflows.messages import ActivityErrorType, ItemView, ReturnProjection, ReturnView, TimelineEntry, TimelineEvent


@pytest.fixture
def s(sqlite_url, sandboxes):
    yield from _setup(sqlite_url, sandboxes)


@pytest.fixture
def any_db(database_url, sandboxes):
    yield from _setup(database_url, sandboxes)


def header(msg: dict, name: str) -> str:
    [value] = [v for k, v in msg["headers"] if k.lower() == name.lower()]
    return value


def test_a_returns_emails_go_in_order_and_a_reminder_due_later_holds_none_back(any_db):
    s = any_db
    shop = branded_return(s, language="en")
    due = later(60 * 24)
    keep(s, shop, (MailKind.LABEL_REMINDER, due), MailKind.PICKUP_BOOKED, MailKind.IN_TRANSIT, status="label_created")
    send = mailer(s)

    assert send.send_due(T0) == 2  # the reminder (first by id) is not due: the others go past it
    assert [m["subject"].split(" ")[0:3] for m in s.inbox(shop.email)] == [
        ["Your", "pickup", "for"],
        ["Your", "return", "of"],
    ]
    assert emails(s, shop)["label_reminder"].status == "pending"
    assert send.send_due(due - timedelta(seconds=1)) == 0  # not before it is due
    assert send.send_due(due) == 1
    assert "expires soon" in s.inbox(shop.email)[-1]["subject"]
    assert send.send_due(due + timedelta(hours=1)) == 0  # once


def test_a_label_reminder_is_withdrawn_when_the_return_moved_past_label_created(s):
    shop = branded_return(s, language="nl")
    due = later(60)
    keep(s, shop, (MailKind.LABEL_REMINDER, due))
    with session_scope(s.engine) as session:  # the first scan, written without the outbox seeing it
        session.get(ReturnRecord, shop.return_id).status = "in_transit"
    assert mailer(s).send_due(due) == 1
    row = emails(s, shop)["label_reminder"]
    assert row.status == "withdrawn" and row.sent_at is None
    assert s.inbox(shop.email) == []


def test_a_refused_address_is_recorded_and_the_returns_later_mail_suppressed(any_db):
    s = any_db
    shop = branded_return(s, language="nl", local="bounce")
    keep(s, shop, MailKind.IN_TRANSIT, MailKind.RECEIVED, (MailKind.LABEL_REMINDER, later(60)))

    assert mailer(s).send_due(T0) == 1  # no exception: a refusal never fails anything
    rows = emails(s, shop)
    assert rows["in_transit"].status == "refused" and rows["in_transit"].smtp_code == 550
    assert shop.email not in rows["in_transit"].last_error
    assert shop.email.split("@")[0] not in (rows["in_transit"].last_error or "")
    assert rows["received"].status == "suppressed" and rows["label_reminder"].status == "suppressed"
    keep(s, shop, MailKind.REFUND_SENT, now=later(5))  # what the return announces later is suppressed from the start
    assert emails(s, shop)["refund_sent"].status == "suppressed"
    assert mailer(s).send_due(later(120)) == 0


def test_an_email_written_beside_a_refusal_is_suppressed_when_its_turn_comes(any_db):
    """The projection kept it pending while the mailer was recording the refusal (each saw the other's
    transaction uncommitted): the mailer still never writes to the refused address again."""
    s = any_db
    shop = branded_return(s, language="en")
    keep(s, shop, MailKind.IN_TRANSIT, MailKind.RECEIVED)
    with session_scope(s.engine) as session:
        row = session.exec(
            select(ShopperEmail).where(ShopperEmail.return_id == shop.return_id, ShopperEmail.kind == "in_transit")
        ).one()
        row.status, row.smtp_code = "refused", 550
        session.add(row)
    assert mailer(s).send_due(T0) == 1
    assert emails(s, shop)["received"].status == "suppressed"
    assert s.inbox(shop.email) == []


def test_a_temporary_failure_is_retried_with_backoff_then_failed_after_the_period(any_db):
    s = any_db
    shop = branded_return(s, language="en", local="tempfail")
    keep(s, shop, MailKind.IN_TRANSIT, MailKind.RECEIVED)
    send = mailer(s, give_up_after=timedelta(minutes=10))

    assert send.send_due(T0) == 1  # the first; the second waits behind it
    rows = emails(s, shop)
    first = rows["in_transit"]
    assert (first.status, first.attempts, first.smtp_code) == ("pending", 1, 451)
    assert first.next_attempt_at == later(1)
    assert rows["received"].attempts == 0
    assert send.send_due(later(0.5)) == 0  # not before the backoff, and the second still waits
    assert emails(s, shop)["received"].attempts == 0
    tries = [(later(1), 2, later(3)), (later(3), 3, later(7))]
    for now, attempts, next_at in tries:
        assert send.send_due(now) == 1
        row = emails(s, shop)["in_transit"]
        assert (row.status, row.attempts, row.next_attempt_at) == ("pending", attempts, next_at)
    assert send.send_due(later(7)) == 1  # still failing 7 minutes in: the backoff says 15, the period ends at 10
    row = emails(s, shop)["in_transit"]
    assert (row.status, row.attempts, row.next_attempt_at, row.first_attempt_at) == ("pending", 4, later(10), T0)
    assert send.send_due(later(10)) >= 1  # exactly the period past the first attempt: given up, the next one goes
    rows = emails(s, shop)
    assert rows["in_transit"].status == "failed" and rows["in_transit"].attempts == 5
    assert rows["received"].status == "pending" and rows["received"].attempts == 1  # now tried in its turn
    assert s.inbox(shop.email) == []


def test_a_kind_the_merchant_switched_off_since_is_not_sent(s):
    shop = branded_return(s, language="fr")
    keep(s, shop, MailKind.RECEIVED, MailKind.REFUND_SENT)
    with session_scope(s.engine) as session:
        shopper_emails.set_switches(session, shop.merchant_id, {MailKind.RECEIVED: False})
    assert mailer(s).send_due(T0) == 2
    rows = emails(s, shop)
    assert rows["received"].status == "switched_off" and rows["refund_sent"].status == "sent"
    [msg] = s.inbox(shop.email)
    assert "remboursement" in msg["subject"]


def test_a_projection_through_the_store_activity_mails_the_shopper(any_db):
    s = any_db
    shop = branded_return(s, language="nl")
    view = ReturnView(
        return_id=shop.return_id,
        merchant_id=shop.merchant_id,
        order_id=shop.order_id,
        status=ReturnStatus.IN_TRANSIT,
        resolution=Resolution.REFUND,
        items=[ItemView(line_id="L2", sku="SHOE-42", quantity=1, reason=ReturnReason.TOO_SMALL)],
        request_fingerprint="fp",
        created_at=T0,
        updated_at=later(5),
    )
    entry = TimelineEntry(
        seq=3, at=later(5), status=ReturnStatus.IN_TRANSIT, event=TimelineEvent.CARRIER_EVENT, cause="first scan"
    )
    projection = ReturnProjection(view=view, version=3, new_entries=[entry])
    ActivityEnvironment().run(StoreActivities(s.engine).record_return, projection)
    ActivityEnvironment().run(StoreActivities(s.engine).record_return, projection)  # a retried activity

    assert mailer(s).send_due(datetime.now(UTC)) == 1  # the projection keeps it at the time it writes
    [msg] = s.inbox(shop.email)
    assert msg["subject"] == f"Je retour van bestelling {shop.order_id} is onderweg"
    with session_scope(s.engine) as session:
        [row] = session.exec(select(ShopperEmail).where(ShopperEmail.return_id == shop.return_id))
        assert (row.kind, row.status, row.message_id) == ("in_transit", "sent", msg["message_id"])


def label_rows(s, return_id: str) -> list[ShopperEmail]:
    with session_scope(s.engine) as session:
        return list(session.exec(select(ShopperEmail).where(ShopperEmail.return_id == return_id)))


def test_the_label_email_is_on_the_returns_list_and_honours_the_merchants_switch(s):
    req, email, label = labelled_return(s)
    sent = ActivityEnvironment().run(EmailActivities(s.engine, s.smtp).send_label_email, req)
    [row] = label_rows(s, req.return_id)
    assert (row.kind, row.key, row.status) == ("label_ready", f"mail:label_ready:{label['tracking_code']}", "sent")
    assert row.message_id == sent.message_id == s.inbox(email)[0]["message_id"] and row.sent_at is not None

    off, off_email, _ = labelled_return(s)
    with session_scope(s.engine) as session:
        shopper_emails.set_switches(session, off.merchant_id, {MailKind.LABEL_READY: False})
    assert ActivityEnvironment().run(EmailActivities(s.engine, s.smtp).send_label_email, off).status == "switched_off"
    assert s.inbox(off_email) == [] and label_rows(s, off.return_id) == []


def test_a_refused_label_email_stops_the_returns_later_mail(s):
    req, email, label = labelled_return(s, email=f"bounce+{uuid.uuid4().hex[:8]}@example.com")
    with pytest.raises(ApplicationError) as refused:
        ActivityEnvironment().run(EmailActivities(s.engine, s.smtp).send_label_email, req)
    assert refused.value.type == ActivityErrorType.EMAIL_REJECTED  # as before: the workflow notes it
    [row] = label_rows(s, req.return_id)
    assert (row.kind, row.status, row.smtp_code) == ("label_ready", "refused", 550)
    assert "bounce+" not in row.last_error
    announced = [Announcement(key="mail:in_transit", mail=MailKind.IN_TRANSIT)]
    with session_scope(s.engine) as session:
        outbox.keep(session, req.merchant_id, req.return_id, "in_transit", announced, {}, T0)
    assert {r.kind: r.status for r in label_rows(s, req.return_id)}["in_transit"] == "suppressed"
    # A retried activity (or a new label) sends no second mail to the refusing address.
    assert ActivityEnvironment().run(EmailActivities(s.engine, s.smtp).send_label_email, req).status == "suppressed"


def test_an_email_that_cannot_be_composed_fails_alone_and_the_rest_go(s):
    shop = branded_return(s, language="en")
    with session_scope(s.engine) as session:  # a kind no release ever kept: nothing can word it
        session.add(
            ShopperEmail(
                return_id=shop.return_id,
                merchant_id=shop.merchant_id,
                kind="postcard",
                key="mail:odd",
                created_at=T0,
                next_attempt_at=T0,
            )
        )
    keep(s, shop, MailKind.RECEIVED)
    assert mailer(s).send_due(later(1)) == 2
    rows = emails(s, shop)
    assert rows["postcard"].status == "failed" and rows["postcard"].last_error == "could not be composed (ValueError)"
    assert rows["received"].status == "sent" and len(s.inbox(shop.email)) == 1


def test_an_email_another_mailer_holds_is_not_sent_and_its_returns_later_mail_waits_until_its_lease_ends(any_db):
    """A drain that died mid-send holds its email until the lease ends; meanwhile no other mailer sends it, nor the
    return's later emails past it (they keep their order); then it is due again and goes (the same Message-ID)."""
    s = any_db
    shop = branded_return(s, language="en")
    keep(s, shop, MailKind.IN_TRANSIT, MailKind.RECEIVED)
    lease_end = later(10)
    with session_scope(s.engine) as session:
        held = emails(s, shop)["in_transit"].id
        assert shopper_emails.claim(session, held, T0, lease_end)
    with session_scope(s.engine) as session:
        assert not shopper_emails.claim(session, held, later(1), later(11))  # taken: no second holder
    send = mailer(s)

    assert send.send_due(later(5)) == 0
    assert s.inbox(shop.email) == [] and emails(s, shop)["received"].attempts == 0
    assert send.send_due(lease_end) == 2
    rows = emails(s, shop)
    assert [rows["in_transit"].status, rows["received"].status] == ["sent", "sent"]
    assert rows["in_transit"].claimed_until is None
    assert [m["message_id"] for m in s.inbox(shop.email)] == [
        rows["in_transit"].message_id,
        rows["received"].message_id,
    ]


def test_an_email_gives_up_when_the_period_has_passed_since_its_first_attempt_even_after_the_drain_was_down(any_db):
    s = any_db
    shop = branded_return(s, language="en", local="tempfail")
    keep(s, shop, MailKind.IN_TRANSIT)
    send = mailer(s, give_up_after=timedelta(minutes=10))
    assert send.send_due(T0) == 1
    assert send.send_due(later(120)) == 1  # the drain was down for two hours: its second attempt is its last
    row = emails(s, shop)["in_transit"]
    assert (row.status, row.attempts, row.first_attempt_at) == ("failed", 2, T0)
