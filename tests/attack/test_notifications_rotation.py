"""Attack (pessimist): a second rotation within the overlap retires the first old secret at once.

docs/webhooks.md promises "the old one keeps signing beside it for the overlap". `rotate_secret`
(db/webhook_endpoints.py) keeps one previous secret only: rotating again an hour later (a mistaken click, an
automated rotation, two team members) makes the *current* secret the previous one and drops the first, so every
receiver still on the first secret fails verification from that moment, 23 hours before the overlap it was given.
Either keep every secret until its own overlap ends (a small list, bounded by the 168 h maximum), or refuse a
rotation while one overlaps (409) and say so in the docs.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from db import outbox
from db import webhook_deliveries as q
from db import webhook_endpoints as endpoints
from db.session import session_scope
from domain.notifications import EventType
from tests.activities.test_webhook_sender import T0
from tests.factories import new_merchant


@pytest.mark.xfail(strict=True, reason="hole: a second rotation inside the overlap drops the first secret at once")
def test_each_replaced_secret_signs_for_its_whole_overlap(engine):
    merchant_id, _, _ = new_merchant(engine)
    with session_scope(engine) as session:
        made = endpoints.create_endpoint(session, merchant_id, "https://erp.example/hooks", None, None, T0)
        first, endpoint_id = made.secret, made.id
    with session_scope(engine) as session:
        endpoints.rotate_secret(session, merchant_id, endpoint_id, timedelta(hours=24), T0)
    with session_scope(engine) as session:  # again an hour later: the first secret was promised 23 more hours
        endpoints.rotate_secret(session, merchant_id, endpoint_id, timedelta(hours=24), T0 + timedelta(hours=1))
    now = T0 + timedelta(hours=2)
    with session_scope(engine) as session:
        targets = outbox.endpoints_wanting(session, merchant_id, EventType.RETURN_CREATED)
        event = outbox.add_event(session, merchant_id, "evt_rot", EventType.RETURN_CREATED, {}, targets, now, "r1")
        session.flush()
        [job] = q.claim_due(session, now, timedelta(minutes=1))
    assert event is not None and first in job.secrets, "a receiver on the first secret fails 22 h early"
