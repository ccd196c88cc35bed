"""Attack: an advance exchange ships the replacement first; cancelling the return afterwards keeps both.

Advance exchange, on_missing="charge": the replacements leave at once. The carrier scans them (they are
on the way to the shopper: the label can no longer be refunded, EasyPost answers `rejected`). Now the
merchant (or the shopper through whatever calls cancel) cancels the return before the original is
scanned. The cancel is accepted (LABEL_CREATED is cancellable), `_finish(CANCELLED)` "voids" the
shipped replacements (the void comes back `rejected`, yet each is marked `voided`), the units are
released, and nobody is charged: the shopper keeps the original and the replacement for free. The
expiry path charges for exactly this situation; the cancel path skips it.
"""

from __future__ import annotations

import httpx
from temporalio.client import WorkflowUpdateFailedError

from domain.status import ReturnStatus
from tests.polling import poll_async
from tests.workflows.test_exchange_paths import charges, exchange_return, outbound
from tests.workflows.test_return_workflow import submitted
from workflows.messages import CancelRequest
from workflows.returns import ReturnWorkflow


async def _carrier_has(h, tracking_code: str) -> None:
    async with httpx.AsyncClient() as client:
        r = await client.post(
            f"{h.sandboxes['easypost']}/_sandbox/trackers/{tracking_code}/advance",
            json={"status": "in_transit"},
        )
        r.raise_for_status()


async def test_cancelling_an_advance_exchange_after_the_replacement_shipped_does_not_give_it_away(
    harness,
):
    h = harness
    inp = exchange_return(h, "SHOE-44", mode="advance", on_missing="charge")
    handle, _ = await submitted(h, inp)
    shipped = await poll_async(
        lambda: outbound(h, inp.return_id),
        lambda s: len(s) == 2,
        what="replacements shipped first",
    )
    for s in shipped:  # the carrier has the replacements: they are on their way to the shopper
        await _carrier_has(h, s["tracking_code"])

    try:
        final = await handle.execute_update(ReturnWorkflow.cancel, CancelRequest(reason="changed my mind"))
    except WorkflowUpdateFailedError:
        return  # refusing the cancel once replacements have left is a fine answer
    final = await handle.result()
    paid = [c for c in charges(h, inp.return_id) if c["status"] == "succeeded"]
    # Either the shopper is charged for what they keep, or the return is not simply cancelled.
    assert paid or final.status != ReturnStatus.CANCELLED, (
        final.status,
        [(r.status, r.tracking_code) for r in final.exchange.replacements],
        [s.get("refund_status") for s in outbound(h, inp.return_id)],
    )


async def test_a_replacement_the_carrier_already_has_is_not_reported_voided(harness):
    from sqlmodel import select

    from db.session import session_scope
    from db.tables import AttentionItem

    h = harness
    inp = exchange_return(h, "SHOE-44", mode="advance", on_missing="cancel")
    handle, _ = await submitted(h, inp)
    shipped = await poll_async(
        lambda: outbound(h, inp.return_id),
        lambda s: len(s) == 2,
        what="replacements shipped first",
    )
    for s in shipped:
        await _carrier_has(h, s["tracking_code"])
    final = await handle.result()  # the original never comes: the policy says cancel
    assert {s.get("refund_status") for s in outbound(h, inp.return_id)} == {"rejected"}
    with session_scope(h.engine) as s:
        kinds = [a.kind for a in s.exec(select(AttentionItem).where(AttentionItem.return_id == inp.return_id))]
    # The replacements are with the shopper: the return must not say "voided", and ops must hear of it.
    assert "voided" not in {r.status for r in final.exchange.replacements} and kinds, (
        [r.status for r in final.exchange.replacements],
        kinds,
    )
