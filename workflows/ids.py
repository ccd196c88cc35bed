"""Deterministic ids: one workflow per return, named after it."""

TASK_QUEUE = "returns"
CARRIER_TASK_QUEUE = "carrier"


def return_workflow_id(return_id: str) -> str:
    return f"return-{return_id}"
