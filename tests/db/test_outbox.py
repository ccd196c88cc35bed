"""The notification outbox as the projection writes it (activities/store.py -> activities/announcements.py ->
db/outbox.py), on SQLite and PostgreSQL: what is kept, for whom, once."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import select
from temporalio.testing import ActivityEnvironment

from activities.store import StoreActivities
from db.session import session_scope
from db.tables import EventDelivery, Merchant, MerchantEvent, ShopperEmail, WebhookEndpoint
from domain.money import Money
from domain.returns import Resolution, ReturnReason
from domain.status import ReturnStatus
from tests.factories import new_merchant
from tests.polling import poll
from workflows.contract.requests import PickupWindow
from workflows.contract.statuses import AttentionKind, PickupStatus, SettlementStatus
from workflows.messages import (
    AttentionEntry,
    ItemView,
    Label,
    Pickup,
    ReturnProjection,
    ReturnView,
    Settlement,
    TimelineEntry,
    TimelineEvent,
)

S = ReturnStatus
E = TimelineEvent


class Life:
    """One return's projections as its workflow would write them: each `write` carries the lines noted since
    the last one and the view after them."""

    def __init__(self, merchant_id: str, start: datetime | None = None) -> None:
        self.merchant_id = merchant_id
        self.return_id = f"ret_{uuid.uuid4().hex[:24]}"
        self.start = start or datetime.now(UTC)
        self.seq = 0
        self.status = S.REQUESTED
        self.label: Label | None = None
        self.refund: Settlement | None = None
        self.expiry_days: int | None = None  # the label expiry the return started with (None: an older view)

    def line(self, status: ReturnStatus, event: TimelineEvent, cause: str = "") -> TimelineEntry:
        self.seq += 1
        self.status = status
        at = self.start + timedelta(minutes=self.seq)
        return TimelineEntry(seq=self.seq, at=at, status=status, event=event, cause=cause or f"{event} {self.seq}")

    def view(self) -> ReturnView:
        return ReturnView(
            return_id=self.return_id,
            merchant_id=self.merchant_id,
            order_id="o1",
            status=self.status,
            resolution=Resolution.REFUND,
            items=[ItemView(line_id="L1", sku="TEE", quantity=1, reason=ReturnReason.TOO_SMALL)],
            label=self.label,
            refund=self.refund,
            request_fingerprint="fp-secret",
            created_at=self.start,
            updated_at=self.start + timedelta(minutes=self.seq),
            label_expiry_days=self.expiry_days,
        )

    def write(self, *lines: tuple) -> ReturnProjection:
        entries = [self.line(*spec) for spec in lines]
        return ReturnProjection(view=self.view(), version=self.seq, new_entries=entries)

    def bought(self, code: str = "TRK1") -> None:
        self.label = Label(
            shipment_id=f"shp_{code}",
            carrier="USPS",
            service="Priority",
            tracking_code=code,
            label_url="https://labels.example/l.png",
            rate=Money(amount=700, currency="EUR"),
        )

    def refunded(self, amount: int = 2500) -> None:
        self.refund = Settlement(
            method=Resolution.REFUND, amount=Money(amount=amount, currency="EUR"), status=SettlementStatus.SUCCEEDED
        )


def refund_life(life: Life) -> list[ReturnProjection]:
    """A refund return from request to completion, in the writes the workflow makes."""
    writes = [life.write((S.REQUESTED, E.REQUESTED), (S.REQUESTED, E.POLICY))]
    life.bought()
    writes.append(life.write((S.LABEL_CREATED, E.LABEL)))
    writes.append(life.write((S.LABEL_CREATED, E.EMAIL)))
    writes.append(life.write((S.IN_TRANSIT, E.CARRIER_EVENT)))
    writes.append(life.write((S.DELIVERED, E.CARRIER_EVENT), (S.RECEIVED, E.WAREHOUSE_RECEIPT)))
    writes.append(life.write((S.INSPECTED, E.INSPECTION)))
    writes.append(life.write((S.SETTLING, E.SETTLEMENT)))
    life.refunded()
    writes.append(life.write((S.COMPLETED, E.SETTLEMENT)))
    return writes


def record(engine, *projections: ReturnProjection) -> None:
    store = StoreActivities(engine)
    for p in projections:
        ActivityEnvironment().run(store.record_return, p)


def endpoint(engine, merchant_id: str, events: list[str] | None = None, enabled: bool = True) -> str:
    endpoint_id = f"we_{uuid.uuid4().hex[:12]}"
    with session_scope(engine) as s:
        s.add(
            WebhookEndpoint(
                id=endpoint_id,
                merchant_id=merchant_id,
                url="https://hooks.example/in",
                events=events,
                secret="whsec_" + "a" * 32,
                enabled=enabled,
            )
        )
    return endpoint_id


def events(engine, return_id: str) -> list[MerchantEvent]:
    with session_scope(engine) as s:
        query = select(MerchantEvent).where(MerchantEvent.return_id == return_id).order_by(MerchantEvent.seq)
        return list(s.exec(query))


def deliveries(engine, return_id: str) -> list[EventDelivery]:
    with session_scope(engine) as s:
        query = select(EventDelivery).where(EventDelivery.return_id == return_id).order_by(EventDelivery.id)
        return list(s.exec(query))


def mails(engine, return_id: str) -> list[ShopperEmail]:
    with session_scope(engine) as s:
        query = select(ShopperEmail).where(ShopperEmail.return_id == return_id).order_by(ShopperEmail.id)
        return list(s.exec(query))


REFUND_EVENTS = [
    "return.created",
    "return.label_created",
    "return.in_transit",
    "return.delivered",
    "return.received",
    "return.inspected",
    "refund.succeeded",
    "return.completed",
]


def test_without_an_endpoint_no_event_is_kept(engine):
    merchant_id, _, _ = new_merchant(engine)
    life = Life(merchant_id)
    record(engine, *refund_life(life))
    with session_scope(engine) as s:
        assert s.exec(select(MerchantEvent).where(MerchantEvent.merchant_id == merchant_id)).all() == []
        assert s.exec(select(EventDelivery).where(EventDelivery.merchant_id == merchant_id)).all() == []
    # the shopper still hears: mail is the merchant's switch, not its endpoint's
    assert [m.kind for m in mails(engine, life.return_id)] == [
        "label_reminder",
        "in_transit",
        "received",
        "refund_sent",
    ]


def test_each_endpoint_gets_the_events_it_wants_and_a_disabled_one_none(engine):
    merchant_id, _, _ = new_merchant(engine)
    everything = endpoint(engine, merchant_id, ["*"])
    money = endpoint(engine, merchant_id, ["refund.succeeded", "return.completed"])
    disabled = endpoint(engine, merchant_id, None, enabled=False)
    other_merchant, _, _ = new_merchant(engine)
    endpoint(engine, other_merchant, None)  # another merchant's endpoint hears nothing of this return
    life = Life(merchant_id)
    record(engine, *refund_life(life))

    kept = events(engine, life.return_id)
    assert [e.type for e in kept] == REFUND_EVENTS
    assert all(e.merchant_id == merchant_id for e in kept)
    wanted = {(d.event_id, d.endpoint_id) for d in deliveries(engine, life.return_id)}
    assert len(wanted) == len(deliveries(engine, life.return_id))  # one row per event and endpoint
    by_type = {e.id: e.type for e in kept}
    assert {by_type[e] for e, ep in wanted if ep == everything} == set(REFUND_EVENTS)
    assert {by_type[e] for e, ep in wanted if ep == money} == {"refund.succeeded", "return.completed"}
    assert not any(ep == disabled for _, ep in wanted)
    assert all(
        d.status == "pending" and d.attempts == 0 and d.merchant_id == merchant_id
        for d in deliveries(engine, life.return_id)
    )


def test_only_the_events_some_endpoint_wants_are_kept(engine):
    merchant_id, _, _ = new_merchant(engine)
    only = endpoint(engine, merchant_id, ["return.received", "refund.succeeded"])
    life = Life(merchant_id)
    record(engine, *refund_life(life))
    kept = events(engine, life.return_id)
    assert [e.type for e in kept] == ["return.received", "refund.succeeded"]
    assert [(d.event_id, d.endpoint_id) for d in deliveries(engine, life.return_id)] == [(e.id, only) for e in kept]
    # the body's data is the return as the merchant reads it: its view, no request fingerprint
    data = kept[-1].payload["return"]
    assert data["return_id"] == life.return_id and data["refund"]["amount"]["amount"] == 2500
    assert "request_fingerprint" not in data
    assert kept[0].id == f"evt_{life.return_id}_return_received"  # the webhook-id: one per return and event


def test_a_retried_or_an_older_projection_adds_nothing_twice(engine):
    merchant_id, _, _ = new_merchant(engine)
    endpoint(engine, merchant_id, None)
    endpoint(engine, merchant_id, ["*"])
    life = Life(merchant_id)
    writes = refund_life(life)
    for i, projection in enumerate(writes):
        record(engine, projection, projection)  # every write retried
        if i > 1:
            record(engine, writes[i - 1], writes[1])  # and late, older writes arriving after it
    assert [e.type for e in events(engine, life.return_id)] == REFUND_EVENTS
    assert len(deliveries(engine, life.return_id)) == 2 * len(REFUND_EVENTS)
    kinds = [m.kind for m in mails(engine, life.return_id)]
    assert kinds == ["label_reminder", "in_transit", "received", "refund_sent"]


def test_a_whole_refund_return_is_announced_in_order_each_event_once(engine):
    merchant_id, _, _ = new_merchant(engine)
    endpoint(engine, merchant_id, None)
    life = Life(merchant_id)
    record(engine, *refund_life(life))
    kept = events(engine, life.return_id)
    assert [e.type for e in kept] == REFUND_EVENTS
    assert [e.seq for e in kept] == sorted(e.seq for e in kept)
    assert len({e.id for e in kept}) == len(kept)
    # the refund is news before the return completes, and each email once, in the order lived
    by_kind = {m.kind: m for m in mails(engine, life.return_id)}
    assert by_kind["in_transit"].id < by_kind["received"].id < by_kind["refund_sent"].id
    assert by_kind["refund_sent"].status == "pending" and not by_kind["refund_sent"].scheduled


def test_mail_the_merchant_switched_off_is_not_written(engine):
    merchant_id, _, _ = new_merchant(engine)
    with session_scope(engine) as s:
        merchant = s.get(Merchant, merchant_id)
        merchant.mail_off = ["in_transit", "label_reminder"]
        s.add(merchant)
    life = Life(merchant_id)
    record(engine, *refund_life(life))
    assert [m.kind for m in mails(engine, life.return_id)] == ["received", "refund_sent"]


def test_a_label_reminder_already_due_is_not_written(engine):
    merchant_id, _, _ = new_merchant(engine, label_expiry_days=2)  # expires in 2 days: reminding 3 before is too late
    life = Life(merchant_id)
    record(engine, life.write((S.REQUESTED, E.REQUESTED)))
    life.bought()
    record(engine, life.write((S.LABEL_CREATED, E.LABEL)))
    assert mails(engine, life.return_id) == []


def test_the_label_reminder_waits_for_its_time_and_is_withdrawn_at_the_first_scan(engine):
    merchant_id, _, _ = new_merchant(engine, label_expiry_days=30)
    life = Life(merchant_id)
    record(engine, life.write((S.REQUESTED, E.REQUESTED)))
    life.bought()
    record(engine, life.write((S.LABEL_CREATED, E.LABEL)))
    [reminder] = mails(engine, life.return_id)
    assert (reminder.kind, reminder.status, reminder.scheduled) == ("label_reminder", "pending", True)
    bought_at = life.start + timedelta(minutes=2)
    assert reminder.next_attempt_at == bought_at + timedelta(days=27)
    # the carrier replaces the unused label: no second reminder for the same deadline
    life.bought("TRK2")
    record(engine, life.write((S.LABEL_CREATED, E.RELABEL)))
    assert [m.kind for m in mails(engine, life.return_id)] == ["label_reminder"]

    record(engine, life.write((S.IN_TRANSIT, E.CARRIER_EVENT)))
    reminder, in_transit = mails(engine, life.return_id)
    assert (reminder.kind, reminder.status) == ("label_reminder", "withdrawn")
    assert (in_transit.kind, in_transit.status) == ("in_transit", "pending")


def test_the_label_reminder_counts_from_the_expiry_the_return_started_with(engine):
    merchant_id, _, _ = new_merchant(engine, label_expiry_days=30)  # the setting now; the return started with 10
    life = Life(merchant_id)
    life.expiry_days = 10
    record(engine, life.write((S.REQUESTED, E.REQUESTED)))
    life.bought()
    record(engine, life.write((S.LABEL_CREATED, E.LABEL)))
    [reminder] = mails(engine, life.return_id)
    assert reminder.next_attempt_at == life.start + timedelta(minutes=2) + timedelta(days=7)


def test_a_label_scanned_in_the_write_that_bought_it_gets_no_reminder(engine):
    merchant_id, _, _ = new_merchant(engine)
    life = Life(merchant_id)
    life.bought()
    record(engine, life.write((S.REQUESTED, E.REQUESTED), (S.LABEL_CREATED, E.LABEL), (S.IN_TRANSIT, E.CARRIER_EVENT)))
    assert [m.kind for m in mails(engine, life.return_id)] == ["in_transit"]


def test_after_a_refused_email_later_ones_are_suppressed(engine):
    merchant_id, _, _ = new_merchant(engine)
    life = Life(merchant_id)
    writes = refund_life(life)
    record(engine, *writes[:4])  # up to in_transit
    with session_scope(engine) as s:
        row = s.exec(
            select(ShopperEmail).where(ShopperEmail.return_id == life.return_id, ShopperEmail.kind == "in_transit")
        ).one()
        row.status, row.smtp_code = "refused", 550
        s.add(row)
    record(engine, *writes[4:])
    after = {m.kind: m for m in mails(engine, life.return_id)}
    assert after["received"].status == after["refund_sent"].status == "suppressed"
    assert after["in_transit"].status == "refused"
    assert "refused" in after["received"].last_error and "@" not in after["received"].last_error


def test_concurrent_writes_of_the_same_return_keep_each_event_once(engine):
    merchant_id, _, _ = new_merchant(engine)
    endpoint(engine, merchant_id, None)
    life = Life(merchant_id)
    writes = refund_life(life)
    store = StoreActivities(engine)
    failures: list[BaseException] = []

    def write_retrying(projection: ReturnProjection) -> None:
        # as the activity would be: retried when the database refuses the losing writer
        for _ in range(20):
            try:
                store.record_return(projection)
                return
            except (IntegrityError, OperationalError):
                continue
            except BaseException as err:  # anything else is a failure of the test
                failures.append(err)
                return
        failures.append(AssertionError("never written"))

    for projection in writes:
        barrier = threading.Barrier(3)

        def racer(p=projection, b=barrier) -> None:
            b.wait()
            write_retrying(p)

        threads = [threading.Thread(target=racer) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert failures == []
    kept = events(engine, life.return_id)
    assert [e.type for e in kept] == REFUND_EVENTS
    assert len(deliveries(engine, life.return_id)) == len(REFUND_EVENTS)
    assert [m.kind for m in mails(engine, life.return_id)] == [
        "label_reminder",
        "in_transit",
        "received",
        "refund_sent",
    ]


# ---- what the projection reads from the return's picture (activities/announcements.progress_of) ----------------
def test_a_refused_refund_is_announced_before_the_credit_given_instead(engine):
    merchant_id, _, _ = new_merchant(engine)
    endpoint(engine, merchant_id, ["refund.failed", "refund.succeeded", "store_credit.issued", "return.completed"])
    life = Life(merchant_id)
    record(engine, life.write((S.REQUESTED, E.REQUESTED)), life.write((S.SETTLING, E.SETTLEMENT)))
    life.refund = Settlement(
        method=Resolution.STORE_CREDIT, amount=Money(amount=1800, currency="EUR"), status=SettlementStatus.ISSUED
    )
    record(
        engine,
        life.write(
            (S.SETTLING, E.SETTLEMENT, "refund failed (card closed); issuing store credit instead"),
            (S.COMPLETED, E.SETTLEMENT, "store credit issued"),
        ),
    )
    assert [e.type for e in events(engine, life.return_id)] == [
        "refund.failed",
        "store_credit.issued",
        "return.completed",
    ]
    assert [m.kind for m in mails(engine, life.return_id)] == ["store_credit_issued"]


def test_a_review_tells_the_shopper_it_is_held_and_then_approved(engine):
    merchant_id, _, _ = new_merchant(engine)
    endpoint(engine, merchant_id, None)
    life = Life(merchant_id)
    record(
        engine,
        life.write((S.REQUESTED, E.REQUESTED)),
        life.write((S.PENDING_REVIEW, E.REVIEW, "held for manual review: high value")),
        life.write((S.PENDING_REVIEW, E.REVIEW, "approved by ops@shop")),
    )
    assert [e.type for e in events(engine, life.return_id)] == ["return.created", "return.pending_review"]
    assert [m.kind for m in mails(engine, life.return_id)] == ["held_for_review", "review_approved"]


def test_attention_is_an_event_about_its_item(engine):
    merchant_id, _, _ = new_merchant(engine)
    endpoint(engine, merchant_id, ["return.needs_attention"])
    life = Life(merchant_id)
    record(engine, life.write((S.REQUESTED, E.REQUESTED)))
    key = f"{life.return_id}:inspection_overdue:"
    flagged = life.write((S.RECEIVED, E.WAREHOUSE_RECEIPT), (S.RECEIVED, E.ATTENTION, "no inspection within 48 h"))
    flagged.new_attention = [
        AttentionEntry(
            key=key, kind=AttentionKind.INSPECTION_OVERDUE, reason="no inspection within 48 h", at=life.start
        )
    ]
    record(engine, flagged, flagged)
    [event] = events(engine, life.return_id)
    assert event.type == "return.needs_attention" and event.payload["subject"] == key
    assert event.payload["return"]["status"] == "received"


def test_each_pickup_is_mailed_once_and_its_reminder_withdrawn_at_the_first_scan(engine):
    merchant_id, _, _ = new_merchant(engine)
    life = Life(merchant_id)
    record(engine, life.write((S.REQUESTED, E.REQUESTED)))
    life.bought()
    record(engine, life.write((S.LABEL_CREATED, E.LABEL)))
    window = life.start + timedelta(days=3)

    def pickup(pickup_id: str, status: PickupStatus) -> None:
        life.label = life.label.model_copy(
            update={
                "pickup": Pickup(
                    pickup_id=pickup_id,
                    carrier="USPS",
                    service="pickup",
                    cost=Money(amount=0, currency="EUR"),
                    window=PickupWindow(min_datetime=window, max_datetime=window + timedelta(hours=4)),
                    status=status,
                )
            }
        )

    pickup("pu_1", PickupStatus.SCHEDULED)
    booking = life.write((S.LABEL_CREATED, E.PICKUP, "pickup booked"))
    record(engine, booking, booking)
    pickup("pu_1", PickupStatus.MISSED)
    record(engine, life.write((S.LABEL_CREATED, E.PICKUP, "pickup missed: drop it off")))
    pickup("pu_2", PickupStatus.SCHEDULED)
    record(engine, life.write((S.LABEL_CREATED, E.PICKUP, "pickup booked again")))
    written = [(m.kind, m.about) for m in mails(engine, life.return_id)]
    assert written == [
        ("label_reminder", None),
        ("pickup_booked", "pu_1"),
        ("pickup_reminder", "pu_1"),
        ("pickup_missed", "pu_1"),
        ("pickup_booked", "pu_2"),
        ("pickup_reminder", "pu_2"),
    ]
    reminder = next(m for m in mails(engine, life.return_id) if m.key == "mail:pickup_reminder:pu_2")
    assert reminder.scheduled and reminder.next_attempt_at == window - timedelta(days=1)

    pickup("pu_2", PickupStatus.PICKED_UP)
    record(engine, life.write((S.IN_TRANSIT, E.CARRIER_EVENT)))
    status = {m.key: m.status for m in mails(engine, life.return_id)}
    assert status["mail:pickup_reminder:pu_1"] == status["mail:pickup_reminder:pu_2"] == "withdrawn"
    assert status["mail:label_reminder"] == "withdrawn" and status["mail:in_transit"] == "pending"


# PostgreSQL only: SQLite has one writer at a time, so there a projection always reads after the mailer's commit.
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_reminder_sent_while_the_projection_withdraws_it_stays_sent(engine):
    # The mailer records a reminder sent while a projection (the first scan) is withdrawing it: the row
    # must say what happened (sent), not what the projection read a moment before (pending).
    merchant_id, _, _ = new_merchant(engine)
    life = Life(merchant_id)
    record(engine, life.write((S.REQUESTED, E.REQUESTED)))
    life.bought()
    record(engine, life.write((S.LABEL_CREATED, E.LABEL)))
    scanned = life.write((S.IN_TRANSIT, E.CARRIER_EVENT))
    reminder = update(ShopperEmail).where(
        ShopperEmail.return_id == life.return_id, ShopperEmail.kind == "label_reminder"
    )
    errors: list[BaseException] = []
    with engine.connect() as mailer, engine.connect() as watcher:
        mailer_pid = mailer.execute(text("SELECT pg_backend_pid()")).scalar_one()
        mailer.execute(reminder.values(status="sent", smtp_code=250))  # not yet committed: it holds the row

        def project() -> None:
            try:
                record(engine, scanned)
            except BaseException as err:
                errors.append(err)

        projection = threading.Thread(target=project)
        projection.start()
        waiting = text("SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))")

        def blocked() -> int:
            count = watcher.execute(waiting, {"pid": mailer_pid}).scalar_one()
            watcher.rollback()  # pg_stat_activity is read once per transaction
            return count

        poll(
            blocked,
            timeout=30,
            what="the projection waiting for the mailer's row",
        )
        mailer.commit()
        projection.join(timeout=60)
    assert errors == []
    status = {m.kind: m.status for m in mails(engine, life.return_id)}
    assert status == {"label_reminder": "sent", "in_transit": "pending"}


def test_news_once_past_is_not_told_to_an_endpoint_or_a_switch_added_later(engine):
    merchant_id, _, _ = new_merchant(engine)
    with session_scope(engine) as s:
        merchant = s.get(Merchant, merchant_id)
        merchant.mail_off = ["refund_sent"]
        s.add(merchant)
    life = Life(merchant_id)
    record(engine, life.write((S.REQUESTED, E.REQUESTED)))
    life.bought()
    record(engine, life.write((S.LABEL_CREATED, E.LABEL)))
    endpoint(engine, merchant_id, None)  # the merchant starts listening while the label waits
    record(engine, life.write((S.LABEL_CREATED, E.PICKUP, "pickup booking refused")))
    assert events(engine, life.return_id) == []  # the label is old news: no return.label_created now
    record(engine, life.write((S.IN_TRANSIT, E.CARRIER_EVENT)), life.write((S.RECEIVED, E.WAREHOUSE_RECEIPT)))
    life.refunded()
    record(engine, life.write((S.INSPECTED, E.INSPECTION), (S.SETTLING, E.SETTLEMENT), (S.COMPLETED, E.SETTLEMENT)))
    completed = [e.type for e in events(engine, life.return_id)]
    assert completed == [
        "return.in_transit",
        "return.received",
        "return.inspected",
        "refund.succeeded",
        "return.completed",
    ]

    with session_scope(engine) as s:  # after the end: refund mail switched on, a second endpoint
        merchant = s.get(Merchant, merchant_id)
        merchant.mail_off = []
        s.add(merchant)
    endpoint(engine, merchant_id, ["*"])
    record(engine, life.write((S.COMPLETED, E.ROUTING, "L1 restocked at wh_demo_nl")))  # items routed days later
    assert [e.type for e in events(engine, life.return_id)] == completed
    assert "refund_sent" not in [m.kind for m in mails(engine, life.return_id)]
