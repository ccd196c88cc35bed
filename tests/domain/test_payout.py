"""The payout bound (domain/payout.py): money out for a payment never exceeds the money it captured.

Examples for each clause, then hypothesis properties over whole settlements: any sequence of
refunds, store credits (with and without a bonus), exchange pay-backs, refunds that fail and
refunds made outside Returnflow.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.payout import (
    PaymentFacts,
    Payout,
    ProviderRefund,
    bonus_credit_money,
    check_payout,
    headroom,
    payment_problem,
)

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def pay(captured=10_000, *, status="succeeded", currency="USD", owner="m1", refunds=()) -> PaymentFacts:
    return PaymentFacts(
        reference="pi_1", status=status, currency=currency, captured=captured, owner=owner, refunds=tuple(refunds)
    )


def check(payment, payout, recorded=(), currency="USD"):
    return check_payout(payment, merchant_id="m1", currency=currency, recorded=list(recorded), payout=payout)


# ---- the payment itself ------------------------------------------------------------------


@pytest.mark.parametrize(
    "payment,code",
    [
        (None, "not_found"),
        (pay(owner="m2"), "not_owned"),
        (pay(owner=None), "not_owned"),  # no metadata is not ownership
        (pay(owner="m2", status="requires_payment_method"), "not_owned"),  # another's payment says nothing more
        (pay(status="requires_capture"), "not_succeeded"),
        (pay(currency="EUR"), "currency_mismatch"),
        (pay(currency="usd"), None),  # codes compare upper case
        (pay(), None),
    ],
)
def test_a_payment_must_exist_be_the_merchants_have_succeeded_and_be_in_the_orders_currency(payment, code):
    problem = payment_problem(payment, merchant_id="m1", currency="USD")
    assert (problem.code if problem else None) == code


def test_a_refused_payment_refuses_every_payout_and_tenancy_is_its_own_kind():
    assert check(pay(owner="m2"), Payout.refund("k", "r1", 1)).tenancy
    refusal = check(None, Payout.credit("k", "r1", 1))
    assert refusal.code == "not_found" and not refusal.tenancy


# ---- the bound ----------------------------------------------------------------------------


def test_exactly_the_headroom_may_be_paid_and_one_minor_unit_more_may_not():
    recorded = [Payout.refund("r1-refund", "r1", 4_000), Payout.credit("r2-credit", "r2", 1_000)]
    assert headroom(pay(), recorded) == 5_000
    assert check(pay(), Payout.refund("r3-refund", "r3", 5_000), recorded) is None
    refusal = check(pay(), Payout.credit("r3-credit", "r3", 5_001), recorded)
    assert (refusal.code, refusal.captured, refusal.already_paid, refusal.requested) == (
        "exceeds_capture",
        10_000,
        5_000,
        5_001,
    )
    assert "50.01 USD" in refusal.message and "100.00 USD captured" in refusal.message


def test_the_order_says_89_99_the_payment_captured_10_00():
    refusal = check(pay(1_000), Payout.refund("k", "r1", 8_404))
    assert refusal.code == "exceeds_capture"
    assert check(pay(1_000), Payout.credit("k2", "r1", 8_404)).code == "exceeds_capture"  # nor as store credit


def test_refunds_made_outside_returnflow_count_and_ours_count_once():
    stripe_refunds = [
        ProviderRefund(id="re_1", amount=3_000, status="succeeded", return_id=None),  # the merchant, in the dashboard
        ProviderRefund(id="re_2", amount=2_000, status="pending", return_id="r1"),  # ours: also recorded below
        ProviderRefund(id="re_3", amount=9_000, status="failed", return_id=None),  # failed: holds nothing
        ProviderRefund(id="re_4", amount=1_000, status="canceled", return_id="rX"),
    ]
    recorded = [Payout.refund("r1-refund", "r1", 2_000)]
    assert headroom(pay(refunds=stripe_refunds), recorded) == 10_000 - 3_000 - 2_000
    # A refund of ours Stripe shows but Returnflow has no counting record of counts as made elsewhere.
    assert headroom(pay(refunds=stripe_refunds), []) == 10_000 - 3_000 - 2_000


def test_a_retried_payout_is_not_counted_against_itself():
    recorded = [Payout.refund("r1-refund", "r1", 10_000)]
    assert check(pay(), Payout.refund("r1-refund", "r1", 10_000), recorded) is None
    assert check(pay(), Payout.refund("r2-refund", "r2", 1), recorded).code == "exceeds_capture"


def test_a_payment_intent_and_its_charge_are_one_payment_with_one_key():
    by_intent = PaymentFacts(
        reference="pi_1", status="succeeded", currency="USD", captured=1, payment_intent="pi_1", charge="ch_1"
    )
    by_charge = by_intent.model_copy(update={"reference": "ch_1"})
    assert by_intent.key == by_charge.key == "pi_1"
    assert set(by_intent.aliases) == set(by_charge.aliases) == {"pi_1", "ch_1"}
    bare = PaymentFacts(reference="ch_9", status="succeeded", currency="USD", captured=1, charge="ch_9")  # Charges API
    assert (bare.key, bare.aliases) == ("ch_9", ("ch_9",))


def test_a_disputed_payment_counts_as_paid_back_and_says_so():
    disputed = pay().model_copy(update={"disputed": 10_000})
    assert headroom(disputed, []) == 0
    for payout in (Payout.refund("k", "r1", 1), Payout.credit("k2", "r1", 1)):
        refusal = check(disputed, payout)
        assert refusal.code == "charge_disputed" and "disputed" in refusal.message and not refusal.tenancy
    # After a partial refund the dispute is over the rest: still nothing more.
    partly = pay().model_copy(update={"disputed": 6_000})
    assert (
        check(partly, Payout.credit("k", "r2", 1), [Payout.refund("r1-refund", "r1", 4_000)]).code == "charge_disputed"
    )


@pytest.mark.parametrize(
    "amount,percent,money",
    [
        (11_000, 10, 10_000),
        (11_001, 10, 10_001),
        (10_999, 10, 10_000),
        (0, 10, 0),
        (5_000, 0, 5_000),
        (200, 100, 100),
        (1, 100, 1),
    ],
)
def test_bonus_credit_counts_at_its_money_value_rounded_up(amount, percent, money):
    assert bonus_credit_money(amount, percent) == money
    assert Payout.credit("k", "r", amount, percent).money == money


def test_a_whole_order_returned_for_bonus_credit_fits_but_not_a_cent_more():
    # 10 % bonus on 100.00 captured: 110.00 of credit is the whole order's worth, 110.02 is not.
    assert check(pay(), Payout.credit("k", "r1", 11_000, 10)) is None
    assert check(pay(), Payout.credit("k", "r1", 11_002, 10)).code == "exceeds_capture"
    # Credit replacing a refused refund, or an exchange difference paid back, gets no bonus allowance.
    assert check(pay(), Payout.credit("k", "r1", 10_001)).code == "exceeds_capture"


# ---- properties --------------------------------------------------------------------------

line_refunds = st.lists(st.integers(0, 50_000), min_size=1, max_size=6)
percents = st.integers(0, 100)


@SETTINGS
@given(line_refunds, percents, st.integers(0, 5_000))
def test_bonus_credit_the_policy_gives_never_counts_above_the_refund_it_replaces(refunds, percent, shipping):
    """The quote's bonus is per line, rounded down. Its credit (less any shipping fee) counts at most the items'
    refund before the fee, so a bonus return fits wherever its items' refund would (a whole order: its capture);
    and at most lines - 1 minor units below the refund it stands for (the fee taken off)."""
    shipping = min(shipping, sum(refunds))
    credit = sum(r + r * percent // 100 for r in refunds) - shipping
    money = bonus_credit_money(credit, percent)
    assert money <= sum(refunds)
    assert money >= sum(refunds) - shipping - (len(refunds) - 1)
    assert money <= credit


KINDS = ["refund", "credit", "bonus_credit", "payback_refund", "payback_credit", "refund_fails", "outside_refund"]
steps = st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 3), st.integers(0, 12_000), percents), max_size=25)


@SETTINGS
@given(st.integers(0, 20_000), steps)
def test_whatever_happens_to_an_order_returnflow_never_pays_out_more_than_was_captured(captured, steps):
    """Returns (ids 0..3) settle by refund, credit, bonus credit or an exchange pay-back; refunds fail; the
    merchant refunds in the dashboard (Stripe lets it refund what Stripe itself has not refunded)."""
    recorded: dict[str, Payout] = {}  # counting payouts Returnflow made
    stripe_refunds: dict[str, ProviderRefund] = {}

    def facts() -> PaymentFacts:
        return pay(captured, refunds=stripe_refunds.values())

    def out() -> int:
        return captured - headroom(facts(), recorded.values())

    for kind, ret, amount, percent in steps:
        return_id = f"r{ret}"
        if kind == "refund_fails":
            key = f"{return_id}-refund"
            if key in recorded:
                del recorded[key]
                stripe_refunds[key] = stripe_refunds[key].model_copy(update={"status": "failed"})
            continue
        if kind == "outside_refund":
            at_stripe = sum(r.amount for r in stripe_refunds.values() if r.status != "failed")
            if amount <= captured - at_stripe:
                stripe_refunds[f"outside-{len(stripe_refunds)}"] = ProviderRefund(
                    id="re", amount=amount, status="succeeded"
                )
            continue
        refund = kind in ("refund", "payback_refund")
        key = f"{return_id}-{'refund' if refund else 'credit'}"
        if key in recorded:
            continue  # one refund and one credit per return (their idempotency keys)
        payout = (
            Payout.refund(key, return_id, amount)
            if refund
            else Payout.credit(key, return_id, amount, percent if kind == "bonus_credit" else 0)
        )
        before = out()
        refusal = check(facts(), payout, recorded.values())
        if refusal is None:
            recorded[key] = payout
            if refund:
                stripe_refunds[key] = ProviderRefund(id="re", amount=amount, status="succeeded", return_id=return_id)
            assert out() == before + payout.money <= captured
        else:
            assert refusal.code == "exceeds_capture" and before + payout.money > captured
            assert out() == before  # a refused payout changes nothing
