import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.inspection import amount_due, disposition_for, item_outcome
from domain.money import Money
from domain.requests import RequestedItem, check_request
from domain.returns import Disposition, Grade, ReturnLine, ReturnReason


def line(reason: ReturnReason, qty: int = 2, price: int = 1999) -> ReturnLine:
    return ReturnLine(line_id="L1", sku="S", quantity=qty, unit_price=price, reason=reason)


def paid(l: ReturnLine, currency: str = "EUR") -> Money:
    return Money(amount=l.unit_price * l.quantity, currency=currency)


@pytest.mark.parametrize(
    "grade,disposition",
    [(Grade.A, Disposition.RESTOCK), (Grade.B, Disposition.REFURBISH), (Grade.C, Disposition.RECYCLE), (Grade.D, Disposition.RECYCLE)],
)
def test_first_disposition_rules(grade, disposition):
    assert disposition_for(grade) == disposition


@pytest.mark.parametrize("grade,expected", [(Grade.A, 3998), (Grade.B, 3998), (Grade.C, 1999), (Grade.D, 0)])
def test_shopper_reasons_refund_by_grade(grade, expected):
    l = line(ReturnReason.CHANGED_MIND)
    assert item_outcome(l, grade, paid(l)).refund.amount == expected


@pytest.mark.parametrize("reason", [ReturnReason.DEFECTIVE, ReturnReason.WRONG_ITEM, ReturnReason.DAMAGED_IN_TRANSIT, ReturnReason.NOT_AS_DESCRIBED])
def test_merchant_fault_always_refunds_in_full(reason):
    assert item_outcome(line(reason), Grade.D, paid(line(reason))).refund.amount == 3998


@given(
    st.sampled_from(list(ReturnReason)),
    st.sampled_from(list(Grade)),
    st.integers(min_value=1, max_value=1000),
    st.integers(min_value=0, max_value=10**7),
)
def test_refund_never_exceeds_the_items_value(reason, grade, qty, price):
    l = line(reason, qty, price)
    outcome = item_outcome(l, grade, paid(l, "USD"))
    assert 0 <= outcome.refund.amount <= qty * price
    zero = Money.zero("USD")
    assert amount_due([outcome.refund, outcome.refund], zero, "USD").amount == 2 * outcome.refund.amount


def test_shipping_fee_comes_off_once_and_never_below_zero():
    l = line(ReturnReason.CHANGED_MIND, 1, 1000)
    outcome = item_outcome(l, Grade.A, paid(l))
    assert amount_due([outcome.refund, outcome.refund], Money(amount=595, currency="EUR"), "EUR").amount == 1405
    assert amount_due([outcome.refund], Money(amount=5000, currency="EUR"), "EUR").amount == 0


def test_request_problems_name_the_item():
    problems = check_request(
        {"L1": 2, "L2": 1},
        [RequestedItem(line_id="L1", quantity=3), RequestedItem(line_id="L9", quantity=1), RequestedItem(line_id="L2", quantity=1)],
        {"L2": 1},
    )
    assert [p.field for p in problems] == ["items[0].quantity", "items[1].line_id", "items[2].quantity"]
    assert "more than the 0 left" in problems[2].message


def test_duplicate_lines_and_empty_requests_are_problems():
    assert check_request({"L1": 2}, [], {})[0].field == "items"
    dup = check_request({"L1": 2}, [RequestedItem(line_id="L1", quantity=1), RequestedItem(line_id="L1", quantity=1)], {})
    assert [p.field for p in dup] == ["items[1].line_id"]


def test_valid_request_has_no_problems():
    assert check_request({"L1": 2}, [RequestedItem(line_id="L1", quantity=2)], {}) == []
