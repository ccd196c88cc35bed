"""Attack: fifty returns whose first email is in its 4xx retry stop every other shopper's email, for up to 3 days.

`due_by_return` (db/shopper_emails.py) picks the round's returns from the oldest *due* rows (50 returns at most)
and `ShopperMailer.send_due` then stops at each return's first email that is waiting for its retry (order per
return). A return whose first email got a 4xx (greylisting, a full mailbox, a mail provider's rate limit) and whose
next email is due is picked every round and sends nothing. Fifty such returns with older rows fill the round: no
other return's email is ever picked, for every merchant, until their retries give up (3 days). A provider that
greylists a popular domain for a while (gmail.com 421s under load) is enough.

Fix: pick only returns whose head is due (the first pending email, by id, of each return is due), e.g. exclude
returns with a pending email that has attempts > 0 and next_attempt_at > now from the due-return query, or keep
taking returns until `returns` of them have something sendable.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from db.session import session_scope
from db.tables import ShopperEmail
from domain.notifications import MailKind
from tests.activities.shopper_mail_setup import T0, branded_return, keep, mailer
from tests.activities.test_email import _setup

GREYLISTED = 50  # due_by_return's `returns`


@pytest.fixture
def any_db(database_url, sandboxes):
    yield from _setup(database_url, sandboxes)


def test_returns_waiting_for_a_retry_do_not_stop_everyone_elses_email(any_db):
    s = any_db
    send = mailer(s)
    for _ in range(GREYLISTED):  # their first email is tried once, answered 451, and waits a minute
        shop = branded_return(s, language="en", local="tempfail")
        keep(s, shop, MailKind.RECEIVED, MailKind.REFUND_SENT, status="completed")
    assert send.send_due(T0) == GREYLISTED
    ok = branded_return(s, language="en")  # an ordinary shopper, whose parcel arrived ten seconds later
    keep(s, ok, MailKind.RECEIVED, now=T0 + timedelta(seconds=10), status="received")
    send.send_due(T0 + timedelta(seconds=20))
    with session_scope(s.engine) as session:
        row = session.exec(select(ShopperEmail).where(ShopperEmail.return_id == ok.return_id)).one()
        assert row.status == "sent", "another return's 'received' email was not even tried"
    assert len(s.inbox(ok.email)) == 1
