"""Attack: switching an endpoint off and on again hands an in-flight delivery to a second sender.

The first pass closed this for `redeliver` (409 delivery_pending: a pending delivery may be leased to a sender
posting it now, its next_attempt_at being the lease's end). `update_endpoint` (db/webhook_endpoints.py, the
re-enable branch) still sets `next_attempt_at = now` on EVERY pending delivery of the endpoint, leased or not.
A merchant who disables and re-enables an endpoint (PATCH enabled false, then true: the dashboard's toggle)
while an attempt is open makes that delivery due again at once: the next claim takes it and the event is posted
twice, concurrently, with a second attempt row. Re-enabling a DISABLED endpoint from the dashboard is the very
moment a merchant is watching and clicking.

A fix: on re-enable reset only the deliveries that are not leased (next_attempt_at <= now), or give leases
their own column (claimed_until, as shopper_emails has) so nothing but the claim touches it.
"""

from __future__ import annotations

from datetime import timedelta

from db import webhook_deliveries as q
from db import webhook_endpoints as endpoints
from db.session import session_scope
from db.tables import EventDelivery
from domain.notifications import EventType
from tests.activities.test_webhook_sender import T0, add
from tests.factories import new_merchant


def test_disabling_and_re_enabling_does_not_hand_an_in_flight_delivery_to_a_second_sender(engine):
    merchant_id, _, _ = new_merchant(engine)
    with session_scope(engine) as session:
        endpoint_id = endpoints.create_endpoint(session, merchant_id, "https://erp.example/hooks", None, None, T0).id
    add(engine, merchant_id, "ret_toggle_race", EventType.RETURN_RECEIVED)
    lease = timedelta(seconds=60)
    with session_scope(engine) as session:
        held = q.claim_due(session, T0, lease)  # a sender is posting it now
    assert len(held) == 1
    for on in (False, True):  # the merchant toggles the endpoint off and on meanwhile
        with session_scope(engine) as session:
            endpoints.update_endpoint(session, merchant_id, endpoint_id, {"enabled": on}, T0 + timedelta(seconds=1))
    with session_scope(engine) as session:
        again = q.claim_due(session, T0 + timedelta(seconds=2), lease)  # the first post still open
        row = session.get(EventDelivery, held[0].delivery_id)
        assert row.status == "pending"
    assert again == [], "one delivery, two senders posting it at once"


def test_held_a_disabled_endpoints_deliveries_are_not_claimed_and_re_enabling_resumes_them(engine):
    merchant_id, _, _ = new_merchant(engine)
    with session_scope(engine) as session:
        endpoint_id = endpoints.create_endpoint(session, merchant_id, "https://erp.example/hooks", None, None, T0).id
    add(engine, merchant_id, "ret_toggle_held", EventType.RETURN_RECEIVED)
    with session_scope(engine) as session:
        endpoints.update_endpoint(session, merchant_id, endpoint_id, {"enabled": False}, T0)
    with session_scope(engine) as session:
        assert q.claim_due(session, T0 + timedelta(hours=1), timedelta(seconds=60)) == []
    with session_scope(engine) as session:
        endpoints.update_endpoint(session, merchant_id, endpoint_id, {"enabled": True}, T0 + timedelta(hours=1))
    with session_scope(engine) as session:
        assert len(q.claim_due(session, T0 + timedelta(hours=1), timedelta(seconds=60))) == 1
