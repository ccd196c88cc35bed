"""Checked-in histories of finished returns must replay on the current workflow code.

A failure means a change to ReturnWorkflow would break returns already in flight:
guard it with `workflow.patched` (see tests/replay/record.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workflows.merchant_notification import MerchantNotificationWorkflow
from workflows.returns import ReturnWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))
# One finished (or, for a delivery still retrying, terminated) workflow per path; record.py says how they are made.
PATHS = {
    "happy_path",
    "cancelled",
    "expired",
    "kept_item",
    "routed_items",
    "exchange_standard",
    "exchange_instant",
    "exchange_advance",
    "exchange_advance_cancelled",
    "pickup_booked",
    "pickup_missed",
    "multi_parcel",
    "relabel_after_carrier_cancel",
    "review_approved",
    "review_rejected",
    "instant_refund",
    "kept_below_label_cost",
    "merchant_webhook",
    "merchant_webhook_delivery",
    "scanned_after_cancel",
    "payout_held",
    "side_effect_flagged",
    "store_hand_in",
    "notification_outbox",
    "lean_refund",  # Patch.LEAN_HISTORY
    "lean_exchange",
    "exchange_not_shipped",  # Patch.PRICE_OF_WHAT_SHIPPED
    "label_mail_outbox_refund",  # Patch.LABEL_MAIL_OUTBOX
    "label_mail_outbox_exchange",
}


def test_there_are_histories_to_replay():
    assert {p.stem for p in HISTORIES} >= PATHS


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_history_replays(path: Path):
    history = WorkflowHistory.from_json(f"return-{path.stem}", path.read_text())
    # The Replayer runs each history on the workflow class its workflow type names.
    replayer = Replayer(
        workflows=[ReturnWorkflow, MerchantNotificationWorkflow], data_converter=pydantic_data_converter
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
