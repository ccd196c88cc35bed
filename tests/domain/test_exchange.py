"""Exchanges: validation, warehouse choice, settling the difference, stock reservations and
advance exchanges (tables, then properties)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from domain.exchange import (
    Catalog,
    ExchangeDecision,
    ExchangeFallback,
    ExchangePlan,
    ExchangeRequest,
    InsufficientStock,
    StockLevel,
    Variant,
    advance_exchange_deadline,
    advance_exchange_outcome,
    plan_exchange,
    release,
    reserve,
    ship,
)
from domain.facilities import (
    EARTH_RADIUS_KM,
    Capability,
    Facility,
    FacilityKind,
    GeoPoint,
    distance_km,
)
from domain.money import Money

SETTINGS = settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
FEWER = settings(SETTINGS, max_examples=50)

AMSTERDAM = GeoPoint(lat=52.3676, lon=4.9041)
UTRECHT = GeoPoint(lat=52.0907, lon=5.1214)
PARIS = GeoPoint(lat=48.8566, lon=2.3522)
KM_PER_DEGREE_LAT = math.pi * EARTH_RADIUS_KM / 180
ADDRESS = {"street1": "Hoofdweg 12", "city": "Amsterdam", "zip": "1058 AA", "country": "NL"}


def eur(amount: int) -> Money:
    return Money(amount=amount, currency="EUR")


def north_of(point: GeoPoint, km: float) -> GeoPoint:
    return GeoPoint(lat=point.lat + km / KM_PER_DEGREE_LAT, lon=point.lon)


def facility(id: str, at: GeoPoint, *, kind=FacilityKind.WAREHOUSE, capabilities=(Capability.RESTOCK,)) -> Facility:
    return Facility(
        id=id,
        kind=kind,
        name=f"Facility {id}",
        address=ADDRESS,
        location=at,
        capabilities=list(capabilities),
        daily_capacity=100,
        cost_per_unit=100,
        currency="EUR",
    )


def variant(
    sku: str, price: int = 5000, *, currency: str = "EUR", discontinued: bool = False, **options: str
) -> Variant:
    return Variant(
        sku=sku,
        product_id="jacket",
        title="Trail jacket",
        options=options or {"size": "M", "colour": "navy"},
        price=Money(amount=price, currency=currency),
        discontinued=discontinued,
        category="apparel",
    )


def level(sku: str, facility_id: str, on_hand: int, reserved: int = 0) -> StockLevel:
    return StockLevel(sku=sku, facility_id=facility_id, on_hand=on_hand, reserved=reserved)


def request(
    sku: str = "JKT-M-NVY", quantity: int = 1, fallback: str = "refund", line_id: str = "line_1"
) -> ExchangeRequest:
    return ExchangeRequest(line_id=line_id, replacement_sku=sku, quantity=quantity, fallback=fallback)


def api_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def errors(err: pytest.ExceptionInfo) -> list[tuple[str, str]]:
    return [(api_path(e["loc"]), e["msg"]) for e in err.value.errors()]


CATALOG = Catalog(
    variants=[
        variant("JKT-M-NVY", 5000, size="M", colour="navy"),
        variant("JKT-L-NVY", 5500, size="L", colour="navy"),
        variant("JKT-S-RED", 4000, size="S", colour="red"),
        variant("JKT-XL-OLD", 5000, discontinued=True, size="XL", colour="olive"),
    ]
)
AMS, UTR, PAR = facility("wh_ams", AMSTERDAM), facility("wh_utr", UTRECHT), facility("wh_par", PARIS)


def plan(
    req=None,
    value=5000,
    *,
    stock,
    warehouses=(AMS, UTR, PAR),
    shopper=AMSTERDAM,
    currency="EUR",
    returned=3,
    catalog=CATALOG,
):
    """`value`: minor units in `currency`, or a Money."""
    value = value if isinstance(value, Money) else Money(amount=value, currency=currency)
    return plan_exchange(
        req or request(), value, catalog, stock, list(warehouses), shopper, currency, returned_quantity=returned
    )


# ---- catalog and stock validation ------------------------------------------------------------


def test_a_valid_catalog_round_trips():
    assert CATALOG.currency == "EUR" and CATALOG.get("JKT-L-NVY").options == {"size": "L", "colour": "navy"}
    assert CATALOG.get("nope") is None and Catalog().currency is None
    assert Catalog.model_validate_json(CATALOG.model_dump_json()) == CATALOG
    assert CATALOG.get("JKT-M-NVY").describe() == "Trail jacket (size M, colour navy)"
    assert Variant(sku="X1", product_id="p", price=eur(1)).describe() == "sku X1"


@pytest.mark.parametrize(
    "variants,field,problem",
    [
        ([variant("A"), variant("B"), variant("A")], "variants[2].sku", "sku 'A' is already variants[0]"),
        (
            [variant("A"), variant("B", currency="USD")],
            "variants[1].price.currency",
            "USD differs from variants[0]'s EUR",
        ),
        (
            [variant("A").model_dump() | {"price": {"amount": -1, "currency": "EUR"}}],
            "variants[0].price.amount",
            "greater than",
        ),
        ([variant("A").model_dump() | {"options": {"size": " "}}], "variants[0].options.size", "needs a value"),
        ([variant("A").model_dump() | {"options": {" ": "M"}}], "variants[0].options. ", "needs a name"),
        ([variant("A").model_dump() | {"sku": ""}], "variants[0].sku", "at least 1 character"),
        ([variant("A").model_dump() | {"colour": "navy"}], "variants[0].colour", "Extra inputs"),
    ],
)
def test_invalid_catalogs_name_the_field(variants, field, problem):
    with pytest.raises(ValidationError) as err:
        Catalog.model_validate({"variants": [v if isinstance(v, dict) else v.model_dump() for v in variants]})
    assert any(where == field and problem in msg for where, msg in errors(err)), errors(err)


@pytest.mark.parametrize(
    "kwargs,field,problem",
    [
        ({"on_hand": -1}, "on_hand", "greater than or equal to 0"),
        ({"reserved": -1}, "reserved", "greater than or equal to 0"),
        ({"on_hand": 2, "reserved": 3}, "reserved", "3 reserved is more than the 2 on hand"),
        ({"sku": ""}, "sku", "at least 1 character"),
    ],
)
def test_invalid_stock_levels_name_the_field(kwargs, field, problem):
    with pytest.raises(ValidationError) as err:
        StockLevel.model_validate({"sku": "A", "facility_id": "wh", "on_hand": 5, **kwargs})
    assert any(where == field and problem in msg for where, msg in errors(err)), errors(err)


def test_available_is_on_hand_less_reserved():
    assert level("A", "wh", 5, 2).available == 3 and level("A", "wh", 2, 2).available == 0


@pytest.mark.parametrize(
    "changes,field,problem",
    [
        ({"quantity": 0}, "quantity", "greater than or equal to 1"),
        ({"fallback": "exchange"}, "fallback", "Input should be 'refund' or 'store_credit'"),
        ({"replacement_sku": ""}, "replacement_sku", "at least 1 character"),
        ({"line_id": ""}, "line_id", "at least 1 character"),
    ],
)
def test_invalid_requests_name_the_field(changes, field, problem):
    with pytest.raises(ValidationError) as err:
        ExchangeRequest.model_validate({**request().model_dump(), **changes})
    assert any(where == field and problem in msg for where, msg in errors(err)), errors(err)


# ---- planning: what cannot be planned --------------------------------------------------------

STOCKED = [level("JKT-L-NVY", "wh_ams", 10), level("JKT-XL-OLD", "wh_ams", 10)]


@pytest.mark.parametrize(
    "kwargs,field,problem",
    [
        ({"req": request("NOPE")}, "replacement_sku", "sku 'NOPE' is not in the catalog"),
        (
            {"req": request("JKT-XL-OLD")},
            "replacement_sku",
            "Trail jacket (size XL, colour olive) (sku 'JKT-XL-OLD') is discontinued",
        ),
        (
            {"req": request("JKT-L-NVY", quantity=4)},
            "quantity",
            "quantity 4 is more than the 3 returned on line 'line_1'",
        ),
        (
            {"currency": "USD", "value": eur(5000)},
            "currency",
            "the catalog is priced in EUR but the order was paid in USD",
        ),
        (
            {"currency": "USD", "value": eur(5000)},
            "returned_line_value.currency",
            "the returned value is in EUR, the order in USD",
        ),
    ],
)
def test_requests_that_cannot_be_planned_name_the_field(kwargs, field, problem):
    kwargs = {"req": request("JKT-L-NVY"), **kwargs}
    with pytest.raises(ValidationError) as err:
        plan(kwargs.pop("req"), kwargs.pop("value", 5000), stock=STOCKED, **kwargs)
    assert any(where == field and problem in msg for where, msg in errors(err)), errors(err)


def test_every_problem_is_reported_at_once():
    usd_catalog = Catalog(variants=[variant("JKT-L-NVY", currency="USD")])
    with pytest.raises(ValidationError) as err:
        plan(request("NOPE", quantity=9), stock=STOCKED, catalog=usd_catalog)
    assert [where for where, _ in errors(err)] == ["replacement_sku", "quantity", "currency"]


def test_a_request_for_an_unstocked_catalog_is_still_checked_before_stock():
    with pytest.raises(ValidationError):
        plan(request("JKT-XL-OLD"), stock=[])  # discontinued, even though nothing is stocked anyway


def test_duplicate_stock_levels_are_refused_at_their_place():
    with pytest.raises(ValidationError) as err:
        plan(
            request("JKT-L-NVY"),
            stock=[level("JKT-L-NVY", "wh_ams", 1), level("A", "wh_ams", 1), level("JKT-L-NVY", "wh_ams", 5)],
        )
    assert errors(err) == [("stock[2]", "sku 'JKT-L-NVY' at 'wh_ams' is already stock[0]")]


def test_returned_quantity_must_be_positive():
    with pytest.raises(ValueError, match="returned_quantity"):
        plan(request("JKT-L-NVY"), stock=STOCKED, returned=0)


# ---- planning: where it ships from -----------------------------------------------------------

L = "JKT-L-NVY"


@pytest.mark.parametrize(
    "warehouses,stock,quantity,expected",
    [
        # nearest with enough available wins
        ([AMS, UTR, PAR], [level(L, "wh_ams", 5), level(L, "wh_par", 5)], 1, "wh_ams"),
        ([PAR, UTR, AMS], [level(L, "wh_utr", 5), level(L, "wh_par", 5)], 1, "wh_utr"),
        # reserved units are not available
        ([AMS, UTR], [level(L, "wh_ams", 5, 5), level(L, "wh_utr", 1)], 1, "wh_utr"),
        ([AMS, UTR], [level(L, "wh_ams", 5, 4), level(L, "wh_utr", 2)], 2, "wh_utr"),
        ([AMS, UTR], [level(L, "wh_ams", 5, 3), level(L, "wh_utr", 2)], 2, "wh_ams"),
        # stock of other skus does not count
        ([AMS, UTR], [level("JKT-M-NVY", "wh_ams", 50), level(L, "wh_utr", 1)], 1, "wh_utr"),
        # a facility that is not a restocking warehouse never ships exchanges, whatever it holds
        (
            [
                facility(
                    "rc_ams", AMSTERDAM, kind=FacilityKind.REFURBISHMENT_CENTRE, capabilities=[Capability.RESTOCK]
                ),
                PAR,
            ],
            [level(L, "rc_ams", 9), level(L, "wh_par", 1)],
            1,
            "wh_par",
        ),
        (
            [facility("wh_nr", AMSTERDAM, capabilities=[Capability.REFURBISH]), PAR],
            [level(L, "wh_nr", 9), level(L, "wh_par", 1)],
            1,
            "wh_par",
        ),
        # stock at a facility not among the warehouses is ignored
        ([PAR], [level(L, "wh_ams", 9), level(L, "wh_par", 1)], 1, "wh_par"),
        # equally near: the smaller id
        ([facility("b", AMSTERDAM), facility("a", AMSTERDAM)], [level(L, "a", 1), level(L, "b", 1)], 1, "a"),
        # no cost window: 0.3 km farther loses
        (
            [facility("a", north_of(AMSTERDAM, 0.3)), facility("b", AMSTERDAM)],
            [level(L, "a", 1), level(L, "b", 1)],
            1,
            "b",
        ),
    ],
)
def test_the_nearest_warehouse_with_enough_available_ships(warehouses, stock, quantity, expected):
    decision = plan(request(L, quantity=quantity), 5500 * quantity, stock=stock, warehouses=warehouses)
    assert isinstance(decision, ExchangePlan), decision
    assert (decision.warehouse_id, decision.quantity, decision.replacement_sku, decision.line_id) == (
        expected,
        quantity,
        L,
        "line_1",
    )
    chosen = next(f for f in warehouses if f.id == expected)
    assert decision.distance_km == distance_km(AMSTERDAM, chosen.location)


@pytest.mark.parametrize(
    "fallback,warehouses,stock,quantity,reason",
    [
        (
            "refund",
            [AMS, PAR],
            [],
            1,
            "Trail jacket (size L, colour navy) is out of stock at every warehouse; settled as a refund instead",
        ),
        (
            "store_credit",
            [AMS, PAR],
            [level(L, "wh_ams", 3, 3)],
            1,
            "is out of stock at every warehouse; settled as store credit instead",
        ),
        (
            "refund",
            [AMS, PAR],
            [level(L, "wh_ams", 1), level(L, "wh_par", 2)],
            3,
            "short at every warehouse: 3 wanted, at most 2 available",
        ),
        ("refund", [], [level(L, "wh_ams", 5)], 1, "no warehouse restocks and ships exchanges"),
        (
            "refund",
            [facility("rc", PARIS, kind=FacilityKind.RECYCLER, capabilities=[Capability.RECYCLE])],
            [level(L, "rc", 5)],
            1,
            "no warehouse restocks",
        ),
    ],
)
def test_out_of_stock_falls_back_to_the_shoppers_second_choice(fallback, warehouses, stock, quantity, reason):
    decision = plan(request(L, quantity=quantity, fallback=fallback), stock=stock, warehouses=warehouses)
    assert decision == ExchangeFallback(line_id="line_1", resolution=fallback, reason=decision.reason)
    assert reason in decision.reason


# ---- planning: the price difference ----------------------------------------------------------


@pytest.mark.parametrize(
    "sku,quantity,value,fallback,settle,difference,words",
    [
        (
            "JKT-L-NVY",
            1,
            5000,
            "refund",
            "charge",
            500,
            "costs 5.00 EUR more than the returned item, which the shopper pays",
        ),
        ("JKT-L-NVY", 2, 10000, "store_credit", "charge", 1000, "which the shopper pays"),
        (
            "JKT-S-RED",
            1,
            5000,
            "refund",
            "refund",
            1000,
            "costs 10.00 EUR less than the returned item, refunded to the shopper",
        ),
        ("JKT-S-RED", 1, 5000, "store_credit", "store_credit", 1000, "given to the shopper as store credit"),
        ("JKT-M-NVY", 1, 5000, "refund", "none", 0, "worth the same as the returned item, nothing to settle"),
        ("JKT-M-NVY", 1, 5000, "store_credit", "none", 0, "nothing to settle"),
        ("JKT-M-NVY", 3, 9000, "refund", "charge", 6000, "x3 ships from wh_ams, 0 km from the shopper"),
        ("JKT-S-RED", 1, 0, "refund", "charge", 4000, "40.00 EUR more"),  # a return valued at nothing
    ],
)
def test_the_difference_is_charged_or_paid_back_as_the_shopper_prefers(
    sku, quantity, value, fallback, settle, difference, words
):
    stock = [level(s, "wh_ams", 10) for s in ("JKT-M-NVY", "JKT-L-NVY", "JKT-S-RED")]
    decision = plan(request(sku, quantity=quantity, fallback=fallback), value, stock=stock)
    assert isinstance(decision, ExchangePlan)
    assert (decision.settle_difference, decision.difference) == (settle, eur(difference))
    assert words in decision.reason


def test_decisions_round_trip_by_outcome():
    adapter = TypeAdapter(ExchangeDecision)
    made = plan(request(L), stock=[level(L, "wh_par", 1)])
    fell_back = plan(request(L), stock=[])
    for decision in (made, fell_back):
        assert adapter.validate_json(adapter.dump_json(decision)) == decision
    assert made.outcome == "exchange" and fell_back.outcome == "fallback"


def test_order_currency_is_case_insensitive():
    decision = plan(request(L), stock=[level(L, "wh_ams", 1)], currency="eur")
    assert isinstance(decision, ExchangePlan) and decision.difference.currency == "EUR"


# ---- reservations ------------------------------------------------------------------------------


def test_reserve_release_and_ship():
    stock = [level("A", "wh_1", 5), level("A", "wh_2", 3, 1), level("B", "wh_1", 2)]
    reserved = reserve(stock, "A", "wh_2", 2)
    assert reserved == [level("A", "wh_1", 5), level("A", "wh_2", 3, 3), level("B", "wh_1", 2)]
    assert stock[1] == level("A", "wh_2", 3, 1)  # the levels given are not changed
    assert release(reserved, "A", "wh_2", 2) == stock
    assert ship(reserved, "A", "wh_2", 3) == [level("A", "wh_1", 5), level("A", "wh_2", 0, 0), level("B", "wh_1", 2)]


@pytest.mark.parametrize(
    "operation,sku,facility_id,quantity,error,message",
    [
        (reserve, "A", "wh_2", 3, InsufficientStock, "only 2 of sku A available at wh_2, 3 wanted"),
        (reserve, "A", "wh_9", 1, InsufficientStock, "only 0 of sku A available at wh_9, 1 wanted"),
        (reserve, "C", "wh_1", 1, InsufficientStock, "only 0 of sku C available"),
        (reserve, "A", "wh_1", 0, ValueError, "at least 1"),
        (release, "A", "wh_2", 2, ValueError, "cannot release 2 of sku A at wh_2: only 1 reserved"),
        (release, "A", "wh_1", 1, ValueError, "only 0 reserved"),
        (release, "A", "wh_9", 1, ValueError, "only 0 reserved"),
        (release, "A", "wh_2", -1, ValueError, "at least 1"),
        (ship, "A", "wh_2", 2, ValueError, "cannot ship 2 of sku A at wh_2: only 1 reserved"),
        (ship, "A", "wh_1", 1, ValueError, "only 0 reserved"),  # only reserved units ship
        (ship, "A", "wh_2", 0, ValueError, "at least 1"),
    ],
)
def test_stock_operations_refuse_what_is_not_there(operation, sku, facility_id, quantity, error, message):
    stock = [level("A", "wh_1", 5), level("A", "wh_2", 3, 1)]
    with pytest.raises(error, match=message) as err:
        operation(stock, sku, facility_id, quantity)
    if error is InsufficientStock:
        assert (err.value.sku, err.value.facility_id, err.value.wanted) == (sku, facility_id, quantity)


def test_stock_operations_refuse_duplicate_levels():
    with pytest.raises(ValidationError) as err:
        reserve([level("A", "wh_1", 5), level("A", "wh_1", 5)], "A", "wh_1", 1)
    assert errors(err) == [("stock[1]", "sku 'A' at 'wh_1' is already stock[0]")]


# ---- advance exchange ----------------------------------------------------------------------------

SHIPPED = datetime(2025, 3, 1, 12, tzinfo=UTC)


def at(days: float) -> datetime:
    return SHIPPED + timedelta(days=days)


@pytest.mark.parametrize(
    "scanned,now,on_missing,expected",
    [
        (None, at(0), "charge", "wait"),
        (None, at(13.99), "charge", "wait"),
        (None, at(14), "charge", "charge"),  # the deadline itself: no longer waiting
        (None, at(30), "cancel", "cancel"),
        (at(3), at(4), "charge", "ok"),
        (at(14), at(14), "charge", "ok"),  # scanned at the deadline: in time
        (at(3), at(100), "cancel", "ok"),  # in time stays in time
        (at(-1), at(1), "charge", "ok"),  # the original went back before the replacement shipped
        (at(14.01), at(15), "charge", "charge"),  # too late
        (at(20), at(21), "cancel", "cancel"),
    ],
)
def test_advance_exchange_outcome(scanned, now, on_missing, expected):
    assert advance_exchange_outcome(SHIPPED, scanned, now, 14, on_missing) == expected


def test_advance_exchange_deadline():
    assert advance_exchange_deadline(SHIPPED, 14) == at(14)


@pytest.mark.parametrize(
    "args,message",
    [
        ((SHIPPED.replace(tzinfo=None), None, at(1), 14, "charge"), "shipped_at must be timezone-aware"),
        ((SHIPPED, None, at(1).replace(tzinfo=None), 14, "charge"), "now must be timezone-aware"),
        ((SHIPPED, at(1).replace(tzinfo=None), at(1), 14, "charge"), "original_scanned_at must be timezone-aware"),
        ((SHIPPED, None, at(1), 0, "charge"), "deadline_days must be at least 1"),
        ((SHIPPED, None, at(1), 14, "refund"), "on_missing must be 'charge' or 'cancel'"),
    ],
)
def test_advance_exchange_refuses_bad_arguments(args, message):
    with pytest.raises(ValueError, match=message):
        advance_exchange_outcome(*args)


# ---- properties ----------------------------------------------------------------------------------

SKUS = ["A", "B", "C"]
SITES = [
    facility("w1", AMSTERDAM),
    facility("w2", UTRECHT),
    facility("w3", PARIS),
    facility("w4", AMSTERDAM),  # as near as w1
    facility(
        "r1", UTRECHT, kind=FacilityKind.REFURBISHMENT_CENTRE, capabilities=[Capability.RESTOCK, Capability.REFURBISH]
    ),
    facility("n1", AMSTERDAM, capabilities=[Capability.RECYCLE]),
]
PROPERTY_CATALOG = Catalog(variants=[variant("A", 1000), variant("B", 2500), variant("C", 0)])

points = st.builds(GeoPoint, lat=st.floats(35, 70), lon=st.floats(-10, 30))
stock_lists = st.lists(
    st.tuples(st.sampled_from(SKUS), st.sampled_from([f.id for f in SITES]), st.integers(0, 6), st.integers(0, 6)),
    max_size=12,
    unique_by=lambda t: (t[0], t[1]),
).map(lambda rows: [level(s, f, max(a, b), min(a, b)) for s, f, a, b in rows])


@given(
    stock_lists,
    st.lists(st.sampled_from(SITES), unique_by=lambda f: f.id),
    points,
    st.sampled_from(SKUS),
    st.integers(1, 4),
    st.integers(0, 20_000),
    st.sampled_from(["refund", "store_credit"]),
)
@SETTINGS
def test_a_plan_ships_from_the_nearest_qualifying_warehouse_or_falls_back(
    stock, sites, shopper, sku, quantity, value, fallback
):
    req = request(sku, quantity=quantity, fallback=fallback)
    decision = plan_exchange(req, eur(value), PROPERTY_CATALOG, stock, sites, shopper, "EUR", returned_quantity=4)
    available = {(s.sku, s.facility_id): s.available for s in stock}
    qualifying = [
        f
        for f in sites
        if f.kind is FacilityKind.WAREHOUSE
        and Capability.RESTOCK in f.capabilities
        and available.get((sku, f.id), 0) >= quantity
    ]
    if not qualifying:
        assert (
            isinstance(decision, ExchangeFallback) and decision.resolution == fallback and decision.line_id == "line_1"
        )
        return
    assert isinstance(decision, ExchangePlan)
    chosen = next(f for f in qualifying if f.id == decision.warehouse_id)  # it qualifies
    for other in qualifying:  # and no qualifying warehouse is nearer, or as near with a smaller id
        assert (distance_km(shopper, chosen.location), chosen.id) <= (distance_km(shopper, other.location), other.id)
    # the difference, signed by its direction, is the replacement's price less the returned value
    sign = {"charge": 1, "refund": -1, "store_credit": -1, "none": 0}[decision.settle_difference]
    price = PROPERTY_CATALOG.get(sku).price.amount
    assert sign * decision.difference.amount == price * quantity - value
    assert decision.settle_difference in ("charge", "none", fallback)
    assert (decision.difference.amount == 0) == (decision.settle_difference == "none")


operations = st.lists(
    st.tuples(
        st.sampled_from(["reserve", "release", "ship"]),
        st.sampled_from(SKUS[:2]),
        st.sampled_from(["w1", "w2"]),
        st.integers(1, 5),
    ),
    max_size=40,
)


@given(
    stock_lists.map(lambda levels: [lv for lv in levels if lv.sku in SKUS[:2] and lv.facility_id in ("w1", "w2")]),
    operations,
)
@SETTINGS
def test_stock_bookkeeping_never_goes_below_zero_and_matches_a_model(stock, ops):
    model = {(s.sku, s.facility_id): [s.on_hand, s.reserved] for s in stock}
    for name, sku, facility_id, quantity in ops:
        on_hand, reserved = model.get((sku, facility_id), [0, 0])
        operation = {"reserve": reserve, "release": release, "ship": ship}[name]
        allowed = quantity <= (on_hand - reserved if name == "reserve" else reserved)
        try:
            stock = operation(stock, sku, facility_id, quantity)
        except (InsufficientStock, ValueError):
            assert not allowed
            continue
        assert allowed
        if name == "reserve":
            model[(sku, facility_id)] = [on_hand, reserved + quantity]
        elif name == "release":
            model[(sku, facility_id)] = [on_hand, reserved - quantity]
        else:
            model[(sku, facility_id)] = [on_hand - quantity, reserved - quantity]
        assert {(s.sku, s.facility_id): [s.on_hand, s.reserved] for s in stock} == model
        assert all(0 <= s.available and 0 <= s.reserved <= s.on_hand for s in stock)


@given(stock_lists, st.sampled_from(SKUS), st.sampled_from([f.id for f in SITES]), st.integers(1, 6))
@SETTINGS
def test_reserve_then_release_restores_and_reserve_then_ship_takes_the_units(stock, sku, facility_id, quantity):
    before = {(s.sku, s.facility_id): s for s in stock}.get((sku, facility_id))
    try:
        reserved = reserve(stock, sku, facility_id, quantity)
    except InsufficientStock as err:
        assert (before.available if before else 0) == err.available < quantity
        return
    assert release(reserved, sku, facility_id, quantity) == stock
    shipped = ship(reserved, sku, facility_id, quantity)
    after = next(s for s in shipped if (s.sku, s.facility_id) == (sku, facility_id))
    assert (after.on_hand, after.reserved, after.available) == (
        before.on_hand - quantity,
        before.reserved,
        before.available - quantity,
    )
    assert [s for s in shipped if s is not after] == [s for s in stock if s is not before]  # nothing else moves


@given(
    st.integers(0, 60).map(lambda d: at(-30 + d)),
    st.integers(1, 30),
    st.one_of(st.none(), st.floats(-5, 40).map(at)),
    st.lists(st.floats(-5, 60), min_size=1, max_size=6),
    st.sampled_from(["charge", "cancel"]),
)
@SETTINGS
def test_an_advance_exchange_waits_until_the_deadline_then_settles_for_good(
    shipped_at, days, scanned, nows, on_missing
):
    deadline = shipped_at + timedelta(days=days)
    outcomes = [
        (now, advance_exchange_outcome(shipped_at, scanned, now, days, on_missing)) for now in sorted(map(at, nows))
    ]
    for now, outcome in outcomes:
        if scanned is not None and scanned <= deadline:
            assert outcome == "ok"
        elif now < deadline and scanned is None:
            assert outcome == "wait"
        else:
            assert outcome == on_missing
    # once decided, a later look never goes back to waiting or changes its mind
    decided = [o for _, o in outcomes if o != "wait"]
    assert len(set(decided)) <= 1
    assert [o for _, o in outcomes] == sorted((o for _, o in outcomes), key=lambda o: o != "wait")
