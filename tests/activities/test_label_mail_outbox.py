"""Since Patch.LABEL_MAIL_OUTBOX the label email is an outbox email: kept with the label's projection write
(domain.notifications) and sent by the ShopperMailer with the label and its QR code attached, only while that
label is still the shopper's. For real: the EasyPost sandbox's label, the SMTP sink, SQLite."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlmodel import select

from activities.documents import dropoff_qr
from db import outbox
from db.session import session_scope
from db.tables import ReturnRecord, ShopperEmail
from domain.notifications import Announcement, MailKind
from tests.activities.shopper_mail_setup import T0, later, mailer
from tests.activities.test_email import PNG, _setup, attachment, labelled_return
from tests.activities.test_shopper_mail import label_rows


@pytest.fixture
def s(sqlite_url, sandboxes):
    yield from _setup(sqlite_url, sandboxes)


def keep_label_mail(s, req, tracking_code: str) -> None:
    """As the projection write with the label line keeps it (key and subject from the label)."""
    mail = Announcement(key=f"mail:label_ready:{tracking_code}", mail=MailKind.LABEL_READY, about=tracking_code)
    with session_scope(s.engine) as session:
        outbox.keep(session, req.merchant_id, req.return_id, "label_created", [mail], {}, T0)


def test_the_outbox_sends_the_label_with_its_files_once(s):
    req, email, label = labelled_return(s)
    keep_label_mail(s, req, label["tracking_code"])
    send = mailer(s)
    assert send.send_due(later(1)) == 1
    [msg] = s.inbox(email)
    assert label["tracking_code"] in msg["text"] and label["label_url"] in msg["text"]
    assert attachment(msg, "dropoff-qr.png") == dropoff_qr(label["tracking_code"], "png")
    png = attachment(msg, "return-label.png")
    assert png.startswith(PNG) and png == httpx.get(label["label_url"]).content
    [row] = label_rows(s, req.return_id)
    assert (row.kind, row.status, row.message_id) == ("label_ready", "sent", msg["message_id"])
    assert send.send_due(later(2)) == 0 and len(s.inbox(email)) == 1  # sent once


def test_a_label_voided_or_replaced_before_its_turn_is_withdrawn(s):
    voided, voided_email, label = labelled_return(s, status="cancelled")  # the return ended: its label voided
    keep_label_mail(s, voided, label["tracking_code"])
    replaced, replaced_email, _ = labelled_return(s)
    keep_label_mail(s, replaced, "9400000000000000000000")  # an earlier label, since replaced by a relabel
    mailer(s).send_due(later(1))
    assert s.inbox(voided_email) == [] and s.inbox(replaced_email) == []
    for req in (voided, replaced):
        [row] = label_rows(s, req.return_id)
        assert row.status == "withdrawn" and "voided or replaced" in row.last_error


def test_a_label_file_that_cannot_be_downloaded_is_tried_again_later(s):
    req, email, label = labelled_return(s)
    missing = {**label, "label_url": label["label_url"].rsplit("/", 1)[0] + f"/missing-{uuid.uuid4().hex}.png"}
    with session_scope(s.engine) as session:
        row = session.get(ReturnRecord, req.return_id)
        row.label = missing
        session.add(row)
    keep_label_mail(s, req, label["tracking_code"])
    assert mailer(s).send_due(later(1)) == 1
    [row] = label_rows(s, req.return_id)
    assert row.status == "pending" and row.attempts == 1 and "label file" in row.last_error
    assert row.next_attempt_at == later(2)  # a minute on, like a server's 4xx
    assert s.inbox(email) == []


def test_a_new_label_withdraws_the_old_labels_email_that_was_still_retrying(s):
    req, email, label = labelled_return(s)
    keep_label_mail(s, req, "9400000000000000000001")  # the label the carrier then cancelled
    with session_scope(s.engine) as session:  # its file would not download: waiting for its retry
        [old] = session.exec(select(ShopperEmail).where(ShopperEmail.return_id == req.return_id)).all()
        old.attempts, old.next_attempt_at = 2, later(60)
        session.add(old)
    keep_label_mail(s, req, label["tracking_code"])  # the relabel's write: the new label
    assert mailer(s).send_due(later(1)) == 1  # not held back behind the old one's retry
    assert {r.about: r.status for r in label_rows(s, req.return_id)} == {
        "9400000000000000000001": "withdrawn",
        label["tracking_code"]: "sent",
    }
    assert len(s.inbox(email)) == 1
