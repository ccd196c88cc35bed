"""Every payload in the checked-in histories decodes into its contract type and encodes back to the
same values: the contract's types (enums included) read and write exactly what is stored.

The replay test checks the workflow's commands; this one checks the data those histories carry
(activity inputs and results, signals, updates, start inputs and results).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from temporalio import activity
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter

from activities.carrier import CarrierActivities
from activities.email import EmailActivities
from activities.exchanges import ExchangeActivities
from activities.inventory import InventoryActivities
from activities.notify import NotifyActivities
from activities.payments import PaymentActivities
from activities.routing import RoutingActivities
from activities.store import StoreActivities
from workflows import messages as m

HISTORIES = sorted((Path(__file__).parent / "replay" / "histories").glob("*.json"))
ACTIVITY_CLASSES = (
    CarrierActivities,
    EmailActivities,
    ExchangeActivities,
    InventoryActivities,
    NotifyActivities,
    PaymentActivities,
    RoutingActivities,
    StoreActivities,
)
SIGNALS = {
    "carrier_event": m.CarrierEvent,
    "warehouse_receipt": m.WarehouseReceipt,
    "work_order_done": m.WorkOrderDone,
    "side_effect_trouble": m.SideEffectTrouble,
    "transfer_overdue": m.TransferOverdue,
}
UPDATES = {
    "submit": (m.SubmitReturn, m.ReturnView),
    "inspect": (m.Inspection, m.InspectionResult),
    "review": (m.ReviewDecision, m.ReturnView),
    "cancel": (m.CancelRequest, m.ReturnView),
    "schedule_pickup": (m.PickupWindow, m.ReturnView),
    "cancel_pickup": (m.CancelPickup, m.ReturnView),
    "receive_at_store": (m.StoreReceipt, m.ReturnView),
}
# Answers only the caller ever read, recorded before a required field was added (ItemOutcome.recovery_value).
OLDER_THAN_THE_CONTRACT = {("happy_path", "inspect")}
WORKFLOWS = {"ReturnWorkflow": (m.ReturnInput, m.ReturnView), "MerchantNotificationWorkflow": (m.MerchantEvent, str)}


def _activities() -> dict[str, tuple[list[type], type]]:
    found = {}
    for cls in ACTIVITY_CLASSES:
        for attr in vars(cls).values():
            defn = activity._Definition.from_callable(attr) if callable(attr) else None
            if defn is not None:
                found[defn.name] = (defn.arg_types, defn.ret_type)
    return found


ACTIVITIES = _activities()


def _payloads(block: dict | None) -> list[Payload]:
    return [
        Payload(
            metadata={k: base64.b64decode(v) for k, v in p.get("metadata", {}).items()},
            data=base64.b64decode(p.get("data", "")),
        )
        for p in (block or {}).get("payloads", [])
    ]


def _contains(after, before, at: str = "") -> None:
    """`after` says everything `before` said, in the same words; it may add fields (with their defaults)
    that were added to the contract after `before` was recorded."""
    if isinstance(before, dict):
        assert isinstance(after, dict), at
        for key, value in before.items():
            assert key in after, f"{at}.{key} is gone"
            _contains(after[key], value, f"{at}.{key}")
    elif isinstance(before, list):
        assert isinstance(after, list) and len(after) == len(before), at
        for i, (a, b) in enumerate(zip(after, before)):
            _contains(a, b, f"{at}[{i}]")
    else:
        assert after == before and type(after) is type(before), f"{at}: {before!r} became {after!r}"


def _roundtrip(payloads: list[Payload], types: list[type], where: str) -> int:
    converter = pydantic_data_converter.payload_converter
    values = converter.from_payloads(payloads, types)
    again = converter.to_payloads(values)
    for before, after in zip(payloads, again, strict=True):
        _contains(json.loads(after.data), json.loads(before.data), where)
    return len(payloads)


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
def test_history_payloads_decode_and_encode_unchanged(path: Path):
    events = json.loads(path.read_text())["events"]
    workflow_type, scheduled, updates, checked = None, {}, {}, 0
    for e in events:
        kind, eid = e["eventType"].removeprefix("EVENT_TYPE_"), e["eventId"]
        where = f"{path.stem} event {eid} {kind}"
        if kind == "WORKFLOW_EXECUTION_STARTED":
            a = e["workflowExecutionStartedEventAttributes"]
            workflow_type = a["workflowType"]["name"]
            checked += _roundtrip(_payloads(a.get("input")), [WORKFLOWS[workflow_type][0]], where)
        elif kind == "ACTIVITY_TASK_SCHEDULED":
            a = e["activityTaskScheduledEventAttributes"]
            name = a["activityType"]["name"]
            scheduled[eid] = name
            checked += _roundtrip(_payloads(a.get("input")), ACTIVITIES[name][0], where)
        elif kind == "ACTIVITY_TASK_COMPLETED":
            a = e["activityTaskCompletedEventAttributes"]
            ret = ACTIVITIES[scheduled[a["scheduledEventId"]]][1]
            if ret is not type(None):
                checked += _roundtrip(_payloads(a.get("result")), [ret], where)
        elif kind == "WORKFLOW_EXECUTION_SIGNALED":
            a = e["workflowExecutionSignaledEventAttributes"]
            checked += _roundtrip(_payloads(a.get("input")), [SIGNALS[a["signalName"]]], where)
        elif kind == "WORKFLOW_EXECUTION_UPDATE_ACCEPTED":
            request = e["workflowExecutionUpdateAcceptedEventAttributes"]["acceptedRequest"]
            name = request["input"]["name"]
            updates[request["meta"]["updateId"]] = name
            checked += _roundtrip(_payloads(request["input"].get("args")), [UPDATES[name][0]], where)
        elif kind == "WORKFLOW_EXECUTION_UPDATE_COMPLETED":
            a = e["workflowExecutionUpdateCompletedEventAttributes"]
            success, name = a["outcome"].get("success"), updates[a["meta"]["updateId"]]
            if success and (path.stem, name) not in OLDER_THAN_THE_CONTRACT:
                checked += _roundtrip(_payloads(success), [UPDATES[name][1]], where)
        elif kind == "CHILD_WORKFLOW_EXECUTION_COMPLETED":
            a = e["childWorkflowExecutionCompletedEventAttributes"]
            checked += _roundtrip(_payloads(a.get("result")), [m.TransferResult], where)
        elif kind == "WORKFLOW_EXECUTION_COMPLETED":
            a = e["workflowExecutionCompletedEventAttributes"]
            checked += _roundtrip(_payloads(a.get("result")), [WORKFLOWS[workflow_type][1]], where)
    assert checked > 0
