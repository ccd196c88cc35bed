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

from workflows.return_workflow import ReturnWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_there_are_histories_to_replay():
    assert {p.stem for p in HISTORIES} >= {"happy_path", "cancelled", "expired", "kept_item", "routed_items"}


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_history_replays(path: Path):
    history = WorkflowHistory.from_json(f"return-{path.stem}", path.read_text())
    result = await Replayer(workflows=[ReturnWorkflow], data_converter=pydantic_data_converter).replay_workflow(
        history, raise_on_replay_failure=True
    )
    assert result.replay_failure is None
