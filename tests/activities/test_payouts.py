"""The payments activities never pay more than the payment captured, nor on another merchant's payment.

Real SQLite and PostgreSQL (`database_url`), the real payments sandbox through the `stripe` SDK; the
activities are called as Temporal would (ActivityEnvironment). Every refusal is a non-retryable
ApplicationError of type PayoutExceedsCapture or PaymentNotOwned, and leaves nothing paid or recorded.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
import pytest
from sqlmodel import select
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.payments import PaymentActivities, RefundCheck, SettlementRequest
from db.session import session_scope
from db.tables import PaymentRefund, PolicyVersion, ReturnRecord, StoreCreditEntry
from domain.money import Money
from tests.factories import LINES, create_payment, insert_order, new_merchant, stripe_client
from tests.polling import poll
from workflows.ids import refund_idempotency_key
from workflows.messages import ActivityErrorType

TOTAL = 2 * 2500 + 8999  # the LINES order: 139.99


@pytest.fixture
def shop(engine, sandboxes):
    """(merchant_id, activities, stripe client, payments sandbox URL) for a fresh merchant."""
    merchant_id, _, _ = new_merchant(engine)
    client = stripe_client(sandboxes["payments"])
    return merchant_id, PaymentActivities(engine, client), client, sandboxes["payments"]


def a_return(
    engine, merchant_id: str, order_id: str, resolution: str = "refund", policy_version: int | None = None
) -> str:
    return_id = f"ret_{uuid.uuid4().hex[:24]}"
    now = datetime.now(UTC)
    with session_scope(engine) as s:
        s.add(
            ReturnRecord(
                id=return_id,
                merchant_id=merchant_id,
                order_id=order_id,
                status="settling",
                resolution=resolution,
                items=[],
                request_fingerprint="fp",
                policy_version=policy_version,
                created_at=now,
                updated_at=now,
            )
        )
    return return_id


def req(return_id: str, merchant_id: str, amount: int, currency: str = "USD") -> SettlementRequest:
    return SettlementRequest(
        return_id=return_id, merchant_id=merchant_id, amount=Money(amount=amount, currency=currency)
    )


def run(fn, request):
    return ActivityEnvironment().run(fn, request)


def refused(fn, request) -> ApplicationError:
    with pytest.raises(ApplicationError) as err:
        run(fn, request)
    assert err.value.non_retryable, err.value
    return err.value


def refunds_at_stripe(client, pi: str) -> list:
    return list(client.v1.refunds.list(params={"payment_intent": pi, "limit": 100}).auto_paging_iter())


def ledger(engine, merchant_id: str) -> list[int]:
    with session_scope(engine) as s:
        return [e.amount for e in s.exec(select(StoreCreditEntry).where(StoreCreditEntry.merchant_id == merchant_id))]


def test_refunds_and_credits_are_paid_up_to_the_capture_and_not_a_cent_more(engine, shop):
    merchant_id, pay, client, url = shop
    pi = create_payment(url, TOTAL, merchant_id=merchant_id)
    order = insert_order(engine, merchant_id, pi)
    r1, r2, r3 = (a_return(engine, merchant_id, order.id) for _ in range(3))
    assert run(pay.refund_payment, req(r1, merchant_id, 8_999)).status == "succeeded"
    assert run(pay.issue_store_credit, req(r2, merchant_id, TOTAL - 8_999)).status == "issued"
    err = refused(pay.refund_payment, req(r3, merchant_id, 1))
    assert err.type == ActivityErrorType.PAYOUT_EXCEEDS_CAPTURE and err.details[0]["code"] == "exceeds_capture"
    assert (err.details[0]["captured"], err.details[0]["already_paid"]) == (TOTAL, TOTAL)
    assert refused(pay.issue_store_credit, req(r3, merchant_id, 1)).type == ActivityErrorType.PAYOUT_EXCEEDS_CAPTURE
    assert [r.amount for r in refunds_at_stripe(client, pi)] == [8_999]
    assert ledger(engine, merchant_id) == [TOTAL - 8_999]
    with session_scope(engine) as s:
        assert s.get(PaymentRefund, refund_idempotency_key(r3)) is None  # refused before anything was recorded


def test_an_order_of_89_99_paid_with_10_00_gets_neither_refund_nor_store_credit(engine, shop):
    merchant_id, pay, client, url = shop
    pi = create_payment(url, 1_000, merchant_id=merchant_id)
    order = insert_order(engine, merchant_id, pi, lines=[{**LINES[1], "unit_price": 8_999}])
    ret = a_return(engine, merchant_id, order.id)
    assert refused(pay.refund_payment, req(ret, merchant_id, 8_404)).type == ActivityErrorType.PAYOUT_EXCEEDS_CAPTURE
    assert (
        refused(pay.issue_store_credit, req(ret, merchant_id, 8_404)).type == ActivityErrorType.PAYOUT_EXCEEDS_CAPTURE
    )
    assert refunds_at_stripe(client, pi) == [] and ledger(engine, merchant_id) == []


@pytest.mark.parametrize(
    "reference", ["pi_3RfMadeUpReference00000000", "ch_3RfMadeUpReference00000000", "something-else", None]
)
def test_a_made_up_or_missing_payment_reference_pays_nothing(engine, shop, reference):
    merchant_id, pay, _, _ = shop
    ret = a_return(engine, merchant_id, insert_order(engine, merchant_id, reference).id)
    for activity in (pay.refund_payment, pay.issue_store_credit):
        err = refused(activity, req(ret, merchant_id, 100))
        assert (err.type, err.details[0]["code"]) == (ActivityErrorType.PAYOUT_EXCEEDS_CAPTURE, "not_found")
    assert ledger(engine, merchant_id) == []


def test_another_merchants_payment_is_never_refunded_credited_or_charged(engine, shop, sandboxes):
    merchant_id, pay, client, url = shop
    victim, _, _ = new_merchant(engine)
    pi = create_payment(url, TOTAL, merchant_id=victim)
    unclaimed = create_payment(url, TOTAL, merchant_id="")  # no owner in its metadata: not anyone's
    for reference in (pi, unclaimed):
        ret = a_return(engine, merchant_id, insert_order(engine, merchant_id, reference).id)
        for activity in (pay.refund_payment, pay.issue_store_credit, pay.charge_difference):
            err = refused(activity, req(ret, merchant_id, 1_000))
            assert (err.type, err.details[0]["code"]) == (ActivityErrorType.PAYMENT_NOT_OWNED, "not_owned")
        assert refunds_at_stripe(client, reference) == []
    assert ledger(engine, merchant_id) == []


@pytest.mark.parametrize(
    "make,code",
    [
        (
            lambda c, m: (
                c.v1.payment_intents.create(
                    params={"amount": TOTAL, "currency": "usd", "metadata": {"merchant_id": m}}
                ).id
            ),
            "not_succeeded",
        ),
        (
            lambda c, m: (
                c.v1.payment_intents.create(
                    params={"amount": TOTAL, "currency": "eur", "confirm": True, "metadata": {"merchant_id": m}}
                ).id
            ),
            "currency_mismatch",
        ),
    ],
)
def test_a_payment_that_did_not_succeed_or_is_in_another_currency_pays_nothing(engine, shop, make, code):
    merchant_id, pay, client, _ = shop
    pi = make(client, merchant_id)
    ret = a_return(engine, merchant_id, insert_order(engine, merchant_id, pi).id)
    for activity in (pay.refund_payment, pay.issue_store_credit):
        err = refused(activity, req(ret, merchant_id, 1_000))
        assert (err.type, err.details[0]["code"]) == (ActivityErrorType.PAYOUT_EXCEEDS_CAPTURE, code)


def test_a_charge_reference_is_bounded_like_a_payment_intent(engine, shop):
    merchant_id, pay, client, _ = shop
    charge = client.v1.charges.create(
        params={"amount": 5_000, "currency": "usd", "source": "tok_visa", "metadata": {"merchant_id": merchant_id}}
    )
    order = insert_order(engine, merchant_id, charge.id)
    r1, r2 = a_return(engine, merchant_id, order.id), a_return(engine, merchant_id, order.id)
    assert run(pay.refund_payment, req(r1, merchant_id, 4_000)).status == "succeeded"
    assert refused(pay.issue_store_credit, req(r2, merchant_id, 1_001)).type == ActivityErrorType.PAYOUT_EXCEEDS_CAPTURE
    assert run(pay.issue_store_credit, req(r2, merchant_id, 1_000)).status == "issued"


def test_refunds_made_outside_returnflow_leave_less_to_pay(engine, shop):
    merchant_id, pay, client, url = shop
    pi = create_payment(url, TOTAL, merchant_id=merchant_id)
    client.v1.refunds.create(params={"payment_intent": pi, "amount": 5_000})  # the merchant, in the dashboard
    ret = a_return(engine, merchant_id, insert_order(engine, merchant_id, pi).id)
    assert (
        refused(pay.issue_store_credit, req(ret, merchant_id, TOTAL)).type == ActivityErrorType.PAYOUT_EXCEEDS_CAPTURE
    )
    assert run(pay.issue_store_credit, req(ret, merchant_id, TOTAL - 5_000)).amount.amount == TOTAL - 5_000


def test_a_retried_payout_is_paid_once_and_not_refused_by_its_own_record(engine, shop):
    merchant_id, pay, client, url = shop
    pi = create_payment(url, TOTAL, merchant_id=merchant_id)
    order = insert_order(engine, merchant_id, pi)
    r1, r2 = a_return(engine, merchant_id, order.id), a_return(engine, merchant_id, order.id)
    first = run(pay.refund_payment, req(r1, merchant_id, 10_000))
    assert run(pay.refund_payment, req(r1, merchant_id, 10_000)) == first
    credit = run(pay.issue_store_credit, req(r2, merchant_id, TOTAL - 10_000))
    assert run(pay.issue_store_credit, req(r2, merchant_id, TOTAL - 10_000)) == credit
    assert [r.amount for r in refunds_at_stripe(client, pi)] == [10_000]
    assert ledger(engine, merchant_id) == [TOTAL - 10_000]


def _confirmed(pay, check: RefundCheck):
    try:
        return run(pay.confirm_refund, check)
    except ApplicationError as err:
        return err


def test_a_refund_stripe_refuses_holds_nothing_so_its_store_credit_fits(engine, shop):
    """The bank refuses the refund (pending, then failed: expired card): no money left, so credit may replace it."""
    merchant_id, pay, client, url = shop
    pi = create_payment(url, TOTAL, payment_method="pm_card_refundFail", merchant_id=merchant_id)
    ret = a_return(engine, merchant_id, insert_order(engine, merchant_id, pi).id)
    pending = run(pay.refund_payment, req(ret, merchant_id, TOTAL))
    assert pending.status == "pending"
    with pytest.raises(ApplicationError) as still_pending:  # holds the money while pending: nothing else fits
        run(pay.issue_store_credit, req(ret, merchant_id, 1))
    assert still_pending.value.type == ActivityErrorType.PAYOUT_EXCEEDS_CAPTURE
    check = RefundCheck(return_id=ret, merchant_id=merchant_id, refund_id=pending.reference)
    err = poll(
        lambda: _confirmed(pay, check),
        lambda e: isinstance(e, ApplicationError) and e.non_retryable,
        30,
        "the refund to fail",
    )
    assert (err.type, err.details[0]["code"]) == ("PaymentRejected", "expired_or_canceled_card")  # the credit fallback
    with session_scope(engine) as s:
        assert s.get(PaymentRefund, refund_idempotency_key(ret)).status == "failed"
    assert [r.status for r in refunds_at_stripe(client, pi)] == ["failed"]
    assert run(pay.issue_store_credit, req(ret, merchant_id, TOTAL)).amount.amount == TOTAL


def test_a_disputed_payment_is_neither_refunded_nor_credited(engine, shop):
    """A chargeback pays the shopper back through their bank: every payout on it is held for ops."""
    merchant_id, pay, client, url = shop
    pi = create_payment(url, TOTAL, payment_method="pm_card_createDispute", merchant_id=merchant_id)
    ret = a_return(engine, merchant_id, insert_order(engine, merchant_id, pi).id)
    for activity in (pay.refund_payment, pay.issue_store_credit):
        err = refused(activity, req(ret, merchant_id, 1))
        assert (err.type, err.details[0]["code"]) == (ActivityErrorType.PAYOUT_EXCEEDS_CAPTURE, "charge_disputed")
    assert refunds_at_stripe(client, pi) == [] and ledger(engine, merchant_id) == []


def test_a_dispute_opened_after_a_partial_refund_stops_the_rest(engine, shop):
    merchant_id, pay, client, url = shop
    pi = create_payment(url, TOTAL, merchant_id=merchant_id)
    order = insert_order(engine, merchant_id, pi)
    first, second = a_return(engine, merchant_id, order.id), a_return(engine, merchant_id, order.id)
    assert run(pay.refund_payment, req(first, merchant_id, 5_000)).status == "succeeded"
    httpx.post(f"{url}/_sandbox/payment_intents/{pi}/dispute").raise_for_status()
    for activity in (pay.refund_payment, pay.issue_store_credit):
        err = refused(activity, req(second, merchant_id, 1))
        assert (err.type, err.details[0]["code"]) == (ActivityErrorType.PAYOUT_EXCEEDS_CAPTURE, "charge_disputed")
    assert [r.amount for r in refunds_at_stripe(client, pi)] == [5_000] and ledger(engine, merchant_id) == []


def test_orders_sharing_one_payment_share_its_bound(engine, shop):
    merchant_id, pay, _, url = shop
    pi = create_payment(url, TOTAL, merchant_id=merchant_id)
    first, second = insert_order(engine, merchant_id, pi), insert_order(engine, merchant_id, pi)
    assert (
        run(pay.refund_payment, req(a_return(engine, merchant_id, first.id), merchant_id, 10_000)).status == "succeeded"
    )
    late = a_return(engine, merchant_id, second.id)
    assert (
        refused(pay.issue_store_credit, req(late, merchant_id, TOTAL - 10_000 + 1)).type
        == ActivityErrorType.PAYOUT_EXCEEDS_CAPTURE
    )
    assert run(pay.issue_store_credit, req(late, merchant_id, TOTAL - 10_000)).status == "issued"


def test_store_credit_with_the_policys_bonus_may_exceed_the_capture_by_the_bonus_only(engine, shop):
    merchant_id, pay, _, url = shop
    with session_scope(engine) as s:
        s.add(PolicyVersion(merchant_id=merchant_id, version=1, document={"store_credit_bonus_percent": 10}))
    pi = create_payment(url, 10_000, merchant_id=merchant_id)
    order = insert_order(engine, merchant_id, pi)
    bonus = a_return(engine, merchant_id, order.id, resolution="store_credit", policy_version=1)
    assert (
        refused(pay.issue_store_credit, req(bonus, merchant_id, 11_001)).type
        == ActivityErrorType.PAYOUT_EXCEEDS_CAPTURE
    )
    assert run(pay.issue_store_credit, req(bonus, merchant_id, 11_000)).amount.amount == 11_000
    # A refund return's fallback credit (or an exchange's pay-back) has no bonus: nothing is left.
    fallback = a_return(engine, merchant_id, order.id, resolution="refund", policy_version=1)
    assert (
        refused(pay.issue_store_credit, req(fallback, merchant_id, 1)).type == ActivityErrorType.PAYOUT_EXCEEDS_CAPTURE
    )


def test_payouts_racing_for_one_payment_never_together_exceed_it(engine, shop):
    """12 returns of one order settle at the same moment, half by refund and half by store credit, 30.00
    each against 139.99 captured: exactly four are paid, whichever they are."""
    merchant_id, pay, client, url = shop
    pi = create_payment(url, TOTAL, merchant_id=merchant_id)
    order = insert_order(engine, merchant_id, pi)
    returns = [a_return(engine, merchant_id, order.id) for _ in range(12)]
    start = threading.Barrier(len(returns))

    def settle(i: int, return_id: str) -> str:
        activity = pay.refund_payment if i % 2 else pay.issue_store_credit
        start.wait()
        try:
            run(activity, req(return_id, merchant_id, 3_000))
            return "paid"
        except ApplicationError as err:
            return err.type

    with ThreadPoolExecutor(max_workers=len(returns)) as pool:
        outcomes = list(pool.map(settle, range(len(returns)), returns))
    assert sorted(outcomes) == sorted(["paid"] * 4 + [ActivityErrorType.PAYOUT_EXCEEDS_CAPTURE] * 8), outcomes
    refunded = sum(r.amount for r in refunds_at_stripe(client, pi))
    assert refunded + sum(ledger(engine, merchant_id)) == 4 * 3_000 <= TOTAL
