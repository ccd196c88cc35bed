"""bench/actions.py classifies billable Temporal Cloud actions off real, checked-in histories."""

from __future__ import annotations

from pathlib import Path

from bench.actions import KINDS, by_path, cost_of, load, table

HISTORIES = Path(__file__).parents[1] / "replay" / "histories"


def cost(name: str):
    return cost_of(load(HISTORIES / f"{name}.json").events, name)


def test_the_refund_before_lean_history_costs_26_actions_in_71_events():
    # Recorded before Patch.LEAN_HISTORY: 14 upserts, of which 4 only carry TemporalChangeVersion (not billed);
    # 7 local-activity markers in 6 workflow tasks; buy label, label email, route items, refund.
    c = cost("notification_outbox")
    assert c.path == "refund"
    assert dict(c.actions) == {
        "start": 1,
        "activity": 4,
        "local_activities": 6,
        "timer": 1,
        "signal": 2,
        "update": 2,
        "upsert": 10,
        "child": 0,
    }
    assert (c.total, c.events) == (26, 71)


def test_every_attempt_of_an_activity_is_an_action():
    # side_effect_flagged: the first activity failed four times before its fifth attempt succeeded.
    c = cost("side_effect_flagged")
    assert c.actions["activity"] == 5 + 1 + 1 + 1


def test_child_workflows_are_counted_and_paths_come_from_the_result():
    assert cost("routed_items").actions["child"] == 2
    assert cost("exchange_standard").path == "exchange"
    assert cost("cancelled").path == "cancelled"
    assert cost("merchant_webhook_delivery").path == "open"  # terminated while retrying: no result


def test_a_lean_happy_refund_costs_at_most_15_actions():
    # The regression guard on the recorded history (tests/workflows/test_lean_history.py records it).
    c = cost("lean_refund")
    assert c.path == "refund"
    assert c.total <= 15, c.actions
    assert c.actions["upsert"] <= 3 and c.actions["local_activities"] <= 3
    assert c.events <= 56  # 53 recorded; 71 before


def test_a_lean_exchange_costs_at_most_20_actions():
    c = cost("lean_exchange")
    assert c.path == "exchange"
    assert c.total <= 20, c.actions
    assert c.events <= 79  # 71 recorded; 113 before


def test_the_table_groups_by_path_against_the_target():
    costs = [cost("notification_outbox"), cost("lean_refund"), cost("lean_exchange")]
    assert set(by_path(costs)) == {"refund", "exchange"}
    lines = table(costs).splitlines()
    assert lines[0].split()[: 2 + len(KINDS)] == ["path", "n", *KINDS]
    refund = next(line for line in lines if line.startswith("refund"))
    assert refund.split()[1] == "2" and refund.endswith("OVER")  # the mean of 26 and the lean one is above 15
    exchange = next(line for line in lines if line.startswith("exchange"))
    assert exchange.endswith("ok")
