"""Adversarial review of Patch.LABEL_MAIL_OUTBOX: a label email whose label file cannot be downloaded is retried
like a 4xx for the whole give-up period (3 days), and it is withdrawn only when the return is cancelled/expired or
relabelled. Once the carrier has scanned the parcel the label is used: the label email is pointless, yet it stays
pending and, the outbox sending in order per return, holds back every later email of the return (in transit,
received, refund sent) for up to 3 days."""

from __future__ import annotations

import uuid

import pytest

from db import outbox
from db.session import session_scope
from db.tables import ReturnRecord
from domain.notifications import Announcement, MailKind
from tests.activities.shopper_mail_setup import T0, later, mailer
from tests.activities.test_email import _setup, labelled_return
from tests.activities.test_shopper_mail import label_rows


@pytest.fixture
def s(sqlite_url, sandboxes):
    yield from _setup(sqlite_url, sandboxes)


def test_a_failing_label_email_does_not_hold_back_the_in_transit_email_after_the_first_scan(s):
    req, email, label = labelled_return(s)
    broken = {**label, "label_url": label["label_url"].rsplit("/", 1)[0] + f"/missing-{uuid.uuid4().hex}.png"}
    with session_scope(s.engine) as session:
        row = session.get(ReturnRecord, req.return_id)
        row.label = broken  # the carrier's file server answers 404 for this label
        session.add(row)
    tracking = label["tracking_code"]
    mail = Announcement(key=f"mail:label_ready:{tracking}", mail=MailKind.LABEL_READY, about=tracking)
    with session_scope(s.engine) as session:
        outbox.keep(session, req.merchant_id, req.return_id, "label_created", [mail], {}, T0)
    send = mailer(s)
    send.send_due(later(1))  # the download fails: tried again later

    # The shopper printed the label from the portal and the carrier scanned the parcel.
    with session_scope(s.engine) as session:
        row = session.get(ReturnRecord, req.return_id)
        row.status = "in_transit"
        session.add(row)
        in_transit = Announcement(key="mail:in_transit", mail=MailKind.IN_TRANSIT)
        outbox.keep(session, req.merchant_id, req.return_id, "in_transit", [in_transit], {}, later(1.5))

    for minutes in (3, 10, 60, 6 * 60, 24 * 60):  # a day of drain rounds
        send.send_due(later(minutes))

    statuses = {row.kind: row.status for row in label_rows(s, req.return_id)}
    # The label was used: its email is pointless now and must not hold the return's later mail.
    assert statuses["in_transit"] == "sent", statuses
    assert statuses["label_ready"] != "pending", statuses
