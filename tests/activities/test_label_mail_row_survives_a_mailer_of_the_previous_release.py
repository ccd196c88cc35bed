"""Adversarial review of Patch.LABEL_MAIL_OUTBOX: during a rolling deploy the outbox drain runs "on whichever worker
polls first" (workers/main.py start_outbox), and an old drain "runs beside the new one until its next heartbeat".
A worker of the previous release has a ShopperMailer that knows no label_ready body (activities/mail_words.BODIES):
handed a label_ready row kept by a new return's projection write, it gives up on it for good ("could not be
composed: KeyError"): the row is failed and its key kept. This release's mailer opens such a row again
(db.shopper_emails.reopen_label_mail_an_older_mailer_gave_up) and sends it."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from activities.portal_links import portal_link
from db import outbox
from db.session import session_scope
from db.tables import ShopperEmail
from domain.notifications import Announcement, MailKind
from tests.activities.shopper_mail_setup import PORTAL, SECRET, T0, later, mailer
from tests.activities.test_email import _setup, labelled_return
from tests.activities.test_shopper_mail import label_rows

ROOT = Path(__file__).resolve().parents[2]
PREVIOUS = "800716e~1"  # the release before the label email moved into the outbox


def previous_mailer_module():
    # From the repository's own history (a clone carries it): the real code of that release, not a stand-in.
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{PREVIOUS}:activities/shopper_mail.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    spec = importlib.util.spec_from_loader("previous_shopper_mail", loader=None)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    exec(compile(source, "previous/activities/shopper_mail.py", "exec"), module.__dict__)
    return module


@pytest.fixture
def s(sqlite_url, sandboxes):
    yield from _setup(sqlite_url, sandboxes)


def test_an_old_release_mailer_does_not_fail_the_outbox_label_email_for_good(s):
    old = previous_mailer_module()
    req, email, label = labelled_return(s)
    tracking = label["tracking_code"]
    mail = Announcement(key=f"mail:label_ready:{tracking}", mail=MailKind.LABEL_READY, about=tracking)
    with session_scope(s.engine) as session:  # as a new return's projection write keeps it
        outbox.keep(session, req.merchant_id, req.return_id, "label_created", [mail], {}, T0)

    old_mailer = old.ShopperMailer(s.engine, s.smtp, lambda r, m: portal_link(PORTAL, SECRET, r, m))
    old_mailer.send_due(later(1))  # the previous release's drain, still running beside the new one

    [row] = label_rows(s, req.return_id)
    assert (row.status, row.last_error) == ("failed", "could not be composed: KeyError")  # as that release did
    mailer(s).send_due(later(2))  # this release's drain, its next round
    [row] = label_rows(s, req.return_id)
    assert row.status == "sent"
    [msg] = s.inbox(email)
    assert tracking in msg["text"] and {a["filename"] for a in msg["attachments"]} >= {"return-label.png"}


def test_what_this_release_gives_up_on_stays_given_up(s):
    req, email, label = labelled_return(s)
    with session_scope(s.engine) as session:
        session.add(
            ShopperEmail(
                return_id=req.return_id,
                merchant_id=req.merchant_id,
                kind="label_ready",
                key="mail:label_ready:x",
                status="failed",
                last_error="could not be composed (KeyError)",  # this release's wording
                created_at=T0,
                next_attempt_at=T0,
            )
        )
    mailer(s).send_due(later(1))
    [row] = label_rows(s, req.return_id)
    assert row.status == "failed" and s.inbox(email) == []
