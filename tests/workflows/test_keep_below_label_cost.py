"""Issue 11 in the workflow: a return whose context carries the API's label cost estimate keeps an item worth
less than the label, buys no label and pays the item back (the time-skipping server, the real sandboxes)."""

from __future__ import annotations

from domain.label_estimate import label_cost_estimate
from domain.policy import Fee, ReturnPolicy
from domain.status import ReturnStatus
from tests.workflows.test_return_workflow import (
    record_history,
    sandbox_refunds,
    sandbox_shipments,
    submitted,
)

SOCKS = [{"id": "L1", "sku": "SOCKS", "title": "Socks", "quantity": 1, "unit_price": 300, "category": "apparel"}]


async def test_an_item_worth_less_than_its_label_is_kept_and_no_label_is_bought(harness):
    h = harness
    policy = ReturnPolicy(
        keep_item_below_label_cost=True, return_shipping_fee=Fee(kind="flat", amount=595), currency="USD"
    )
    inp = h.new_return(policy=policy, lines=SOCKS)
    estimate = label_cost_estimate(policy, "US", "USD", [])  # what the API puts in the context (no labels bought yet)
    inp = inp.model_copy(
        update={
            "context": inp.context.model_copy(update={"label_cost_estimate": estimate, "strict_flat_amounts": True})
        }
    )
    handle, _ = await submitted(h, inp)
    final = await handle.result()
    assert final.status == ReturnStatus.COMPLETED and final.label is None
    assert sandbox_shipments(h, inp.return_id) == []
    assert [r["amount"] for r in sandbox_refunds(h, inp.return_id)] == [300]  # the item's price, no shipping fee
    record_history("kept_below_label_cost", await handle.fetch_history())
