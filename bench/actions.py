"""What a return costs in Temporal Cloud actions, read off its history.

`count_actions(client, workflow_ids)` fetches each return's history and classifies its billable
actions by kind; `cost_of(events)` is the same over a history's events, pure. What counts follows
Temporal Cloud's pricing page: the start; every activity attempt (started or retried); one per
workflow task that ran local activities, however many; each timer started (a `wait_condition` with a
timeout starts one); each signal and accepted update; each search-attribute upsert command (several
attributes in one upsert are one; those given at start are free, and so is the `TemporalChangeVersion`
upsert a `workflow.patched` adds); each child workflow started. Queries and activity heartbeats are
billed too but leave nothing in a history, so they are not counted here.

    .venv/bin/python -m bench.actions   # the checked-in histories of tests/replay, one row each
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHistory

KINDS = ("start", "activity", "local_activities", "timer", "signal", "update", "upsert", "child")
# The targets: billable actions per return on a happy path.
TARGETS = {"refund": 15, "exchange": 20}
# ... and history events halved: the issue measured 82 for a refund; an exchange was 113 before Patch.LEAN_HISTORY.
EVENT_TARGETS = {"refund": 82 // 2, "exchange": 113 // 2}
CHANGE_VERSION = "TemporalChangeVersion"  # the patch bookkeeping attribute: not billed
LOCAL_ACTIVITY_MARKER = "core_local_activity"


@dataclass
class ReturnCost:
    """One workflow's billable actions by kind, and how many events its history holds."""

    workflow_id: str
    path: str
    actions: Counter = field(default_factory=Counter)
    events: int = 0

    @property
    def total(self) -> int:
        return sum(self.actions.values())


def cost_of(events: Iterable[HistoryEvent], workflow_id: str = "", path: str | None = None) -> ReturnCost:
    """Classify one history's billable actions (see the module doc); `path` defaults to the one the result names."""
    events = list(events)
    actions: Counter = Counter({kind: 0 for kind in KINDS})
    started_attempts: dict[int, int] = {}  # scheduled event id -> attempts made
    local_activity_tasks: set[int] = set()  # workflow task completed ids whose commands hold LA markers
    for e in events:
        t = e.event_type
        if t == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            actions["start"] += 1
        elif t == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            a = e.activity_task_started_event_attributes
            started_attempts[a.scheduled_event_id] = max(a.attempt, 1)
        elif t == EventType.EVENT_TYPE_MARKER_RECORDED:
            a = e.marker_recorded_event_attributes
            if a.marker_name == LOCAL_ACTIVITY_MARKER:
                local_activity_tasks.add(a.workflow_task_completed_event_id)
        elif t == EventType.EVENT_TYPE_TIMER_STARTED:
            actions["timer"] += 1
        elif t in (
            EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
            EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
        ):
            actions["signal"] += 1
        elif t == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            actions["update"] += 1
        elif t == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
            fields = set(e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields)
            if fields - {CHANGE_VERSION}:
                actions["upsert"] += 1
        elif t == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
            actions["child"] += 1
    actions["activity"] = sum(started_attempts.values())
    actions["local_activities"] = len(local_activity_tasks)
    return ReturnCost(workflow_id, path or path_of(events), actions, len(events))


def path_of(events: list[HistoryEvent]) -> str:
    """The resolution path a return took, from its result (a ReturnView): how it was settled when it
    completed (refund, store_credit, exchange, ...), else its final status; "unknown" when unreadable."""
    for e in reversed(events):
        if e.event_type != EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
            continue
        payloads = e.workflow_execution_completed_event_attributes.result.payloads
        if not payloads or payloads[0].metadata.get("encoding") != b"json/plain":
            return "unknown"  # encrypted or not ours: the caller passes the path
        view = json.loads(payloads[0].data)
        if not isinstance(view, dict):
            return "unknown"
        if view.get("status") != "completed":
            return str(view.get("status", "unknown"))
        if view.get("resolution") == "exchange":
            return "exchange"
        return str((view.get("settlement") or {}).get("method") or view.get("resolution") or "unknown")
    return "open"


async def count_actions(
    client: Client, workflow_ids: Iterable[str], paths: Mapping[str, str] | None = None
) -> list[ReturnCost]:
    """Each workflow's cost; `paths` labels a workflow id's path (else read off its result)."""
    paths = paths or {}
    costs = []
    for wid in workflow_ids:
        history = await client.get_workflow_handle(wid).fetch_history()
        costs.append(cost_of(history.events, wid, paths.get(wid)))
    return costs


def by_path(costs: Iterable[ReturnCost]) -> dict[str, list[ReturnCost]]:
    grouped: dict[str, list[ReturnCost]] = {}
    for cost in costs:
        grouped.setdefault(cost.path, []).append(cost)
    return dict(sorted(grouped.items()))


def table(costs: Iterable[ReturnCost], label: str = "path") -> str:
    """Mean actions per return by path (or one row per history with label='workflow'), next to the target."""
    rows = []
    groups = (
        by_path(costs) if label == "path" else {c.workflow_id: [c] for c in sorted(costs, key=lambda c: c.workflow_id)}
    )
    for name, group in groups.items():
        n = len(group)
        mean = {k: sum(c.actions[k] for c in group) / n for k in KINDS}
        total = sum(c.total for c in group) / n
        events = sum(c.events for c in group) / n
        path = group[0].path
        rows.append([name if label == "path" else f"{name} ({path})", str(n), *(_num(mean[k]) for k in KINDS)])
        rows[-1] += [
            _num(total),
            _verdict(total, TARGETS.get(path)),
            _num(events),
            _verdict(events, EVENT_TARGETS.get(path)),
        ]
    header = [label, "n", *KINDS, "total", "target", "events", "target"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in [header, *rows])


def _verdict(value: float, target: int | None) -> str:
    return "" if target is None else f"<= {target} " + ("ok" if value <= target else "OVER")


def _num(x: float) -> str:
    return str(int(x)) if x == int(x) else f"{x:.1f}"


def load(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(f"return-{path.stem}", path.read_text())


# The checked-in histories of one path (tests/replay/histories): before Patch.LEAN_HISTORY, with it, and with
# Patch.LABEL_MAIL_OUTBOX too (submitted as the API does, by update-with-start).
BEFORE_AND_AFTER = {
    "refund": ("notification_outbox", "lean_refund", "label_mail_outbox_refund"),
    "exchange": ("exchange_standard", "lean_exchange", "label_mail_outbox_exchange"),
}


def main(every: bool = False) -> None:
    """Before and after Patch.LEAN_HISTORY and Patch.LABEL_MAIL_OUTBOX per path, from the checked-in histories
    (`--every`: each history)."""
    folder = Path(__file__).parent.parent / "tests" / "replay" / "histories"
    if every:
        costs = [cost_of(load(p).events, p.stem) for p in sorted(folder.glob("*.json"))]
    else:
        names = [name for pair in BEFORE_AND_AFTER.values() for name in pair]
        costs = [cost_of(load(folder / f"{name}.json").events, name) for name in names]
    print(
        "Billable Temporal actions per return, from recorded histories "
        "(before -> Patch.LEAN_HISTORY -> Patch.LABEL_MAIL_OUTBOX):"
    )
    print(table(costs, label="workflow"))


if __name__ == "__main__":
    import sys

    main(every="--every" in sys.argv[1:])
