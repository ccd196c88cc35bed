"""Attack: one payment named two ways (its PaymentIntent and its Charge) is paid back twice.

The payout bound is per payment "across orders that share one payment", but `payout_records.recorded_payouts` finds the
payment's earlier payouts by the order's `payment.reference` string. Two orders of the same merchant
(a split shipment, say) registered one with `pi_…` and one with the PaymentIntent's `ch_…` both pass
every check (the Charge carries the PaymentIntent's metadata, so it is the merchant's) and each sees
the whole capture as headroom. Refunds made for the other order are still seen (Stripe lists them on
the charge), but store credit is not: 139.99 captured, 279.98 paid back.
"""

from __future__ import annotations

import contextlib

from temporalio.exceptions import ApplicationError

from tests.activities.test_payouts import (  # noqa: F401
    TOTAL,
    a_return,
    ledger,
    refunds_at_stripe,
    req,
    run,
    shop,
)
from tests.factories import create_payment, insert_order


def _charge_of(client, pi: str) -> str:
    latest = client.v1.payment_intents.retrieve(pi).latest_charge
    return latest if isinstance(latest, str) else latest.id


def _paid_back(eng, client, merchant_id, pi) -> int:
    refunded = sum(r.amount for r in refunds_at_stripe(client, pi) if r.status in ("pending", "succeeded"))
    return refunded + sum(ledger(eng, merchant_id))


def _try(fn, request) -> None:
    with contextlib.suppress(ApplicationError):  # refused: that is the point
        run(fn, request)


def test_store_credit_on_the_intent_and_on_its_charge_stays_within_the_capture(engine, shop):  # noqa: F811
    merchant_id, pay, client, url = shop
    pi = create_payment(url, TOTAL, merchant_id=merchant_id)
    ch = _charge_of(client, pi)
    first, second = (
        insert_order(engine, merchant_id, pi),
        insert_order(engine, merchant_id, ch),
    )
    r1, r2 = (
        a_return(engine, merchant_id, first.id, "store_credit"),
        a_return(engine, merchant_id, second.id, "store_credit"),
    )
    assert run(pay.issue_store_credit, req(r1, merchant_id, TOTAL)).status == "issued"
    _try(pay.issue_store_credit, req(r2, merchant_id, TOTAL))
    assert _paid_back(engine, client, merchant_id, pi) <= TOTAL


def test_credit_on_the_intent_then_refund_on_its_charge_stays_within_the_capture(engine, shop):  # noqa: F811
    merchant_id, pay, client, url = shop
    pi = create_payment(url, TOTAL, merchant_id=merchant_id)
    ch = _charge_of(client, pi)
    first, second = (
        insert_order(engine, merchant_id, pi),
        insert_order(engine, merchant_id, ch),
    )
    r1, r2 = (
        a_return(engine, merchant_id, first.id, "store_credit"),
        a_return(engine, merchant_id, second.id),
    )
    assert run(pay.issue_store_credit, req(r1, merchant_id, TOTAL)).status == "issued"
    _try(pay.refund_payment, req(r2, merchant_id, TOTAL))
    assert _paid_back(engine, client, merchant_id, pi) <= TOTAL
