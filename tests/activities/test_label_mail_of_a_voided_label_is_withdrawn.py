"""Adversarial review of Patch.LABEL_MAIL_OUTBOX: the mailer withdraws a label email only when the return is
cancelled/expired or the label's tracking code is no longer the return's. A relabel whose void succeeded but whose
new purchase failed (Labels._relabel: flagged relabel_failed) leaves the return in label_created with the old label,
now voided (void_status set). A label email for that label still pending (retrying, or queued behind an earlier email
of the return) is then mailed: the shopper gets a label the carrier has cancelled and refunded."""

from __future__ import annotations

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


def test_a_pending_label_email_of_a_voided_label_is_withdrawn(s):
    req, email, label = labelled_return(s)
    tracking = label["tracking_code"]
    mail = Announcement(key=f"mail:label_ready:{tracking}", mail=MailKind.LABEL_READY, about=tracking)
    with session_scope(s.engine) as session:
        outbox.keep(session, req.merchant_id, req.return_id, "label_created", [mail], {}, T0)
        # The carrier cancelled the label; the relabel voided it and could not buy a new one: the projection
        # keeps the old label with its void (as state.label.model_copy(void_status=...) writes it).
        row = session.get(ReturnRecord, req.return_id)
        row.label = {**label, "void_status": "submitted"}
        session.add(row)

    mailer(s).send_due(later(1))

    assert s.inbox(email) == []  # never mail a voided label
    [row] = label_rows(s, req.return_id)
    assert row.status == "withdrawn"
