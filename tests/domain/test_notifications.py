"""domain.notifications: what a return's progress announces to the merchant's endpoints and the shopper.

The outbox (db/outbox.py) keeps each announcement once per (return, key); these tests pin what the
projection hands it: which event and email each step implies, in which order, under which key.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.notifications import (
    FINAL,
    REMINDER_BEFORE_EXPIRY,
    SUBSCRIBABLE,
    Announcement,
    EventType,
    MailKind,
    PickupFacts,
    Progress,
    Step,
    announcements,
    still_wanted,
    wanted_by,
    withdrawn,
)
from domain.status import ReturnStatus

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def step(seq: int, status: str, event: str = "", cause: str = "") -> Step:
    return Step(seq=seq, at=T0 + timedelta(hours=seq), status=status, event=event or status, cause=cause)


def names(found: list[Announcement]) -> list[str]:
    """Events by their type, emails as `mail:<kind>`, in the order announced."""
    return [a.event.value if a.event else f"mail:{a.mail.value}" for a in found]


# ---- each status -----------------------------------------------------------------------------------------------
STATUS_EVENT = {
    "requested": "return.created",
    "pending_review": "return.pending_review",
    "rejected": "return.rejected",
    "label_created": "return.label_created",
    "awaiting_hand_in": "return.awaiting_hand_in",
    "in_transit": "return.in_transit",
    "delivered": "return.delivered",
    "received": "return.received",
    "inspected": "return.inspected",
    "settling": None,  # the money news says it (refund.succeeded, store_credit.issued, ...)
    "completed": "return.completed",
    "cancelled": "return.cancelled",
    "expired": "return.expired",
}
STATUS_MAIL = {
    "awaiting_hand_in": "mail:hand_in_ready",
    "pending_review": "mail:held_for_review",
    "rejected": "mail:rejected",
    "in_transit": "mail:in_transit",
    "delivered": "mail:in_transit",  # a first scan at delivery: the parcel was on its way
    "received": "mail:received",
    "cancelled": "mail:cancelled",
    "expired": "mail:expired",
}


STATUS_EVENTS = {EventType(e) for e in STATUS_EVENT.values() if e}
STATUS_MAILS = {MailKind(m.removeprefix("mail:")) for m in STATUS_MAIL.values()}


def test_every_status_is_mapped():
    assert set(STATUS_EVENT) == {s.value for s in ReturnStatus}


@pytest.mark.parametrize("status", list(STATUS_EVENT))
def test_each_status_announces_its_event_and_email(status):
    found = announcements(Progress(status=status, steps=(step(1, status),)))
    expected = [e for e in (STATUS_EVENT[status], STATUS_MAIL.get(status)) if e]
    assert names(found) == expected
    for a in found:  # a status's news is keyed by what it is, nothing else: once per return
        assert a.key == (a.event.value if a.event else f"mail:{a.mail.value}")
        assert a.due_at is None and a.about is None


def test_a_status_written_by_several_lines_is_announced_once():
    progress = Progress(
        status="label_created",
        steps=(
            step(1, "label_created", "label"),
            step(2, "label_created", "email"),
            step(3, "label_created", "pickup"),
        ),
    )
    assert names(announcements(progress)) == ["return.label_created"]


def test_a_batch_is_announced_in_lifecycle_order():
    progress = Progress(
        status="inspected",
        steps=(
            step(1, "label_created", "label"),
            step(2, "in_transit", "carrier_event"),
            step(3, "delivered", "carrier_event"),
            step(4, "received", "warehouse_receipt"),
            step(5, "inspected", "inspection"),
        ),
    )
    assert names(announcements(progress)) == [
        "return.label_created",
        "return.in_transit",
        "mail:in_transit",
        "return.delivered",  # its email is the in_transit one, already announced
        "return.received",
        "mail:received",
        "return.inspected",
    ]


# ---- money and shipments -----------------------------------------------------------------------------------------
CLOSING = (step(7, "settling", "settlement"), step(8, "completed", "settlement"), step(9, "completed", "routing"))


def settled(**picture) -> list[str]:
    return names(announcements(Progress(status="completed", steps=CLOSING, **picture)))


def test_a_refund_is_announced_before_the_return_completes():
    assert settled(settlement_method="refund", settlement_status="succeeded", settlement_amount=9499) == [
        "refund.succeeded",
        "mail:refund_sent",
        "return.completed",
    ]


def test_a_refund_not_yet_succeeded_or_of_nothing_is_not_announced():
    assert settled(settlement_method="refund", settlement_status="pending", settlement_amount=9499) == [
        "return.completed"
    ]
    assert settled(settlement_method="refund", settlement_status="succeeded", settlement_amount=0) == [
        "return.completed"
    ]
    assert settled(settlement_method="refund", settlement_status="held_for_ops", settlement_amount=10) == [
        "return.completed"
    ]


def test_store_credit_is_announced_before_the_return_completes():
    assert settled(settlement_method="store_credit", settlement_status="issued", settlement_amount=500) == [
        "store_credit.issued",
        "mail:store_credit_issued",
        "return.completed",
    ]


def test_a_refused_refund_is_announced_then_the_credit_given_instead():
    steps = (
        step(7, "settling", "settlement"),
        step(8, "settling", "settlement", "refund failed (card closed); issuing store credit instead"),
        step(9, "completed", "settlement"),
    )
    progress = Progress(
        status="completed",
        steps=steps,
        settlement_method="store_credit",
        settlement_status="issued",
        settlement_amount=500,
        refund_failed=True,
    )
    assert names(announcements(progress)) == [
        "refund.failed",
        "store_credit.issued",
        "mail:store_credit_issued",
        "return.completed",
    ]


def test_an_exchange_ships_and_charges_before_it_completes_and_a_failed_charge_tells_the_shopper():
    assert settled(
        settlement_method="exchange",
        settlement_status="charged",
        replacements_shipped=("TRK1",),
        exchange_charged=True,
        settlement_amount=1000,
    ) == [
        "exchange.shipped",
        "mail:exchange_shipped",
        "exchange.charged",
        "return.completed",
    ]
    assert settled(settlement_method="exchange", settlement_status="charge_failed", settlement_amount=1000) == [
        "mail:money_owed",
        "return.completed",
    ]


def test_money_news_without_a_final_status_comes_at_the_end_of_the_write():
    # A trusted shopper refunded at the first scan: the refund is news of that write.
    progress = Progress(
        status="in_transit",
        steps=(step(3, "in_transit", "carrier_event"), step(4, "in_transit", "settlement", "instant refund")),
        settlement_method="refund",
        settlement_status="succeeded",
        settlement_amount=100,
    )
    assert names(announcements(progress)) == [
        "return.in_transit",
        "mail:in_transit",
        "refund.succeeded",
        "mail:refund_sent",
    ]


# ---- review --------------------------------------------------------------------------------------------------------
def test_the_shopper_hears_of_an_approval_only():
    held = step(2, "pending_review", "review", "held for manual review: high value")
    approved = step(3, "pending_review", "review", "approved by ops@shop: looks fine")
    rejected = step(3, "rejected", "review", "rejected by ops@shop")
    assert names(announcements(Progress(status="pending_review", steps=(held,)))) == [
        "return.pending_review",
        "mail:held_for_review",
    ]
    assert names(announcements(Progress(status="pending_review", steps=(approved,)))) == [
        "return.pending_review",
        "mail:held_for_review",
        "mail:review_approved",
    ]
    assert "mail:review_approved" not in names(announcements(Progress(status="rejected", steps=(held, rejected))))
    # "approved" said by another kind of line is not a review's approval
    other = step(3, "pending_review", "attention", "approved by nobody")
    assert "mail:review_approved" not in names(announcements(Progress(status="pending_review", steps=(other,))))


# ---- the label reminder --------------------------------------------------------------------------------------------
def label_write(code: str = "TRK1", expires_at: datetime | None = T0 + timedelta(days=30)) -> Progress:
    return Progress(
        status="label_created",
        steps=(step(2, "label_created", "label"),),
        label_tracking_code=code,
        label_expires_at=expires_at,
    )


def reminder(found: list[Announcement]) -> Announcement | None:
    return next((a for a in found if a.mail == MailKind.LABEL_REMINDER), None)


def test_the_label_reminder_falls_due_three_days_before_the_label_expires():
    found = announcements(label_write())
    r = reminder(found)
    assert r is not None and r.due_at == T0 + timedelta(days=27) and REMINDER_BEFORE_EXPIRY == timedelta(days=3)
    assert names(found) == ["return.label_created", "mail:label_reminder"]


def test_no_label_reminder_without_an_expiry():
    assert reminder(announcements(label_write(expires_at=None))) is None  # an advance exchange's original


def test_the_label_reminder_is_one_per_return_whatever_label_the_shopper_holds():
    # The carrier cancelled the unused label and the shopper got a new one: the deadline did not move,
    # so a second reminder (for the new tracking code) would tell the same thing twice.
    first = reminder(announcements(label_write("TRK1")))
    again = reminder(announcements(label_write("TRK2")))
    assert first.key == again.key


def test_the_label_reminder_is_sent_only_while_the_label_is_unused():
    assert still_wanted(MailKind.LABEL_REMINDER, None, "label_created", None)
    for status in ("in_transit", "delivered", "received", "cancelled", "expired", "completed"):
        assert not still_wanted(MailKind.LABEL_REMINDER, None, status, None)
        assert withdrawn(MailKind.LABEL_REMINDER, status)
    for status in ("requested", "pending_review", "label_created"):
        assert not withdrawn(MailKind.LABEL_REMINDER, status)


# ---- the label email (Patch.LABEL_MAIL_OUTBOX) ---------------------------------------------------------------------
def test_a_return_whose_label_mail_is_the_outboxs_mails_each_label_it_gets_before_the_reminder():
    first = replace(label_write("TRK1"), label_mail=True)
    assert names(announcements(first)) == ["return.label_created", "mail:label_ready", "mail:label_reminder"]
    [mail] = [a for a in announcements(first) if a.mail == MailKind.LABEL_READY]
    assert (mail.key, mail.about, mail.due_at) == ("mail:label_ready:TRK1", "TRK1", None)
    # The carrier cancelled it unused: the old label voided and a new one bought, in one write.
    relabel = Progress(
        status="label_created",
        steps=(step(5, "label_created", "relabel", "label TRK1 voided"), step(6, "label_created", "relabel")),
        status_before="label_created",
        label_tracking_code="TRK2",
        label_mail=True,
    )
    assert [a.key for a in announcements(relabel)] == ["mail:label_ready:TRK2"]
    # Nothing else about the label mails it again (a pickup line, a later write that still shows the label).
    pickup = Progress(status="label_created", steps=(step(7, "label_created", "pickup"),), label_tracking_code="TRK2")
    assert MailKind.LABEL_READY not in {a.mail for a in announcements(replace(pickup, label_mail=True))}


def test_a_return_that_mails_its_label_itself_keeps_no_label_email():
    assert MailKind.LABEL_READY not in {a.mail for a in announcements(label_write())}  # label_mail False
    assert MailKind.LABEL_READY not in {
        a.mail for a in announcements(replace(label_write(), label_mail=True, label_tracking_code=None))
    }


# ---- pickups ---------------------------------------------------------------------------------------------------------
WINDOW = T0 + timedelta(days=2)


def pickup_write(pickup_id: str, status: str, seq: int = 3, cause: str = "pickup booked") -> Progress:
    return Progress(
        status="label_created",
        steps=(step(seq, "label_created", "pickup", cause),),
        pickup=PickupFacts(pickup_id, status, WINDOW),
    )


def pickup_mail(progress: Progress) -> list[Announcement]:
    return [a for a in announcements(progress) if a.mail is not None]


def test_a_booked_pickup_is_confirmed_and_reminded_of_the_day_before():
    found = pickup_mail(pickup_write("pu_1", "scheduled"))
    assert names(found) == ["mail:pickup_booked", "mail:pickup_reminder"]
    booked, remind = found
    assert (booked.key, booked.about, booked.due_at) == ("mail:pickup_booked:pu_1", "pu_1", None)
    assert (remind.key, remind.about, remind.due_at) == (
        "mail:pickup_reminder:pu_1",
        "pu_1",
        WINDOW - timedelta(days=1),
    )


def test_a_missed_pickup_offers_the_drop_off_and_each_pickup_has_its_own_keys():
    missed = pickup_mail(pickup_write("pu_1", "missed", seq=5))
    assert "mail:pickup_missed:pu_1" in [a.key for a in missed]
    second = pickup_mail(pickup_write("pu_2", "scheduled", seq=6))
    assert {a.key for a in second} == {"mail:pickup_booked:pu_2", "mail:pickup_reminder:pu_2"}


def test_a_pickup_the_carrier_called_off_offers_the_drop_off_too():
    found = pickup_mail(pickup_write("pu_1", "cancelled_by_carrier", seq=5))
    assert "mail:pickup_missed:pu_1" in [a.key for a in found]


def test_a_pickup_is_news_in_the_write_of_its_line_only():
    booked = pickup_write("pu_1", "scheduled")
    later = replace(booked, steps=(step(4, "label_created", "email", "label emailed"),), status_before="label_created")
    assert pickup_mail(later) == []  # still shown, no longer news
    gone = pickup_write("pu_1", "cancelled", seq=5, cause="pickup cancelled: the return was cancelled")
    assert pickup_mail(gone) == []  # no "booked" for a pickup that is no more


def test_a_pickup_is_announced_where_it_was_booked_not_after_later_steps():
    # A first scan that came while the booking was written: the booking is older news.
    progress = Progress(
        status="in_transit",
        steps=(step(3, "label_created", "pickup", "pickup booked"), step(4, "in_transit", "carrier_event")),
        pickup=PickupFacts("pu_1", "scheduled", WINDOW),  # the watch marks it picked up later
    )
    assert names(announcements(progress)) == [
        "return.label_created",
        "mail:pickup_booked",
        "mail:pickup_reminder",
        "return.in_transit",
        "mail:in_transit",
    ]


def test_the_pickup_reminder_is_sent_only_for_the_scheduled_pickup_it_is_about():
    scheduled = PickupFacts("pu_1", "scheduled", WINDOW)
    assert still_wanted(MailKind.PICKUP_REMINDER, "pu_1", "label_created", scheduled)
    assert not still_wanted(MailKind.PICKUP_REMINDER, "pu_1", "label_created", None)
    assert not still_wanted(MailKind.PICKUP_REMINDER, "pu_0", "label_created", scheduled)
    for status in ("picked_up", "cancelled", "missed", "cancelled_by_carrier"):
        assert not still_wanted(MailKind.PICKUP_REMINDER, "pu_1", "label_created", replace(scheduled, status=status))
    assert withdrawn(MailKind.PICKUP_REMINDER, "in_transit")  # the parcel is on its way: nobody needs reminding
    assert not withdrawn(MailKind.PICKUP_REMINDER, "label_created")


def test_a_label_email_still_pending_once_the_label_is_used_is_withdrawn():
    # Retrying (a label file that would not download), it would hold back the return's later emails.
    for status in ("in_transit", "delivered", "received", "cancelled", "expired", "completed"):
        assert withdrawn(MailKind.LABEL_READY, status)
    for status in ("requested", "pending_review", "label_created"):
        assert not withdrawn(MailKind.LABEL_READY, status)


def test_other_mail_is_always_still_wanted_and_never_withdrawn():
    for kind in MailKind:
        if kind not in (MailKind.LABEL_REMINDER, MailKind.PICKUP_REMINDER, MailKind.LABEL_READY):
            assert still_wanted(kind, None, "completed", None)
            assert not withdrawn(kind, "completed")


# ---- attention ------------------------------------------------------------------------------------------------------
def test_attention_is_announced_where_it_was_flagged_once_per_key():
    steps = (
        step(5, "received", "warehouse_receipt"),
        step(6, "received", "attention", "no inspection within 48 h"),
        step(7, "inspected", "inspection"),
    )
    progress = Progress(
        status="inspected",
        steps=steps,
        new_attention=(("ret_1:inspection_overdue:", "inspection_overdue", "no inspection within 48 h"),),
    )
    found = announcements(progress)
    assert names(found) == ["return.received", "mail:received", "return.needs_attention", "return.inspected"]
    flagged = found[2]
    assert (
        flagged.key == "return.needs_attention:ret_1:inspection_overdue:"
        and flagged.about == "ret_1:inspection_overdue:"
    )


def test_a_long_attention_key_gives_a_bounded_key():
    long_key = "ret_1:side_effect_failing:" + "x" * 400
    found = announcements(Progress(status="received", new_attention=((long_key, "side_effect_failing", "r"),)))
    [a] = found
    assert len(a.key) <= 120 and a.event == EventType.RETURN_NEEDS_ATTENTION
    other = announcements(Progress(status="received", new_attention=((long_key + "y", "side_effect_failing", "r"),)))
    assert other[0].key != a.key


# ---- the endpoint's filter -----------------------------------------------------------------------------------------
def test_an_endpoint_filter_says_which_events_it_wants():
    for event in SUBSCRIBABLE:
        assert wanted_by(None, event) and wanted_by(["*"], event)
        assert wanted_by([event.value], event)
    assert not wanted_by(["refund.succeeded"], EventType.RETURN_CREATED)
    assert wanted_by(["refund.succeeded", "return.created"], EventType.RETURN_CREATED)
    assert wanted_by(["refund.succeeded"], EventType.PING)  # a ping goes to whoever is asked
    assert EventType.PING not in SUBSCRIBABLE


# ---- a whole return, written in batches ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Moment:
    """One timeline line and what the return's picture is right after it (as the projection would see it)."""

    step: Step
    picture: dict


def life(draw) -> list[Moment]:
    """A return's life as the workflow writes it: statuses by the allowed transitions, notes between them,
    money and shipments settled in the write that ends the return."""
    moments: list[Moment] = []
    picture: dict = {}

    def add(status: str, event: str, cause: str = "", **facts) -> None:
        picture.update(facts)
        moments.append(Moment(step(len(moments) + 1, status, event, cause), dict(picture)))

    add("requested", "requested")
    add("requested", "policy", "evaluated")
    if draw(st.booleans()):
        add("pending_review", "review", "held for manual review: value")
        add("pending_review", "attention", "waiting for a person's review")
        outcome = draw(st.sampled_from(["approve", "reject", "cancel"]))
        if outcome == "reject":
            add("rejected", "review", "rejected by ops")
            return moments
        if outcome == "cancel":
            add("cancelled", "cancel", "changed my mind")
            return moments
        add("pending_review", "review", "approved by ops")
    if draw(st.booleans()):  # a store return: no label
        add("awaiting_hand_in", "hand_in", "to be handed in")
        if draw(st.booleans()):
            add(draw(st.sampled_from(["cancelled", "expired"])), "expiry", "not handed in")
            return moments
        add("received", "hand_in", "handed in")
    else:
        add(
            "label_created",
            "label",
            "label TRK1 bought",
            label_tracking_code="TRK1",
            label_expires_at=T0 + timedelta(days=30),
        )
        add("label_created", "email", "label emailed")
        if draw(st.booleans()):
            add("label_created", "pickup", "pickup booked", pickup=PickupFacts("pu_1", "scheduled", WINDOW))
            if draw(st.booleans()):
                add("label_created", "pickup", "pickup missed", pickup=PickupFacts("pu_1", "missed", WINDOW))
        if draw(st.booleans()):
            add("label_created", "relabel", "new label TRK2", label_tracking_code="TRK2")
        if draw(st.booleans()):
            add(draw(st.sampled_from(["cancelled", "expired"])), "cancel", "ended unused")
            return moments
        if draw(st.booleans()):
            add("in_transit", "carrier_event", "in_transit")
        if draw(st.booleans()):
            add("delivered", "carrier_event", "delivered")
        add("received", "warehouse_receipt", "at the dock")
    if draw(st.booleans()):
        add("received", "attention", "no inspection within 48 h")
    add("inspected", "inspection", "graded")
    add("settling", "settlement", "settling")
    money = draw(st.sampled_from(["refund", "refund_failed", "store_credit", "exchange", "nothing"]))
    if money == "refund_failed":
        add("settling", "settlement", "refund failed (closed); issuing store credit instead")
    facts = {
        "refund": dict(settlement_method="refund", settlement_status="succeeded", settlement_amount=900),
        "refund_failed": dict(settlement_method="store_credit", settlement_status="issued", settlement_amount=900),
        "store_credit": dict(settlement_method="store_credit", settlement_status="issued", settlement_amount=900),
        "exchange": dict(
            settlement_method="exchange",
            settlement_status="charged",
            settlement_amount=100,
            replacements_shipped=("TRK9",),
            exchange_charged=True,
        ),
        "nothing": {},
    }[money]
    add("completed", "settlement", "paid", refund_failed=money == "refund_failed", **facts)
    add("completed", "routing", "routed")
    return moments


@st.composite
def lives(draw) -> tuple[list[Moment], list[int]]:
    moments = life(draw)
    cuts = sorted(draw(st.sets(st.integers(1, len(moments) - 1), max_size=len(moments))))
    return moments, [0, *cuts, len(moments)]


def write(moments: list[Moment], before: Moment | None = None) -> Progress:
    """The projection of these lines (`before`: the line written before them): the picture after the last; the
    label's expiry only from its purchase (what activities/announcements.progress_of hands over), attention
    with the line that flagged it."""
    picture = dict(moments[-1].picture)
    if not any(m.step.event == "label" for m in moments):
        picture.pop("label_expires_at", None)
    attention = tuple((f"ret_1:k{m.step.seq}", "kind", m.step.cause) for m in moments if m.step.event == "attention")
    return Progress(
        status=moments[-1].step.status,
        steps=tuple(m.step for m in moments),
        status_before=before.step.status if before else None,
        new_attention=attention,
        **picture,
    )


def batched(moments: list[Moment], cuts: list[int]) -> list[list[Announcement]]:
    return [
        announcements(write(moments[a:b], moments[a - 1] if a else None)) for a, b in zip(cuts, cuts[1:], strict=False)
    ]


def kept(batches: list[list[Announcement]]) -> list[Announcement]:
    """What the outbox keeps: each key once, the first time it is announced."""
    seen: dict[str, Announcement] = {}
    for batch in batches:
        for a in batch:
            seen.setdefault(a.key, a)
    return list(seen.values())


@SETTINGS
@given(lives())
def test_a_return_written_in_any_batches_announces_the_same_as_in_one(case):
    moments, cuts = case
    batches = batched(moments, cuts)
    assert without_a_past_booking(moments, kept(batches)) == announcements(write(moments))
    # a status is news once, in the write whose line entered it (no outbox needed to drop it again)
    statuses = [a.key for batch in batches for a in batch if a.event in STATUS_EVENTS or a.mail in STATUS_MAILS]
    assert len(statuses) == len(set(statuses))
    # nothing but attention after the end
    ended = next(i for i, m in enumerate(moments) if m.step.status in FINAL)
    for (a, _b), batch in zip(zip(cuts, cuts[1:], strict=False), batches, strict=False):
        if a > ended:
            assert all(x.event == EventType.RETURN_NEEDS_ATTENTION for x in batch)


def without_a_past_booking(moments: list[Moment], found: list[Announcement]) -> list[Announcement]:
    """One write of the whole life sees the pickup's end only, not that it was booked (no real write does that:
    the booking is written before the pickup's window), so a booking that ended is left out of comparisons."""
    pickup = moments[-1].picture.get("pickup")
    if pickup is None or pickup.status == "scheduled":
        return found
    return [a for a in found if a.mail not in (MailKind.PICKUP_BOOKED, MailKind.PICKUP_REMINDER)]


@SETTINGS
@given(lives())
def test_growing_prefixes_of_a_life_kept_once_by_key_are_the_whole_life_in_one(case):
    moments, _ = case
    prefixes = [announcements(write(moments[:end])) for end in range(1, len(moments) + 1)]
    assert without_a_past_booking(moments, kept(prefixes)) == announcements(write(moments))


@SETTINGS
@given(lives())
def test_a_retried_or_later_write_implies_no_new_key_for_the_same_fact(case):
    moments, cuts = case
    for a, b in zip(cuts, cuts[1:], strict=False):
        before = moments[a - 1] if a else None
        once = announcements(write(moments[a:b], before))
        assert announcements(write(moments[a:b], before)) == once  # a retried write
        keys = [x.key for x in once]
        assert len(keys) == len(set(keys))  # unique within a write
    # growing prefixes of the whole life: each announces what the one before did, and maybe more
    seen: list[str] = []
    for end in range(1, len(moments) + 1):
        keys = [x.key for x in announcements(write(moments[:end]))]
        assert [k for k in keys if k in seen] == [k for k in seen if k in keys]  # same relative order
        seen += [k for k in keys if k not in seen]


@SETTINGS
@given(lives())
def test_a_whole_life_announces_each_status_once_and_ends_with_its_final_status(case):
    moments, _ = case
    found = announcements(write(moments))
    keys = [a.key for a in found]
    assert len(keys) == len(set(keys))
    final = moments[-1].step.status
    assert final in FINAL
    events = [a.event for a in found if a.event]
    assert events[-1] == EventType(STATUS_EVENT[final])  # nothing announced after the end but attention
    assert events[0] == EventType.RETURN_CREATED


# ---- news is what changed: a later line of the same status, or a write after the end, announces nothing again ----
def test_a_status_is_announced_by_the_line_that_entered_it_only():
    # An endpoint added (or an email switched on) while the return waits with its label must not hear of the
    # label now, from a pickup's line that merely carries the status.
    later = Progress(
        status="label_created",
        steps=(step(5, "label_created", "pickup", "pickup booked"),),
        status_before="label_created",
    )
    assert [a for a in announcements(later) if a.event in (EventType.RETURN_LABEL_CREATED,)] == []
    entered = replace(later, status_before="requested")
    assert names(announcements(entered)) == ["return.label_created"]


def test_a_write_after_the_end_announces_only_new_attention():
    # Items routed days after the return completed: the refund is old news, however the switches stand now.
    after = Progress(
        status="completed",
        steps=(step(20, "completed", "routing", "L1 restocked"), step(21, "completed", "attention", "transfer late")),
        status_before="completed",
        new_attention=(("ret_1:transfer_overdue:L1", "transfer_overdue", "transfer late"),),
        settlement_method="refund",
        settlement_status="succeeded",
        settlement_amount=900,
        replacements_shipped=("TRK9",),
        pickup=PickupFacts("pu_1", "picked_up", WINDOW),
    )
    assert names(announcements(after)) == ["return.needs_attention"]


def test_delivered_after_in_transit_does_not_say_on_its_way_again():
    on_its_way = Progress(status="in_transit", steps=(step(3, "in_transit"),), status_before="label_created")
    delivered = Progress(status="delivered", steps=(step(4, "delivered"),), status_before="in_transit")
    first_scan_at_delivery = replace(delivered, status_before="label_created")
    assert names(announcements(on_its_way)) == ["return.in_transit", "mail:in_transit"]
    assert names(announcements(delivered)) == ["return.delivered"]
    assert names(announcements(first_scan_at_delivery)) == ["return.delivered", "mail:in_transit"]


def test_money_is_news_in_a_write_of_the_settlement_not_in_any_later_one():
    refunded = dict(settlement_method="refund", settlement_status="succeeded", settlement_amount=100)
    # instant refund: lines of the settlement in the write
    at_scan = Progress(status="in_transit", steps=(step(4, "in_transit", "settlement", "instant refund"),), **refunded)
    assert "refund.succeeded" in names(announcements(at_scan))
    # the dock scan days later: the refund is old news (an email switched on meanwhile is not sent for it)
    at_dock = Progress(
        status="received", steps=(step(5, "received", "warehouse_receipt"),), status_before="in_transit", **refunded
    )
    assert names(announcements(at_dock)) == ["return.received", "mail:received"]
    # the end of the return says it again (kept once by key): the net under any settlement path
    done = Progress(
        status="completed", steps=(step(9, "completed", "settlement"),), status_before="settling", **refunded
    )
    assert names(announcements(done)) == ["refund.succeeded", "mail:refund_sent", "return.completed"]
