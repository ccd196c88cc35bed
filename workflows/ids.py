"""Deterministic ids: one workflow per return, named after it."""

TASK_QUEUE = "returns"
CARRIER_TASK_QUEUE = "carrier"


def return_workflow_id(return_id: str) -> str:
    return f"return-{return_id}"


def transfer_workflow_id(return_id: str, line_id: str) -> str:
    """The child workflow moving one item of a return to its facility; also the shipment's reference."""
    return f"transfer-{return_id}-{line_id}"
