import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.disposition import DispositionKind, DispositionPolicy, DispositionRule
from domain.inspection import Finding, amount_due, item_outcome
from domain.money import Money
from domain.requests import RequestedItem, check_request
from domain.returns import Grade, ReturnLine, ReturnReason

DEFAULTS = DispositionPolicy()


def line(reason: ReturnReason, qty: int = 2, price: int = 1999, category: str = "") -> ReturnLine:
    return ReturnLine(line_id="L1", sku="S", quantity=qty, unit_price=price, reason=reason, category=category)


def paid(l: ReturnLine, currency: str = "EUR") -> Money:
    return Money(amount=l.unit_price * l.quantity, currency=currency)


def outcome(l: ReturnLine, grade, value: Money | None = None, rules=DEFAULTS, **kw):
    return item_outcome(l, grade, value or paid(l), rules, **kw)


@pytest.mark.parametrize(
    "grade,category,disposition",
    [
        (Grade.A, "apparel", DispositionKind.RESTOCK),
        (Grade.B, "apparel", DispositionKind.REFURBISH),
        (Grade.B, "books", DispositionKind.RESTOCK),
        (Grade.C, "apparel", DispositionKind.DONATE),
        (Grade.C, "electronics", DispositionKind.REFURBISH),
        (Grade.D, "batteries", DispositionKind.DISPOSE),
        (Grade.D, "apparel", DispositionKind.RECYCLE),
    ],
)
def test_disposition_comes_from_the_rules(grade, category, disposition):
    assert outcome(line(ReturnReason.CHANGED_MIND, category=category), grade).disposition == disposition


def test_a_merchant_rule_changes_the_disposition_and_the_recovery_estimate():
    rules = DispositionPolicy(
        rules=[
            DispositionRule(
                id="defective-liquidate",
                grades=[Grade.C],
                reasons=[ReturnReason.DEFECTIVE],
                disposition=DispositionKind.LIQUIDATE,
                recovery_percent=25,
            )
        ]
    )
    got = outcome(line(ReturnReason.DEFECTIVE, price=2000, category="electronics"), Grade.C, rules=rules)
    assert (got.disposition, got.rule, got.recovery_value.amount) == (
        DispositionKind.LIQUIDATE,
        "defective-liquidate",
        500,
    )


@pytest.mark.parametrize("grade,expected", [(Grade.A, 3998), (Grade.B, 3998), (Grade.C, 1999), (Grade.D, 0)])
def test_shopper_reasons_refund_by_grade(grade, expected):
    assert outcome(line(ReturnReason.CHANGED_MIND), grade).refund.amount == expected


@pytest.mark.parametrize(
    "reason",
    [ReturnReason.DEFECTIVE, ReturnReason.WRONG_ITEM, ReturnReason.DAMAGED_IN_TRANSIT, ReturnReason.NOT_AS_DESCRIBED],
)
def test_merchant_fault_refunds_in_full_when_the_reason_holds(reason):
    assert outcome(line(reason), Grade.D).refund.amount == 3998
    assert outcome(line(reason), Grade.D).findings == []


def test_an_unconfirmed_merchant_fault_reason_is_graded_like_any_other_and_flagged():
    got = outcome(line(ReturnReason.DEFECTIVE), Grade.C, matches_reason=False)
    assert got.refund.amount == 1999
    assert got.findings == [Finding.REASON_NOT_CONFIRMED]


@pytest.mark.parametrize("problem,finding", [("missing", Finding.MISSING), ("wrong_item", Finding.WRONG_ITEM)])
def test_missing_or_wrong_items_get_nothing_no_route_and_a_flag(problem, finding):
    got = outcome(line(ReturnReason.DEFECTIVE), None if problem == "missing" else Grade.A, problem=problem)
    assert (got.refund.amount, got.disposition, got.flagged) == (0, None, True)
    assert finding in got.findings


def test_only_a_missing_item_may_lack_a_grade():
    with pytest.raises(ValueError):
        outcome(line(ReturnReason.CHANGED_MIND), None)


@pytest.mark.parametrize("grade,flagged", [(Grade.A, False), (Grade.B, False), (Grade.C, True), (Grade.D, True)])
def test_a_grade_worse_than_a_shopper_reason_claims_is_flagged(grade, flagged):
    assert (Finding.WORSE_THAN_CLAIMED in outcome(line(ReturnReason.TOO_SMALL), grade).findings) is flagged


@given(
    st.sampled_from(list(ReturnReason)),
    st.sampled_from(list(Grade)),
    st.booleans(),
    st.sampled_from([None, "wrong_item"]),
    st.integers(min_value=1, max_value=1000),
    st.integers(min_value=0, max_value=10**7),
)
def test_refund_never_exceeds_the_items_value(reason, grade, matches, problem, qty, price):
    l = line(reason, qty, price)
    got = outcome(l, grade, paid(l, "USD"), matches_reason=matches, problem=problem)
    assert 0 <= got.refund.amount <= qty * price
    assert 0 <= got.recovery_value.amount <= price
    assert got.flagged == (
        problem is not None or not matches or (not reason.is_merchant_fault and grade in (Grade.C, Grade.D))
    )
    zero = Money.zero("USD")
    assert amount_due([got.refund, got.refund], zero, "USD").amount == 2 * got.refund.amount


def test_shipping_fee_comes_off_once_and_never_below_zero():
    l = line(ReturnReason.CHANGED_MIND, 1, 1000)
    got = outcome(l, Grade.A)
    assert amount_due([got.refund, got.refund], Money(amount=595, currency="EUR"), "EUR").amount == 1405
    assert amount_due([got.refund], Money(amount=5000, currency="EUR"), "EUR").amount == 0


def test_request_problems_name_the_item():
    problems = check_request(
        {"L1": 2, "L2": 1},
        [
            RequestedItem(line_id="L1", quantity=3),
            RequestedItem(line_id="L9", quantity=1),
            RequestedItem(line_id="L2", quantity=1),
        ],
        {"L2": 1},
    )
    assert [p.field for p in problems] == ["items[0].quantity", "items[1].line_id", "items[2].quantity"]
    assert "more than the 0 left" in problems[2].message


def test_duplicate_lines_and_empty_requests_are_problems():
    assert check_request({"L1": 2}, [], {})[0].field == "items"
    dup = check_request(
        {"L1": 2}, [RequestedItem(line_id="L1", quantity=1), RequestedItem(line_id="L1", quantity=1)], {}
    )
    assert [p.field for p in dup] == ["items[1].line_id"]


def test_valid_request_has_no_problems():
    assert check_request({"L1": 2}, [RequestedItem(line_id="L1", quantity=2)], {}) == []
