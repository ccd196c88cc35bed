"""Money bounded by money received, end to end in the workflow (issue #10, items 3 and 4): a payout
the order's payment cannot cover, or on a payment that is not the merchant's, is neither refunded
nor turned into store credit; the return goes to ops."""

from __future__ import annotations

from sqlmodel import select

from db.session import session_scope
from db.tables import StoreCreditEntry
from domain.status import ReturnStatus
from tests.factories import (
    LINES,
    create_payment,
    insert_order,
    new_merchant,
    return_input,
)
from tests.workflows.test_carrier_paths import flags
from tests.workflows.test_return_workflow import (
    record_history,
    sandbox_refunds,
    timeline,
)
from tests.workflows.test_settlement_paths import settle
from workflows import search_attributes as sa


def credits(h, return_id: str) -> list[StoreCreditEntry]:
    with session_scope(h.engine) as s:
        return list(s.exec(select(StoreCreditEntry).where(StoreCreditEntry.return_id == return_id)).all())


def return_paid_by(h, merchant_id: str, payment_reference: str):
    order = insert_order(h.engine, merchant_id, payment_reference, lines=LINES)
    return return_input(order, merchant_id)


async def assert_held_for_ops(h, handle, final, return_id: str, words: str) -> None:
    assert final.status == ReturnStatus.COMPLETED  # the parcel is back; the money is for a person to decide
    assert final.refund.status == "held_for_ops" and final.refund.amount.amount == 2 * 2500 + 8999
    assert sandbox_refunds(h, return_id) == []
    assert credits(h, return_id) == []  # a refused refund never becomes store credit above the bound
    [flag] = [f for f in flags(h, return_id) if f.kind == "payout_held"]
    assert words in flag.reason
    assert any("not paid" in e.cause for e in timeline(h, return_id))
    assert (await handle.describe()).typed_search_attributes.get(sa.NEEDS_ATTENTION) is True


async def test_an_order_charged_less_than_its_lines_is_never_paid_above_the_capture(harness):
    h = harness
    merchant_id, _, _ = new_merchant(h.engine)
    charged_ten = create_payment(h.sandboxes["payments"], amount=1000, merchant_id=merchant_id)  # lines say 139.99
    inp = return_paid_by(h, merchant_id, charged_ten)
    handle, final = await settle(h, inp)
    await assert_held_for_ops(h, handle, final, inp.return_id, "would exceed what payment")
    record_history("payout_held", await handle.fetch_history())


async def test_a_made_up_payment_reference_pays_nothing(harness):
    h = harness
    merchant_id, _, _ = new_merchant(h.engine)
    inp = return_paid_by(h, merchant_id, "pi_3MadeUpReference000000")
    handle, final = await settle(h, inp)
    await assert_held_for_ops(h, handle, final, inp.return_id, "no such Stripe PaymentIntent")


async def test_another_merchants_payment_is_never_refunded(harness):
    h = harness
    victim, _, _ = new_merchant(h.engine)
    attacker, _, _ = new_merchant(h.engine)
    victims_payment = create_payment(h.sandboxes["payments"], amount=2 * 2500 + 8999, merchant_id=victim)
    inp = return_paid_by(h, attacker, victims_payment)
    handle, final = await settle(h, inp)
    await assert_held_for_ops(h, handle, final, inp.return_id, "does not belong to this merchant")
