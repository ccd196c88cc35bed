"""Attack: an attention event about a Shopify-style line id cannot be logged on PostgreSQL, so its delivery is
posted again every minute, forever, and the return's later events never go.

An event's id is `evt_<return id>_<key>` (workflows/ids.py merchant_event_id), its key for an attention item
`return.needs_attention:<attention key>` (domain/notifications.py: cut to a digest only past 80 characters), and
the attention key `<return id>:<kind>:<line id>` (workflows/ids.py attention_key). A real return id (28) and a
order line id of 36 characters (`shopify-LineItem-13891938517042-v4021`, a valid `Id`) make an attention key of 75
characters (kept whole: under 80) and an event id of 131. merchant_events.id and event_deliveries.event_id hold 200, but the attempt log's webhook_deliveries.event_id
(migration 0003) holds 128: on PostgreSQL `record_attempt` fails after the POST (SQLite does not check lengths).
`WebhookSender._record` raises, the round ends, nothing is recorded (not this delivery, nor the batch's others
after it), the lease runs out and the drain posts them again, every lease (about a minute), for good; being
pending, the delivery also holds back the return's later events to that endpoint.

Fix: webhook_deliveries.event_id as long as merchant_events.id (a migration), and keep event ids bounded
(digest the whole key past a length); `_record` should not let one row's failure leave the others unrecorded.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from activities.webhook_sender import WebhookSender
from db import outbox
from db.session import session_scope
from db.tables import EventDelivery
from domain.notifications import Progress, announcements
from tests.activities.test_webhook_sender import T0, make_endpoint, receiver  # noqa: F401 - the fixture
from tests.factories import new_merchant
from workflows.ids import attention_key

RETURN_ID = "ret_0123456789abcdef01234567"  # workflows.ids.new_return_id's shape: 28 characters
SHOPIFY_LINE = "shopify-LineItem-13891938517042-v4021"  # 36: a valid order line id (ID_PATTERN)


async def test_an_attention_event_about_a_shopify_line_is_delivered_once_and_recorded(
    engine,
    receiver,  # noqa: F811
):
    merchant_id, _, _ = new_merchant(engine)
    make_endpoint(engine, merchant_id, receiver)
    flagged = attention_key(RETURN_ID, "item_held", SHOPIFY_LINE)
    news = announcements(Progress(status="inspected", new_attention=((flagged, "item_held", "held for a look"),)))
    with session_scope(engine) as session:
        outbox.keep(session, merchant_id, RETURN_ID, "inspected", news, {"return_id": RETURN_ID}, T0)
    sender = WebhookSender(engine)
    failures = []
    for now in (T0, T0 + timedelta(minutes=2)):  # the round, and one after the lease ran out
        try:
            await sender.deliver_due(now)
        except Exception as err:  # noqa: BLE001 - the drain logs it and goes on: what the receiver saw is the point
            failures.append(type(err).__name__)
    assert len(receiver.seen) == 1, f"posted {len(receiver.seen)} times; rounds failed: {failures}"
    with session_scope(engine) as session:
        row = session.exec(select(EventDelivery).where(EventDelivery.merchant_id == merchant_id)).one()
        assert (row.status, row.attempts) == ("delivered", 1)
