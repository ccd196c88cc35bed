"""Attack (pessimist): a second rotation within the overlap retires the first old secret at once.

docs/webhooks.md promises "the old one keeps signing beside it for the overlap". `rotate_secret`
(db/webhook_endpoints.py) keeps one previous secret only: rotating again an hour later (a mistaken click, an
automated rotation, two team members) makes the *current* secret the previous one and drops the first, so every
receiver still on the first secret fails verification from that moment, 23 hours before the overlap it was given.
Fixed by refusing: while a replaced secret still overlaps, another rotation is refused (the API: 409
`rotation_in_progress`, with `until`); `overlap_hours: 0` is always taken and retires every old secret at once.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from db import outbox
from db import webhook_deliveries as q
from db import webhook_endpoints as endpoints
from db.session import session_scope
from db.tables import EventDelivery
from domain.notifications import EventType
from tests.activities.test_webhook_sender import T0
from tests.factories import new_merchant


def _secrets_at(engine, merchant_id: str, now, event_id: str) -> tuple[str, ...]:
    with session_scope(engine) as session:
        targets = outbox.endpoints_wanting(session, merchant_id, EventType.RETURN_CREATED)
        event = outbox.add_event(session, merchant_id, event_id, EventType.RETURN_CREATED, {}, targets, now, event_id)
        session.flush()
        ids = session.exec(select(EventDelivery.id).where(EventDelivery.event_seq == event.seq)).all()
        [job] = q.jobs(session, list(ids), now)  # what the sender would sign it with at `now`
    return job.secrets


def test_each_replaced_secret_signs_for_its_whole_overlap(engine):
    merchant_id, _, _ = new_merchant(engine)
    with session_scope(engine) as session:
        made = endpoints.create_endpoint(session, merchant_id, "https://erp.example/hooks", None, None, T0)
        first, endpoint_id = made.secret, made.id
    with session_scope(engine) as session:
        second = endpoints.rotate_secret(session, merchant_id, endpoint_id, timedelta(hours=24), T0).secret
    # Again an hour later: the first secret was promised 23 more hours, so the rotation is refused, saying until when.
    with pytest.raises(endpoints.RotationInProgress) as refused, session_scope(engine) as session:
        endpoints.rotate_secret(session, merchant_id, endpoint_id, timedelta(hours=24), T0 + timedelta(hours=1))
    assert refused.value.until == T0 + timedelta(hours=24)
    assert _secrets_at(engine, merchant_id, T0 + timedelta(hours=23), "r1") == (second, first)
    # Once the overlap is over, a rotation is taken and the first secret is gone as announced.
    with session_scope(engine) as session:
        third = endpoints.rotate_secret(
            session, merchant_id, endpoint_id, timedelta(hours=24), T0 + timedelta(hours=25)
        )
    assert _secrets_at(engine, merchant_id, T0 + timedelta(hours=26), "r2") == (third.secret, second)


def test_no_overlap_retires_every_old_secret_at_once_even_during_an_overlap(engine):
    """A leaked secret must be stoppable now: `overlap_hours: 0` is never refused."""
    merchant_id, _, _ = new_merchant(engine)
    with session_scope(engine) as session:
        endpoint_id = endpoints.create_endpoint(session, merchant_id, "https://erp.example/hooks", None, None, T0).id
    with session_scope(engine) as session:
        endpoints.rotate_secret(session, merchant_id, endpoint_id, timedelta(hours=24), T0)
    with session_scope(engine) as session:
        fresh = endpoints.rotate_secret(session, merchant_id, endpoint_id, timedelta(0), T0 + timedelta(hours=1)).secret
    assert _secrets_at(engine, merchant_id, T0 + timedelta(hours=2), "r1") == (fresh,)
