"""Since Patch.NOTIFICATION_OUTBOX a return announces nothing itself: the projection writes the outbox.
Its history is kept for tests/replay (`notification_outbox`); the older `merchant_webhook` history, which
started a MerchantNotificationWorkflow per event, still replays beside it."""

from __future__ import annotations

import base64
import json

from tests.workflows.test_return_workflow import closed, record_history, scan, submitted
from workflows.returns import ReturnWorkflow
from workflows.returns.patches import Patch


def patches(history) -> set[str]:
    """The patch ids the history's markers record."""
    found = set()
    for event in json.loads(history.to_json())["events"]:
        marker = event.get("markerRecordedEventAttributes") or {}
        if marker.get("markerName") == "core_patch":
            for payload in marker["details"]["patch-data"]["payloads"]:
                found.add(json.loads(base64.b64decode(payload["data"]))["id"])
    return found


async def test_a_new_return_records_the_outbox_patch_and_starts_no_delivery_workflow(harness):
    h = harness
    inp = h.new_return()
    handle, _ = await submitted(h, inp)
    await handle.signal(ReturnWorkflow.carrier_event, scan("evt_out_1", "in_transit"))
    final = await closed(handle)
    assert final.status == "completed" and final.refund.amount.amount > 0

    history = await handle.fetch_history()
    # Since Patch.LEAN_HISTORY a return asks the newest patch alone, which implies the outbox's (state.patched).
    [asked] = patches(history)
    assert list(Patch).index(Patch(asked)) >= list(Patch).index(Patch.NOTIFICATION_OUTBOX)
    # No local activity starting delivery workflows, and no child or workflow start by the return itself.
    assert "announce_to_merchant" not in history.to_json()
    notify = h.client.get_workflow_handle(f"notify-evt_{inp.return_id}_return_refunded")
    try:
        await notify.describe()
        started = True
    except Exception:
        started = False
    assert not started
    record_history("notification_outbox", history)
