"""Disposition: defaults, merchant rules, precedence, validation (tables, then properties)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from domain.disposition import (
    CAPABILITY_FOR_DISPOSITION,
    DEFAULT_RULES,
    DispositionDecision,
    DispositionKind,
    DispositionPolicy,
    DispositionRule,
    capability_for,
    decide,
)
from domain.facilities import Capability
from domain.money import Money
from domain.returns import Grade, ReturnReason

SETTINGS = settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
FEWER = settings(SETTINGS, max_examples=50)  # secondary properties: keeps this file well under 1.5 s

A, B, C, D = Grade.A, Grade.B, Grade.C, Grade.D
RESTOCK, REFURBISH, RECYCLE = DispositionKind.RESTOCK, DispositionKind.REFURBISH, DispositionKind.RECYCLE
DONATE, DISPOSE, LIQUIDATE = DispositionKind.DONATE, DispositionKind.DISPOSE, DispositionKind.LIQUIDATE
MIND, DEFECTIVE, SMALL = ReturnReason.CHANGED_MIND, ReturnReason.DEFECTIVE, ReturnReason.TOO_SMALL
EUR_100 = Money(amount=10_000, currency="EUR")
DEFAULTS = DispositionPolicy()


def api_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def rule(id: str, disposition=REFURBISH, percent: int = 50, **match) -> dict:
    return {"id": id, "disposition": disposition, "recovery_percent": percent, **match}


def policy(*rules: dict) -> DispositionPolicy:
    return DispositionPolicy.model_validate({"rules": list(rules)})


# ---- the defaults --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "grade,category,reason,disposition,percent,rule_id",
    [
        (A, "electronics", MIND, RESTOCK, 100, "default:A"),
        (A, "", DEFECTIVE, RESTOCK, 100, "default:A"),  # inspected as new: the reason does not matter
        (B, "books", MIND, RESTOCK, 90, "default:B-like-new-sellable"),
        (B, " Toys ", SMALL, RESTOCK, 90, "default:B-like-new-sellable"),  # categories ignore case and spaces
        (B, "electronics", MIND, REFURBISH, 70, "default:B"),
        (B, "apparel", SMALL, REFURBISH, 70, "default:B"),  # like-new clothes are resold, not donated
        (B, "", MIND, REFURBISH, 70, "default:B"),
        (C, "apparel", SMALL, DONATE, 0, "default:C-apparel"),
        (C, "Clothing", MIND, DONATE, 0, "default:C-apparel"),
        (C, "electronics", DEFECTIVE, REFURBISH, 40, "default:C-electronics"),
        (C, "furniture", MIND, RECYCLE, 5, "default:C"),
        (C, "", MIND, RECYCLE, 5, "default:C"),
        (D, "batteries", DEFECTIVE, DISPOSE, 0, "default:D-hazardous"),
        (D, "hazardous", MIND, DISPOSE, 0, "default:D-hazardous"),
        (D, "electronics", DEFECTIVE, RECYCLE, 2, "default:D"),
        (D, "", MIND, RECYCLE, 2, "default:D"),
    ],
)
def test_defaults(grade, category, reason, disposition, percent, rule_id):
    decision = decide(DEFAULTS, grade, category, reason, EUR_100)
    assert decision == DispositionDecision(
        disposition=disposition,
        recovery_percent=percent,
        recovery_value=Money(amount=100 * percent, currency="EUR"),
        rule=rule_id,
    )


def test_the_default_policy_is_the_default_rules_and_survives_a_round_trip():
    assert DEFAULTS.defaults == list(DEFAULT_RULES) and DEFAULTS.rules == []
    assert DispositionPolicy.model_validate_json(DEFAULTS.model_dump_json()) == DEFAULTS


def test_every_disposition_needs_the_capability_of_the_same_name():
    for kind in DispositionKind:
        assert kind.capability is Capability(kind.value)
    assert {k.value for k in DispositionKind} == {c.value for c in Capability}
    assert decide(DEFAULTS, C, "apparel", SMALL, EUR_100).capability is Capability.DONATE


def test_each_disposition_has_one_capability_from_one_mapping():
    """The mapping is total and one to one, and both vocabularies keep their stored strings."""
    assert set(CAPABILITY_FOR_DISPOSITION) == set(DispositionKind)
    assert sorted(CAPABILITY_FOR_DISPOSITION.values()) == sorted(Capability)
    assert [k.value for k in DispositionKind] == ["restock", "refurbish", "recycle", "donate", "dispose", "liquidate"]
    assert [c.value for c in Capability] == ["restock", "refurbish", "recycle", "donate", "dispose", "liquidate"]
    for kind in DispositionKind:
        assert capability_for(kind) is kind.capability is CAPABILITY_FOR_DISPOSITION[kind]
        assert capability_for(kind.value) is capability_for(kind)  # as stored on an item route
    with pytest.raises(ValueError):
        capability_for("teleport")


@pytest.mark.parametrize(
    "unit_value,percent,expected",
    [
        (Money(amount=999, currency="EUR"), 70, 699),  # 699.3 rounds down
        (Money(amount=1, currency="EUR"), 90, 0),
        (Money(amount=0, currency="EUR"), 100, 0),
        (Money(amount=12_345, currency="JPY"), 40, 4_938),
    ],
)
def test_recovery_value_is_rounded_down_in_the_items_currency(unit_value, percent, expected):
    p = policy(rule("r", percent=percent))
    assert decide(p, B, "x", MIND, unit_value).recovery_value == Money(amount=expected, currency=unit_value.currency)


# ---- merchant rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rules,item,expected",
    [
        # a catch-all replaces every default
        ([rule("all", LIQUIDATE, 30)], (A, "books", MIND), "all"),
        # by grade
        ([rule("d", DISPOSE, 0, grades=["D"])], (D, "shoes", MIND), "d"),
        ([rule("d", DISPOSE, 0, grades=["D"])], (C, "shoes", MIND), "default:C"),
        # by category (ignoring case)
        ([rule("furn", LIQUIDATE, 20, categories=["Furniture"])], (B, "furniture", MIND), "furn"),
        ([rule("furn", LIQUIDATE, 20, categories=["Furniture"])], (B, "shoes", MIND), "default:B"),
        ([rule("furn", LIQUIDATE, 20, categories=["Furniture"])], (B, "", MIND), "default:B"),
        # by reason
        ([rule("def", LIQUIDATE, 25, reasons=["defective"])], (A, "x", DEFECTIVE), "def"),
        ([rule("def", LIQUIDATE, 25, reasons=["defective"])], (A, "x", MIND), "default:A"),
        # all three
        (
            [rule("x", DONATE, 0, grades=["B", "C"], categories=["shoes"], reasons=["too_small", "too_large"])],
            (C, "shoes", SMALL),
            "x",
        ),
        (
            [rule("x", DONATE, 0, grades=["B", "C"], categories=["shoes"], reasons=["too_small", "too_large"])],
            (D, "shoes", SMALL),
            "default:D",
        ),
        # the more specific wins at the same priority ...
        (
            [rule("b", REFURBISH, 60, grades=["B"]), rule("b-shoes", DONATE, 0, grades=["B"], categories=["shoes"])],
            (B, "shoes", MIND),
            "b-shoes",
        ),
        (
            [rule("b-shoes", DONATE, 0, grades=["B"], categories=["shoes"]), rule("b", REFURBISH, 60, grades=["B"])],
            (B, "shoes", MIND),
            "b-shoes",
        ),
        (
            [rule("b", REFURBISH, 60, grades=["B"]), rule("b-shoes", DONATE, 0, grades=["B"], categories=["shoes"])],
            (B, "bags", MIND),
            "b",
        ),
        # ... and the higher priority before the more specific
        (
            [
                rule("b", REFURBISH, 60, grades=["B"], priority=1),
                rule("b-shoes", DONATE, 0, grades=["B"], categories=["shoes"]),
            ],
            (B, "shoes", MIND),
            "b",
        ),
        # a merchant rule beats every default, whatever its priority
        ([rule("low", RECYCLE, 1, grades=["A"], priority=-100)], (A, "books", MIND), "low"),
        # equal rules that agree: the earlier one is reported
        ([rule("one", grades=["B"]), rule("two", categories=["shoes"])], (B, "shoes", MIND), "one"),
    ],
)
def test_merchant_rules(rules, item, expected):
    p = policy(*rules)
    decision = decide(p, *item, EUR_100)
    assert decision.rule == expected
    winner = next(r for r in [*p.rules, *p.defaults] if r.id == expected)
    assert (decision.disposition, decision.recovery_percent) == (winner.disposition, winner.recovery_percent)


def test_merchant_defaults_replace_the_built_in_ones():
    p = DispositionPolicy.model_validate({"defaults": [rule("everything", LIQUIDATE, 10)]})
    assert decide(p, A, "books", MIND, EUR_100).rule == "everything"


# ---- invalid policies ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "document,field,problem",
    [
        ({"rules": [rule("r", percent=101)]}, "rules[0].recovery_percent", "less than or equal to 100"),
        ({"rules": [rule("r", percent=-1)]}, "rules[0].recovery_percent", "greater than or equal to 0"),
        ({"rules": [rule("r", disposition="burn")]}, "rules[0].disposition", "Input should be 'restock'"),
        ({"rules": [rule("r", grades=["E"])]}, "rules[0].grades[0]", "Input should be 'A'"),
        ({"rules": [rule("r", reasons=["bored"])]}, "rules[0].reasons[0]", "Input should be 'too_small'"),
        ({"rules": [rule("r", categories=["shoes", " "])]}, "rules[0].categories[1]", "cannot be blank"),
        ({"rules": [rule("", percent=1)]}, "rules[0].id", "at least 1 character"),
        ({"rules": [{"id": "r", "disposition": "recycle"}]}, "rules[0].recovery_percent", "Field required"),
        ({"rules": [{**rule("r"), "grade": "A"}]}, "rules[0].grade", "Extra inputs are not permitted"),
        ({"rules": [rule("r", priority="high")]}, "rules[0].priority", "valid integer"),
        (
            {"rules": [rule("r", grades=["A"]), rule("r", grades=["B"])]},
            "rules[1].id",
            "rule id 'r' is already used by rules[0]",
        ),
        ({"rules": [rule("default:A")]}, "rules[0].id", "already used by defaults[0]"),
        # overlapping, as specific, same priority, different outcome: which one?
        (
            {"rules": [rule("a", REFURBISH, 50, grades=["B"]), rule("b", DONATE, 0, categories=["shoes"])]},
            "rules[1].priority",
            "rules 'a' and 'b' can match the same item",
        ),
        (
            {"rules": [rule("a", REFURBISH, 50, grades=["B"]), rule("b", REFURBISH, 60, grades=["B", "C"])]},
            "rules[1].priority",
            "refurbish 50% vs refurbish 60%",
        ),
        (
            {"rules": [rule("a", REFURBISH, 50, priority=2), rule("b", RECYCLE, 5, priority=2)]},
            "rules[1].priority",
            "same priority (2)",
        ),
        (
            {
                "rules": [
                    rule("a", RECYCLE, 5, categories=["Shoes"], reasons=["defective"]),
                    rule("b", DONATE, 0, categories=["shoes "], grades=["C"]),
                ]
            },
            "rules[1].priority",
            "give one a higher priority",
        ),
        # the defaults must decide every item
        ({"defaults": [rule("a", grades=["A", "B", "C"])]}, "defaults", "nothing decides grade D"),
        (
            {"defaults": [rule("a", categories=["shoes"])]},
            "defaults",
            "nothing decides grade A; grade B; grade C; grade D",
        ),
        (
            {"defaults": [rule("a", grades=["A", "B", "C"]), rule("d", grades=["D"], reasons=["defective"])]},
            "defaults",
            "grade D returned as too_small, too_large, not_as_described",
        ),
        ({"defaults": [rule("a"), rule("b", RECYCLE, 5)]}, "defaults[1].priority", "rules 'a' and 'b'"),
        ({"defaults": [rule("a"), rule("a")]}, "defaults[1].id", "already used by defaults[0]"),
        ({"defaults": [rule("a", percent=120)]}, "defaults[0].recovery_percent", "less than or equal to 100"),
        ({"fallback": "recycle"}, "fallback", "Extra inputs are not permitted"),
    ],
)
def test_invalid_policies_name_the_field(document, field, problem):
    with pytest.raises(ValueError) as err:  # pydantic's ValidationError is a ValueError
        DispositionPolicy.model_validate(document)
    found = [(api_path(e["loc"]), e["msg"]) for e in err.value.errors()]
    assert any(where == field and problem in msg for where, msg in found), found


@pytest.mark.parametrize(
    "rules",
    [
        [rule("a", REFURBISH, 50, grades=["B"]), rule("b", DONATE, 0, grades=["C"])],  # disjoint grades
        [
            rule("a", REFURBISH, 50, categories=["shoes"]),
            rule("b", DONATE, 0, categories=["bags"]),
        ],  # disjoint categories
        [
            rule("a", REFURBISH, 50, reasons=["defective"]),
            rule("b", DONATE, 0, reasons=["too_small"]),
        ],  # disjoint reasons
        [rule("a", REFURBISH, 50, grades=["B"]), rule("b", DONATE, 0, categories=["shoes"], priority=1)],  # priorities
        [
            rule("a", REFURBISH, 50, grades=["B"]),
            rule("b", DONATE, 0, grades=["B"], categories=["shoes"]),
        ],  # specificity
        [rule("a", REFURBISH, 50, grades=["B"]), rule("b", REFURBISH, 50, categories=["shoes"])],  # same outcome
    ],
)
def test_rules_that_cannot_conflict_are_valid(rules):
    assert len(policy(*rules).rules) == 2


def test_every_problem_across_rules_is_reported_at_once():
    with pytest.raises(ValidationError) as err:
        DispositionPolicy.model_validate(
            {"rules": [rule("b", grades=["B"]), rule("c", RECYCLE, 1, grades=["B"])], "defaults": []}
        )
    assert [api_path(e["loc"]) for e in err.value.errors()] == ["rules[1].priority", "defaults"]


def test_a_policy_is_immutable():
    with pytest.raises(ValidationError):
        DEFAULTS.rules = []  # type: ignore[misc]


# ---- properties ----------------------------------------------------------------------------------

CATEGORIES = ["apparel", "electronics", "Books", "batteries"]
ITEM_CATEGORIES = [*CATEGORIES, "books ", "", "garden"]
grades = st.sampled_from(list(Grade))
reasons = st.sampled_from(list(ReturnReason))
items = st.tuples(grades, st.sampled_from(ITEM_CATEGORIES), reasons)
unit_values = st.builds(Money, amount=st.integers(0, 10**9), currency=st.sampled_from(["EUR", "JPY", "KWD"]))

GRADES, REASONS, KINDS = list(Grade), list(ReturnReason), list(DispositionKind)


def chosen_by(mask: int, values: list) -> list:
    return [v for bit, v in enumerate(values) if mask >> bit & 1]


# A rule is a few integer draws (drawing is most of a property's time); masks of 0 mean "any".
rule_bodies = st.builds(
    lambda g, c, r, d, pct: {
        "grades": chosen_by(g, GRADES),
        "categories": chosen_by(c, CATEGORIES),
        "reasons": chosen_by(r, REASONS),
        "disposition": KINDS[d],
        "recovery_percent": pct,
    },
    st.integers(0, 2 ** len(GRADES) - 1),
    st.integers(0, 2 ** len(CATEGORIES) - 1),
    st.sampled_from([0, 0, 0b1, 0b1100, 0b11110000]) | st.integers(0, 2 ** len(REASONS) - 1),
    st.integers(0, len(KINDS) - 1),
    st.sampled_from([0, 5, 50, 100]) | st.integers(0, 100),
)


def build_rules(bodies_and_priorities) -> list[dict]:
    return [{"id": f"r{i}", **body, "priority": p} for i, (body, p) in enumerate(bodies_and_priorities)]


# Distinct priorities: always a valid policy.
valid_policies = st.builds(
    lambda bodies, priorities: policy(*build_rules(zip(bodies, priorities))),
    st.lists(rule_bodies, max_size=5),
    st.permutations(range(5)),
)
# Priorities 0 or 1: often ambiguous.
any_rule_lists = st.lists(st.tuples(rule_bodies, st.integers(0, 1)), max_size=4).map(build_rules)


def rank(r: DispositionRule) -> tuple[int, int]:
    return r.priority, r.specificity


@SETTINGS
@given(valid_policies, items, unit_values)
def test_decide_is_deterministic_and_follows_precedence_and_recovery_stays_within_the_unit_value(p, item, value):
    decision = decide(p, *item, value)
    # deterministic, also for the policy as stored
    assert decide(p, *item, value) == decision
    assert decide(DispositionPolicy.model_validate_json(p.model_dump_json()), *item, value) == decision
    # never negative, never above the unit value, in its currency
    assert decision.recovery_value.currency == value.currency
    assert 0 <= decision.recovery_value.amount <= value.amount
    assert decision.recovery_value == value.percent(decision.recovery_percent)
    # the winner matches the item (a merchant rule whenever one does) and no matching rule outranks it
    matching = [r for r in p.rules if r.matches(*item)]
    pool = matching or [r for r in p.defaults if r.matches(*item)]
    winner = next(r for r in pool if r.id == decision.rule)
    assert (winner.disposition, winner.recovery_percent) == (decision.disposition, decision.recovery_percent)
    assert all(rank(r) <= rank(winner) for r in pool)


@FEWER
@given(valid_policies, items, st.randoms(use_true_random=False))
def test_the_order_of_the_rules_does_not_change_the_outcome(p, item, rnd):
    shuffled = list(p.rules)
    rnd.shuffle(shuffled)
    a = decide(p, *item, EUR_100)
    b = decide(DispositionPolicy(rules=shuffled), *item, EUR_100)
    assert (a.disposition, a.recovery_value) == (b.disposition, b.recovery_value)


ALL_ITEMS = [(g, c, r) for g in Grade for c in ITEM_CATEGORIES for r in ReturnReason]  # every kind of item


@SETTINGS
@given(any_rule_lists)
def test_a_policy_is_invalid_exactly_when_two_equally_ranked_rules_disagree_on_an_item(rules):
    """So every item of a valid policy has one answer. (A clash is rejected even when a higher rule
    shadows it: the check is per pair of rules, as in domain.policy, so an error stays where it is.)"""
    parsed = [DispositionRule.model_validate(r) for r in rules]
    clash = False
    for item in ALL_ITEMS:
        matching = [r for r in parsed if r.matches(*item)]
        clash |= any(
            rank(x) == rank(y) and x.outcome != y.outcome for i, x in enumerate(matching) for y in matching[:i]
        )
    try:
        DispositionPolicy.model_validate({"rules": rules})
    except ValidationError as err:
        assert clash, err
        assert all(e["loc"][0] == "rules" and e["loc"][2] == "priority" for e in err.errors())
    else:
        assert not clash
