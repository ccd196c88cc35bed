"""Parcel planning: tables, then properties (every unit packed once, no parcel over the limit)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from domain.parcels import MAX_PARCEL_OZ, plan_parcels, unit_weight_oz
from domain.returns import ReturnLine, ReturnReason


def line(line_id: str, qty: int, category: str = "") -> ReturnLine:
    return ReturnLine(
        line_id=line_id, sku=line_id, quantity=qty, unit_price=100, category=category, reason=ReturnReason.TOO_SMALL
    )


def test_a_few_items_are_one_parcel():
    [parcel] = plan_parcels([line("L1", 2, "apparel"), line("L2", 1, "shoes")])
    assert parcel.weight_oz == 2 * 12 + 40 and [(i.line_id, i.quantity) for i in parcel.items] == [("L1", 2), ("L2", 1)]


def test_a_bulk_line_is_split_across_parcels():
    parcels = plan_parcels([line("L1", 25, "shoes")])  # 25 x 40 oz = 1000 oz > 800
    assert [(p.number, [(i.line_id, i.quantity) for i in p.items], p.weight_oz) for p in parcels] == [
        (1, [("L1", 20)], 800),
        (2, [("L1", 5)], 200),
    ]


def test_a_unit_heavier_than_a_parcel_gets_its_own():
    parcels = plan_parcels([line("L1", 2, "home")], max_oz=40)
    assert [p.weight_oz for p in parcels] == [48, 48]


@given(
    st.lists(
        st.tuples(st.integers(1, 60), st.sampled_from(["", "apparel", "shoes", "electronics", "home"])),
        min_size=1,
        max_size=6,
    )
)
def test_every_unit_is_packed_once_and_no_parcel_is_over_the_limit(spec):
    lines = [line(f"L{i}", q, c) for i, (q, c) in enumerate(spec)]
    parcels = plan_parcels(lines)
    packed: dict[str, int] = {}
    for p in parcels:
        assert p.weight_oz <= MAX_PARCEL_OZ
        assert p.weight_oz == sum(
            i.quantity * unit_weight_oz(next(l.category for l in lines if l.line_id == i.line_id)) for i in p.items
        )
        for i in p.items:
            packed[i.line_id] = packed.get(i.line_id, 0) + i.quantity
    assert packed == {l.line_id: l.quantity for l in lines}
    assert [p.number for p in parcels] == list(range(1, len(parcels) + 1))
    total = sum(l.quantity * unit_weight_oz(l.category) for l in lines)
    assert len(parcels) <= total // MAX_PARCEL_OZ + 2  # never wastefully many
