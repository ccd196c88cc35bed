"""Attack: chargeback + return. A disputed payment's refund is refused, and store credit is paid instead.

The shopper disputes the card payment with their bank (the money is pulled back from the merchant,
or will be if the dispute is lost) and also returns the item. Stripe refuses the refund
(`charge_disputed`); `refund_payment` marks the reservation `refused` (holds nothing), and the workflow
falls back to store credit for the full amount, which the bound allows because `captured`
(`amount_received`) ignores the dispute. The shopper has the money back twice. The issue asks that a
refused refund "goes to ops" rather than becoming store credit above what was really received; a
disputed charge has, in effect, received nothing that is safe to pay back.

Note: tests/workflows/test_return_workflow.py::test_refund_refused_by_the_bank_falls_back_to_store_credit
and tests/activities/test_payouts.py::test_a_refund_stripe_refuses_holds_nothing_so_its_store_credit_fits
use exactly this case as the example of a refusal that should become credit; they need revisiting too.
"""

from __future__ import annotations

import contextlib

from temporalio.exceptions import ApplicationError

from tests.activities.test_payouts import (  # noqa: F401
    TOTAL,
    a_return,
    ledger,
    refused,
    req,
    run,
    shop,
)
from tests.factories import create_payment, insert_order


def test_a_disputed_payment_gets_no_store_credit_in_place_of_its_refused_refund(engine, shop):  # noqa: F811
    merchant_id, pay, _, url = shop
    pi = create_payment(url, TOTAL, payment_method="pm_card_createDispute", merchant_id=merchant_id)
    ret = a_return(engine, merchant_id, insert_order(engine, merchant_id, pi).id)
    assert refused(pay.refund_payment, req(ret, merchant_id, TOTAL)).details[0]["code"] == "charge_disputed"
    with contextlib.suppress(ApplicationError):
        run(pay.issue_store_credit, req(ret, merchant_id, TOTAL))  # what the workflow does next
    assert ledger(engine, merchant_id) == []  # held for ops, not paid a second time
