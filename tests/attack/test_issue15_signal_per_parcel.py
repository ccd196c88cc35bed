"""Attack on the webhook's signal filter (api/routers/webhooks.py, domain.carrier.worth_signalling): a status
equal to the last one signalled for the return was skipped, whichever parcel it was about.

- The carrier cancels a label unused: the workflow buys the shopper a new one (workflows/returns/labels.py
  `_relabel`). If the carrier cancels that new label too, its `cancelled` equals the last status signalled (the
  first label's) and was never signalled: no third label, the shopper holds a dead one until the return expires.
- A return of two parcels: the first one's `failure` goes to ops; the second one's was dropped as a repeat.

A repeat is a repeat of the same parcel (its tracker), not of another one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from api.routers.webhooks import _match
from db.seed import seed_merchant
from db.session import make_engine, session_scope
from db.tables import CarrierEventRecord, ReturnParcel, ReturnRecord
from tests.factories import insert_order

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def tracker_event(event_id: str, tracker_id: str, code: str, status: str) -> dict:
    result = {"object": "Tracker", "id": tracker_id, "tracking_code": code, "status": status}
    return {"id": event_id, "object": "Event", "description": "tracker.updated", "result": result}


def signalled(event: dict, return_id: str, at: datetime) -> CarrierEventRecord:
    r = event["result"]
    return CarrierEventRecord(
        event_id=event["id"],
        description="tracker.updated",
        return_id=return_id,
        tracker_id=r["id"],
        tracking_code=r["tracking_code"],
        tracking_status=r["status"],
        payload=event,
        signalled=True,
        received_at=at,
    )


def a_return(engine, status: str, tracker_id: str, code: str) -> str:
    seed_merchant(
        engine,
        merchant_id="m1",
        name="Shop",
        merchant_key="rf_test_sig_merchant_000001",
        warehouse_key="rf_test_sig_w_0001",
    )
    order = insert_order(engine, "m1", None)
    with session_scope(engine) as s:
        s.add(
            ReturnRecord(
                id="ret_sig1",
                merchant_id="m1",
                order_id=order.id,
                status=status,
                resolution="refund",
                items=[],
                request_fingerprint="f",
                tracker_id=tracker_id,
                tracking_code=code,
                created_at=T0,
                updated_at=T0,
            )
        )
    return "ret_sig1"


def test_the_replacement_labels_own_cancel_is_signalled(sqlite_url):
    engine = make_engine(sqlite_url)
    # The first label (trk_1) was cancelled unused and signalled; the workflow bought trk_2 and recorded it.
    return_id = a_return(engine, "label_created", "trk_2", "CODE2")
    with session_scope(engine) as s:
        s.add(signalled(tracker_event("evt_1", "trk_1", "CODE1", "cancelled"), return_id, T0))
    with Session(engine) as s:
        seen, matched, news = _match(s, tracker_event("evt_2", "trk_2", "CODE2", "cancelled"))
        assert (seen, matched) == (None, return_id)
        assert news, "the new label's cancel must reach the workflow: it buys the shopper another label"
        # The same parcel's status again is still a repeat.
        s.add(signalled(tracker_event("evt_3", "trk_2", "CODE2", "cancelled"), return_id, T0 + timedelta(hours=1)))
        s.commit()
        assert _match(s, tracker_event("evt_4", "trk_2", "CODE2", "cancelled"))[2] is False
    engine.dispose()


def test_a_second_parcels_exception_goes_to_ops_too(sqlite_url):
    engine = make_engine(sqlite_url)
    return_id = a_return(engine, "in_transit", "trk_a", "CODEA")
    with session_scope(engine) as s:
        s.add(ReturnParcel(merchant_id="m1", return_id=return_id, parcel=2, tracker_id="trk_b", tracking_code="CODEB"))
        s.add(signalled(tracker_event("evt_a", "trk_a", "CODEA", "failure"), return_id, T0))
    with Session(engine) as s:
        _, matched, news = _match(s, tracker_event("evt_b", "trk_b", "CODEB", "failure"))
        assert matched == return_id and news, "parcel b's failure is news for ops"
    engine.dispose()
