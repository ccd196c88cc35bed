"""RMA codes on packing slips: the shape, what reading one tolerates, and the round trip."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.rma import parse_rma_code, rma_code

SETTINGS = settings(max_examples=300, deadline=None, database=None)


def test_the_code_is_the_prefix_and_the_return_id_upper_cased():
    assert rma_code("ret_0a1b2c3d4e5f") == "RMA-RET_0A1B2C3D4E5F"


@pytest.mark.parametrize(
    "text",
    ["RMA-RET_0A1B2C", "rma-RET_0A1B2C", "Rma-ret_0a1b2c", "  RMA-RET_0A1B2C\n", "\tRMA-ret_0A1b2C  "],
)
def test_reading_tolerates_whitespace_and_case(text):
    assert parse_rma_code(text) == "ret_0a1b2c"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "RMA-",
        "RMA",
        "RET_0A1B2C",
        "RMA_RET_0A1B2C",
        "RMA RET_0A1B2C",
        "RMA-RET 0A1B2C",
        "xRMA-RET_0A1B2C",
        "RMA--RET",
        "RMA-RET_0A1B2C\nRMA-RET_2",
        "RMA-RET_\u212a",  # Kelvin sign: lower() gives "k"
        "RMA-" + "A" * 65,
        "1Z999AA10123456784",
    ],
)
def test_anything_else_is_not_an_rma_code(text):
    assert parse_rma_code(text) is None


@pytest.mark.parametrize("return_id", ["", "RET_0A1B2C", "ret 1", "ret_é", "_ret", "r" * 65])
def test_ids_that_would_not_survive_upper_casing_have_no_code(return_id):
    with pytest.raises(ValueError, match="has no RMA code"):
        rma_code(return_id)


return_ids = st.one_of(
    st.builds(lambda h: f"ret_{h}", st.text("0123456789abcdef", min_size=1, max_size=24)),  # what the API mints
    st.from_regex(r"\A[a-z0-9][a-z0-9_.:-]{0,63}\Z"),
)
noise = st.text(" \t\r\n", max_size=3)


@SETTINGS
@given(return_ids, noise, noise, st.sampled_from([str, str.lower, str.upper, str.swapcase]))
def test_round_trip_whatever_the_case_and_surrounding_whitespace(return_id, before, after, recase):
    code = rma_code(return_id)
    assert code == code.upper() and code.startswith("RMA-")
    assert parse_rma_code(before + recase(code) + after) == return_id


@SETTINGS
@given(st.text(max_size=80))
def test_whatever_reads_as_an_id_is_that_ids_code(text):
    found = parse_rma_code(text)
    if found is not None:
        assert rma_code(found) == text.strip().upper()
