"""Return-label rate choice: rules validation, each selection rule (tables), then properties."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from domain.labels import LabelRules, NoRate, RateChoice, RateOption, choose_rate
from domain.money import Money

SETTINGS = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def usd(amount: int) -> Money:
    return Money(amount=amount, currency="USD")


def rate(rate_id: str, carrier: str, service: str, cost: int, days: int | None, currency: str = "USD") -> RateOption:
    return RateOption(
        rate_id=rate_id,
        carrier=carrier,
        service=service,
        cost=Money(amount=cost, currency=currency),
        delivery_days=days,
    )


# What EasyPost quoted for one shipment, in the shape the carrier activity reads it.
GROUND = rate("rate_ground", "USPS", "GroundAdvantage", 520, 5)
PRIORITY = rate("rate_priority", "USPS", "Priority", 758, 2)
UPS_GROUND = rate("rate_ups", "UPS", "Ground", 900, 3)
EXPRESS = rate("rate_express", "FedEx", "Express", 2500, 1)
QUOTED = [PRIORITY, EXPRESS, GROUND, UPS_GROUND]


def chosen(rules: LabelRules, rates=QUOTED) -> RateChoice:
    decision = choose_rate(rules, rates)
    assert isinstance(decision, RateChoice), decision
    return decision


def api_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# ---- rules -----------------------------------------------------------------------------------


def test_defaults_allow_everything_and_choose_the_cheapest():
    rules = LabelRules()
    assert (rules.carriers, rules.services, rules.max_cost, rules.selection) == ([], [], None, "cheapest")
    assert chosen(rules).chosen == GROUND


@pytest.mark.parametrize(
    ("doc", "where", "words"),
    [
        ({"selection": "preferred_carrier"}, "preferred_carriers", "at least one preferred carrier"),
        ({"selection": "preferred_carrier", "preferred_carriers": []}, "preferred_carriers", "at least one"),
        ({"carriers": ["USPS", " usps "]}, "carriers[1]", "already carriers[0]"),
        ({"carriers": ["  "]}, "carriers[0]", "blank"),
        ({"services": ["Priority", "PRIORITY"]}, "services[1]", "already services[0]"),
        ({"preferred_carriers": ["UPS", ""]}, "preferred_carriers[1]", "blank"),
        (
            {"carriers": ["USPS"], "preferred_carriers": ["ups"], "selection": "preferred_carrier"},
            "preferred_carriers[0]",
            "not an allowed carrier",
        ),
        ({"selection": "slowest"}, "selection", "cheapest"),
        ({"max_cost": {"amount": -1, "currency": "USD"}}, "max_cost.amount", "greater than or equal to 0"),
        ({"max_cost": {"amount": 500, "currency": "US1"}}, "max_cost.currency", "ISO 4217"),
        ({"max_cost": 5.5}, "max_cost", "Money"),
        ({"cheapest": True}, "cheapest", "Extra inputs"),
    ],
)
def test_invalid_rules_name_the_field(doc, where, words):
    with pytest.raises(ValidationError) as err:
        LabelRules.model_validate(doc)
    found = [(api_path(e["loc"]), e["msg"]) for e in err.value.errors()]
    assert any(path == where and words in msg for path, msg in found), found


def test_names_are_stored_trimmed_and_compare_ignoring_case():
    rules = LabelRules(carriers=[" usps "], services=["priority"])
    assert rules.carriers == ["usps"]
    assert chosen(rules).chosen == PRIORITY


def test_preferred_carriers_are_ignored_by_the_other_selections():
    assert chosen(LabelRules(preferred_carriers=["FedEx"])).chosen == GROUND


# ---- tables ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "expected", "reason"),
    [
        (LabelRules(), GROUND, "cheapest of 4 allowed rates"),
        (LabelRules(carriers=["UPS", "FedEx"]), UPS_GROUND, "cheapest of 2 allowed rates"),
        (LabelRules(services=["Priority", "Express"]), PRIORITY, "cheapest of 2 allowed rates"),
        (LabelRules(carriers=["ups"]), UPS_GROUND, "the only allowed rate"),
        (LabelRules(max_cost=usd(800)), GROUND, "cheapest of 2 allowed rates within the 8.00 USD budget"),
        (LabelRules(selection="fastest_within_budget"), EXPRESS, "fastest of 4 allowed rates (1 day)"),
        (
            LabelRules(selection="fastest_within_budget", max_cost=usd(1000)),
            PRIORITY,
            "fastest of 3 allowed rates within the 10.00 USD budget (2 days)",
        ),
        (LabelRules(selection="fastest_within_budget", max_cost=usd(758)), PRIORITY, "(2 days)"),  # at the budget: in
        (LabelRules(selection="fastest_within_budget", max_cost=usd(757)), GROUND, "the only allowed rate"),
        (
            LabelRules(selection="preferred_carrier", preferred_carriers=["UPS", "USPS"]),
            UPS_GROUND,
            "preferred carrier UPS (#1): its only allowed rate",
        ),
        (
            LabelRules(selection="preferred_carrier", preferred_carriers=["usps", "UPS"]),
            GROUND,
            "preferred carrier usps (#1): cheapest of its 2 allowed rates",
        ),
        (
            LabelRules(selection="preferred_carrier", preferred_carriers=["FedEx", "UPS"], max_cost=usd(1000)),
            UPS_GROUND,
            "FedEx: no allowed rate within the 10.00 USD budget; preferred carrier UPS (#2)",
        ),
        (
            LabelRules(selection="preferred_carrier", preferred_carriers=["DHL"]),
            GROUND,
            "no preferred carrier (DHL) has an allowed rate: cheapest of 4 allowed rates",
        ),
        (
            LabelRules(selection="preferred_carrier", preferred_carriers=["UPS"], services=["Priority"]),
            PRIORITY,
            "no preferred carrier (UPS) has an allowed rate: the only allowed rate",
        ),
    ],
)
def test_each_selection_rule(rules, expected, reason):
    decision = chosen(rules)
    assert decision.chosen == expected
    assert reason in decision.reason, decision.reason


def test_alternatives_are_the_other_qualifying_rates_cheapest_first():
    assert chosen(LabelRules(selection="fastest_within_budget")).alternatives == [GROUND, PRIORITY, UPS_GROUND]
    assert chosen(LabelRules(max_cost=usd(900))).alternatives == [PRIORITY, UPS_GROUND]
    assert chosen(LabelRules(carriers=["UPS"])).alternatives == []


@pytest.mark.parametrize(
    ("rates", "rules", "expected"),
    [
        # cheapest: equal cost -> fewer days -> unknown days are slowest -> carrier, service -> rate id
        ([rate("a", "UPS", "Ground", 500, 4), rate("b", "USPS", "Ground", 500, 3)], LabelRules(), "b"),
        ([rate("a", "UPS", "Ground", 500, None), rate("b", "USPS", "Ground", 500, 9)], LabelRules(), "b"),
        ([rate("a", "USPS", "Ground", 500, 3), rate("b", "ups", "Ground", 500, 3)], LabelRules(), "b"),
        ([rate("a", "UPS", "Surepost", 500, 3), rate("b", "UPS", "ground", 500, 3)], LabelRules(), "b"),
        ([rate("b", "UPS", "Ground", 500, 3), rate("a", "UPS", "Ground", 500, 3)], LabelRules(), "a"),
        # fastest: equal days -> lower cost; unknown days are slowest even when cheaper
        (
            [rate("a", "UPS", "Air", 900, 2), rate("b", "DHL", "Air", 800, 2)],
            LabelRules(selection="fastest_within_budget"),
            "b",
        ),
        (
            [rate("a", "UPS", "Air", 100, None), rate("b", "DHL", "Air", 800, 9)],
            LabelRules(selection="fastest_within_budget"),
            "b",
        ),
        (
            [rate("a", "UPS", "Air", 300, None), rate("b", "DHL", "Air", 200, None)],
            LabelRules(selection="fastest_within_budget"),
            "b",
        ),
        # a preferred carrier's cheapest, even when another carrier is cheaper and faster
        (
            [rate("a", "UPS", "Air", 900, 2), rate("b", "UPS", "Ground", 700, 5), rate("c", "DHL", "Air", 100, 1)],
            LabelRules(selection="preferred_carrier", preferred_carriers=["ups"]),
            "b",
        ),
    ],
)
def test_ties_are_broken_deterministically(rates, rules, expected):
    assert chosen(rules, rates).chosen.rate_id == expected
    assert chosen(rules, rates[::-1]).chosen.rate_id == expected


def test_rates_in_another_currency_than_the_budget_do_not_qualify():
    cad = rate("cad", "Canada Post", "Expedited", 100, 2, currency="CAD")
    decision = chosen(LabelRules(max_cost=usd(800)), [cad, PRIORITY])
    assert decision.chosen == PRIORITY and decision.alternatives == []


def test_without_a_budget_rates_in_another_currency_are_not_compared():
    cheap_eur = rate("eur", "DHL", "Paket", 1, 3, currency="EUR")  # 1 cent, but in EUR: not comparable
    decision = chosen(LabelRules(), [cheap_eur, PRIORITY, GROUND])
    assert decision.chosen == GROUND and decision.alternatives == [PRIORITY]
    assert "in USD (1 rate in other currencies not compared)" in decision.reason


def test_a_rate_id_counts_once():
    decision = chosen(LabelRules(), [GROUND, GROUND, PRIORITY])
    assert decision.chosen == GROUND and decision.alternatives == [PRIORITY]


@pytest.mark.parametrize(
    ("rates", "rules", "code", "words"),
    [
        ([], LabelRules(), "no_rates", "no rates"),
        (
            QUOTED,
            LabelRules(carriers=["DHL"]),
            "carrier_not_allowed",
            "none of the 4 quoted rates is allowed (allowed: carriers DHL); the cheapest quoted is USPS GroundAdvantage at 5.20 USD",
        ),
        (
            QUOTED,
            LabelRules(carriers=["UPS"], services=["Express"]),
            "carrier_not_allowed",
            "(allowed: carriers UPS; services Express)",
        ),
        (
            QUOTED,
            LabelRules(max_cost=usd(500)),
            "over_budget",
            "the cheapest allowed rate, USPS GroundAdvantage at 5.20 USD, is over the 5.00 USD budget "
            "(none of the 4 allowed rates is within it)",
        ),
        (
            QUOTED,
            LabelRules(carriers=["FedEx"], max_cost=usd(2499)),
            "over_budget",
            "the cheapest allowed rate, FedEx Express at 25.00 USD, is over the 24.99 USD budget",
        ),
        (
            QUOTED,
            LabelRules(max_cost=Money(amount=10_000, currency="EUR")),
            "over_budget",
            "none of the 4 allowed rates is priced in EUR like the 100.00 EUR budget; the cheapest is USPS GroundAdvantage at 5.20 USD",
        ),
        (
            QUOTED,
            LabelRules(selection="preferred_carrier", preferred_carriers=["UPS"], max_cost=usd(1)),
            "over_budget",
            "over the 0.01 USD budget",
        ),
    ],
)
def test_when_nothing_qualifies_the_answer_says_why(rates, rules, code, words):
    decision = choose_rate(rules, rates)
    assert isinstance(decision, NoRate) and decision.code == code
    assert words in decision.reason, decision.reason


# ---- properties ------------------------------------------------------------------------------

CARRIERS = ["USPS", "usps", "UPS", "FedEx", "DHL"]  # two spellings of one carrier
SERVICES = ["Ground", "GROUND", "Priority", "Express"]

rates_ = st.lists(
    st.builds(
        rate,
        st.sampled_from([f"rate_{i}" for i in range(12)]),
        st.sampled_from(CARRIERS),
        st.sampled_from(SERVICES),
        st.integers(0, 1500).map(lambda c: c - c % 50),  # round amounts: equal costs happen
        st.one_of(st.none(), st.integers(1, 6)),
        st.sampled_from(["USD", "USD", "USD", "EUR"]),
    ),
    max_size=10,
    unique_by=lambda r: r.rate_id,  # EasyPost's ids are unique (a repeated id: test_a_rate_id_counts_once)
)
rules_ = st.builds(
    lambda carriers, services, budget, selection, preferred: LabelRules(
        carriers=carriers,
        services=services,
        max_cost=budget,
        selection=selection,
        preferred_carriers=[p for p in preferred if not carriers or p in carriers] or carriers[:1] or ["UPS"],
    ),
    st.lists(st.sampled_from(["USPS", "UPS", "FedEx", "DHL"]), unique=True, max_size=3),
    st.lists(st.sampled_from(["ground", "priority", "express"]), unique=True, max_size=2),
    st.one_of(
        st.none(), st.builds(Money, amount=st.integers(0, 1500), currency=st.sampled_from(["USD", "USD", "EUR"]))
    ),
    st.sampled_from(["cheapest", "fastest_within_budget", "preferred_carrier"]),
    st.lists(st.sampled_from(["UPS", "USPS", "DHL"]), unique=True, max_size=3),
)


def qualifying(rules: LabelRules, rates: list[RateOption]) -> list[RateOption]:
    """The rule, restated plainly: allowed carrier and service, within the budget and in its currency."""
    carriers, services = {c.lower() for c in rules.carriers}, {s.lower() for s in rules.services}
    return [
        r
        for r in rates
        if (not carriers or r.carrier.lower() in carriers)
        and (not services or r.service.lower() in services)
        and (
            rules.max_cost is None
            or (r.cost.currency == rules.max_cost.currency and r.cost.amount <= rules.max_cost.amount)
        )
    ]


@SETTINGS
@given(rules_, rates_)
def test_the_choice_is_always_allowed_within_budget_and_apart_from_its_alternatives(rules, rates):
    decision = choose_rate(rules, rates)
    ok = qualifying(rules, rates)
    if not ok:
        assert isinstance(decision, NoRate) and decision.reason
        allowed = any(rules.allows(r) for r in rates)
        assert decision.code == ("no_rates" if not rates else "over_budget" if allowed else "carrier_not_allowed")
        return
    assert isinstance(decision, RateChoice)
    assert decision.chosen in ok
    assert decision.chosen not in decision.alternatives
    assert decision.chosen.rate_id not in {a.rate_id for a in decision.alternatives}
    assert all(a in ok and a.cost.currency == decision.chosen.cost.currency for a in decision.alternatives)
    assert [a.cost.amount for a in decision.alternatives] == sorted(a.cost.amount for a in decision.alternatives)
    # every other qualifying rate (in the compared currency) is an alternative
    same = {r.rate_id for r in ok if r.cost.currency == decision.chosen.cost.currency}
    assert {a.rate_id for a in decision.alternatives} | {decision.chosen.rate_id} == same


@SETTINGS
@given(rules_, rates_, st.randoms(use_true_random=False))
def test_same_input_same_choice_whatever_the_order(rules, rates, rnd):
    decision = choose_rate(rules, rates)
    assert choose_rate(rules, list(rates)) == decision
    shuffled = list(rates)
    rnd.shuffle(shuffled)
    assert choose_rate(rules, shuffled) == decision


@SETTINGS
@given(rules_.map(lambda r: r.model_copy(update={"selection": "cheapest"})), rates_)
def test_cheapest_never_costs_more_than_any_qualifying_rate(rules, rates):
    decision = choose_rate(rules, rates)
    if isinstance(decision, RateChoice):
        chosen_ = decision.chosen
        assert all(
            chosen_.cost.amount <= r.cost.amount
            for r in qualifying(rules, rates)
            if r.cost.currency == chosen_.cost.currency
        )
        assert all(chosen_.cost.amount <= a.cost.amount for a in decision.alternatives)


@SETTINGS
@given(rules_.map(lambda r: r.model_copy(update={"selection": "fastest_within_budget"})), rates_)
def test_fastest_is_never_slower_than_a_qualifying_rate(rules, rates):
    decision = choose_rate(rules, rates)
    if isinstance(decision, RateChoice):
        days = decision.chosen.delivery_days
        for other in decision.alternatives:
            if days is None:
                assert other.delivery_days is None
            elif other.delivery_days is not None:
                assert days < other.delivery_days or (
                    days == other.delivery_days and decision.chosen.cost.amount <= other.cost.amount
                )


@SETTINGS
@given(rules_.map(lambda r: r.model_copy(update={"selection": "preferred_carrier"})), rates_)
def test_preferred_carrier_is_the_first_preference_that_has_a_qualifying_rate(rules, rates):
    decision = choose_rate(rules, rates)
    if not isinstance(decision, RateChoice):
        return
    pool = [r for r in qualifying(rules, rates) if r.cost.currency == decision.chosen.cost.currency]
    having = [p for p in rules.preferred_carriers if any(r.carrier.lower() == p.lower() for r in pool)]
    if having:
        assert decision.chosen.carrier.lower() == having[0].lower()
        theirs = [r for r in pool if r.carrier.lower() == having[0].lower()]
    else:
        theirs = pool
    assert decision.chosen.cost.amount == min(r.cost.amount for r in theirs)
