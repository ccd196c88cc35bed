"""Exchanges: a returned item swapped for another variant (size, colour) or another product.

Pure: no I/O and no clock. Stock levels, the catalog and "now" are arguments, so the
same facts always plan the same way (a workflow can call this).

Rules, stated once:
- The replacement must be in the merchant's catalog and not discontinued, the
  catalog must be priced in the order's currency, and the shopper cannot exchange
  more units than the line returns. Each broken rule is one error of a pydantic
  ValidationError, located at the request's field (replacement_sku, quantity,
  currency; returned_line_value.currency for a value in another currency), all
  reported at once.
- The replacement ships in one parcel from one warehouse: a facility of kind
  warehouse with the restock capability whose stock of the replacement sku has
  `available >= quantity` (available = on_hand - reserved; stock is never split
  across warehouses). Facility categories and daily capacity are about receiving
  returns, so they play no part in shipping a replacement out.
- Among those the nearest to the shopper wins (great-circle distance,
  `domain.facilities.distance_km`), then the smaller facility id. No cost window:
  the facility's cost per unit is for handling returns, not for shipping stock.
- When no warehouse has enough, the exchange falls back to the shopper's second
  choice (`ExchangeFallback`: refund or store credit, with the reason in words);
  that is an outcome, not an error.
- Difference = replacement price x quantity - returned_line_value (the value of the
  returned units being exchanged, in the order's currency). Positive: the shopper
  pays it ("charge"). Negative: the shopper gets it back the way they chose as
  their second choice ("store_credit" if that is store credit, else "refund").
  Zero: "none". Money is never negative, so the plan carries the size of the
  difference (`difference`) and its direction (`settle_difference`).
- Reservations are bookkeeping on stock levels, each returning new levels:
  `reserve` takes available units (never more than are available), `release`
  gives reserved units back, `ship` sends reserved units out (on_hand and reserved
  both drop). So available is never negative and reserved never exceeds on_hand.
  A stock list holds each (sku, facility_id) once.
- Advance exchange: the replacement ships before the original comes back. The
  original must be scanned by the carrier within `deadline_days` of the shipment
  (at or before `shipped_at + deadline_days`): then "ok". Unscanned before the
  deadline: "wait". Otherwise (the deadline passed without a scan, or the scan
  came after it): the merchant's `on_missing` choice, "charge" or "cancel".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.facilities import Capability, Facility, FacilityKind, GeoPoint, distance_km
from domain.money import Money, MoneyIn
from domain.validation import MAX_NAMES, MAX_VARIANTS, Loc, Sku, Units, invalid, text

__all__ = [
    "AdvanceOutcome",
    "Catalog",
    "ExchangeDecision",
    "ExchangeFallback",
    "ExchangePlan",
    "ExchangeRequest",
    "FallbackResolution",
    "InsufficientStock",
    "Settlement",
    "StockLevel",
    "Variant",
    "advance_exchange_deadline",
    "advance_exchange_outcome",
    "plan_exchange",
    "replacement_total",
    "settle_difference",
    "release",
    "reserve",
    "ship",
]

_FORBID = ConfigDict(frozen=True, extra="forbid")

FallbackResolution = Literal["refund", "store_credit"]
Settlement = Literal["charge", "refund", "store_credit", "none"]
AdvanceOutcome = Literal["wait", "ok", "charge", "cancel"]


# ---- catalog and stock ---------------------------------------------------------------


class Variant(BaseModel):
    """One sellable variant of a product: {"size": "M", "colour": "navy"}."""

    model_config = _FORBID

    sku: Sku
    product_id: text(128, 1)
    title: text(200) = ""
    options: dict[text(64), text(200)] = Field(default_factory=dict, max_length=MAX_NAMES)
    price: MoneyIn  # per unit
    discontinued: bool = False
    category: text(100) = ""

    @field_validator("options")
    @classmethod
    def _options(cls, v: dict[str, str]) -> dict[str, str]:
        problems: list[tuple[Loc, str, Any]] = []
        for name, value in v.items():
            if not name.strip():
                problems.append(((name,), "an option needs a name", name))
            elif not value.strip():
                problems.append(((name,), f"option {name!r} needs a value", value))
        if problems:
            raise invalid("Variant", problems)
        return {name.strip(): value.strip() for name, value in v.items()}

    def describe(self) -> str:
        """For people: "Trail jacket (size M, colour navy)"."""
        name = self.title.strip() or f"sku {self.sku}"
        options = ", ".join(f"{k} {v}" for k, v in self.options.items())
        return f"{name} ({options})" if options else name


class Catalog(BaseModel):
    """The merchant's variants: skus unique, prices in one currency."""

    model_config = _FORBID

    variants: list[Variant] = Field(default_factory=list, max_length=MAX_VARIANTS)

    @model_validator(mode="after")
    def _consistent(self) -> Catalog:
        problems: list[tuple[Loc, str, Any]] = []
        first: dict[str, int] = {}
        currency = self.currency
        for i, variant in enumerate(self.variants):
            if variant.sku in first:
                problems.append((("variants", i, "sku"), f"sku {variant.sku!r} is already variants[{first[variant.sku]}]", variant.sku))
            first.setdefault(variant.sku, i)
            if variant.price.currency != currency:
                problems.append(
                    (
                        ("variants", i, "price", "currency"),
                        f"{variant.price.currency} differs from variants[0]'s {currency}: a catalog is priced in one currency",
                        variant.price.currency,
                    )
                )
        if problems:
            raise invalid("Catalog", problems)
        return self

    @property
    def currency(self) -> str | None:
        """The catalog's currency; None when it is empty."""
        return self.variants[0].price.currency if self.variants else None

    def get(self, sku: str) -> Variant | None:
        return next((v for v in self.variants if v.sku == sku), None)


class StockLevel(BaseModel):
    """Units of one sku at one facility; `reserved` units are promised to exchanges not shipped yet."""

    model_config = _FORBID

    sku: Sku
    facility_id: str = Field(min_length=1, max_length=128)
    on_hand: Units
    reserved: Units = 0

    @model_validator(mode="after")
    def _reserved_on_hand(self) -> StockLevel:
        if self.reserved > self.on_hand:
            raise invalid(
                "StockLevel",
                [(("reserved",), f"{self.reserved} reserved is more than the {self.on_hand} on hand", self.reserved)],
            )
        return self

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class InsufficientStock(Exception):
    """A reservation asked for more units than are available at the facility."""

    def __init__(self, sku: str, facility_id: str, available: int, wanted: int) -> None:
        super().__init__(f"only {available} of sku {sku} available at {facility_id}, {wanted} wanted")
        self.sku = sku
        self.facility_id = facility_id
        self.available = available
        self.wanted = wanted


def _index(stock: Sequence[StockLevel]) -> dict[tuple[str, str], int]:
    """(sku, facility_id) -> position; each pair may appear once (error at stock[i])."""
    index: dict[tuple[str, str], int] = {}
    problems: list[tuple[Loc, str, Any]] = []
    for i, level in enumerate(stock):
        key = (level.sku, level.facility_id)
        if key in index:
            problems.append((("stock", i), f"sku {level.sku!r} at {level.facility_id!r} is already stock[{index[key]}]", key))
        index.setdefault(key, i)
    if problems:
        raise invalid("stock", problems)
    return index


def _check_quantity(quantity: int) -> None:
    if quantity < 1:
        raise ValueError(f"quantity must be at least 1, not {quantity}")


def _replace(stock: Sequence[StockLevel], i: int, level: StockLevel) -> list[StockLevel]:
    return [*stock[:i], level, *stock[i + 1 :]]


def reserve(stock: Sequence[StockLevel], sku: str, facility_id: str, quantity: int) -> list[StockLevel]:
    """New levels with `quantity` more units reserved; InsufficientStock if fewer are available."""
    _check_quantity(quantity)
    i = _index(stock).get((sku, facility_id))
    available = 0 if i is None else stock[i].available
    if i is None or available < quantity:
        raise InsufficientStock(sku, facility_id, available, quantity)
    level = stock[i]
    return _replace(stock, i, StockLevel(sku=sku, facility_id=facility_id, on_hand=level.on_hand, reserved=level.reserved + quantity))


def _reserved(stock: Sequence[StockLevel], sku: str, facility_id: str, quantity: int, verb: str) -> int:
    _check_quantity(quantity)
    i = _index(stock).get((sku, facility_id))
    reserved = 0 if i is None else stock[i].reserved
    if i is None or reserved < quantity:
        raise ValueError(f"cannot {verb} {quantity} of sku {sku} at {facility_id}: only {reserved} reserved")
    return i


def release(stock: Sequence[StockLevel], sku: str, facility_id: str, quantity: int) -> list[StockLevel]:
    """New levels with `quantity` reserved units available again (ValueError if fewer are reserved)."""
    i = _reserved(stock, sku, facility_id, quantity, "release")
    level = stock[i]
    return _replace(stock, i, StockLevel(sku=sku, facility_id=facility_id, on_hand=level.on_hand, reserved=level.reserved - quantity))


def ship(stock: Sequence[StockLevel], sku: str, facility_id: str, quantity: int) -> list[StockLevel]:
    """New levels after `quantity` reserved units left the facility: on_hand and reserved both drop.

    Only reserved units ship (ValueError if fewer are reserved)."""
    i = _reserved(stock, sku, facility_id, quantity, "ship")
    level = stock[i]
    return _replace(
        stock, i, StockLevel(sku=sku, facility_id=facility_id, on_hand=level.on_hand - quantity, reserved=level.reserved - quantity)
    )


# ---- planning --------------------------------------------------------------------------


class ExchangeRequest(BaseModel):
    """What the shopper asks for one returned line."""

    model_config = _FORBID

    line_id: str = Field(min_length=1, max_length=128)
    replacement_sku: str = Field(min_length=1, max_length=128)
    quantity: int = Field(ge=1, description="at most the returned line's quantity")
    fallback: FallbackResolution = Field(description="the shopper's second choice if the exchange cannot happen")


class ExchangePlan(BaseModel):
    """The exchange can happen: what ships from where, and how the price difference settles."""

    model_config = ConfigDict(frozen=True)

    outcome: Literal["exchange"] = "exchange"
    line_id: str
    replacement_sku: str
    quantity: int
    warehouse_id: str
    distance_km: float  # from the shopper
    difference: Money  # |replacement price x quantity - returned value|, order currency
    settle_difference: Settlement  # charge: the shopper pays; refund / store_credit: the shopper gets it back
    reason: str  # in words, for the timeline


class ExchangeFallback(BaseModel):
    """No warehouse can ship the replacement: the line settles as the shopper's second choice."""

    model_config = ConfigDict(frozen=True)

    outcome: Literal["fallback"] = "fallback"
    line_id: str
    resolution: FallbackResolution
    reason: str  # in words, for the timeline and the shopper


ExchangeDecision = Annotated[ExchangePlan | ExchangeFallback, Field(discriminator="outcome")]


def _settlement(difference: int, fallback: FallbackResolution) -> Settlement:
    if difference > 0:
        return "charge"
    if difference < 0:
        return fallback
    return "none"


def _difference_words(settle: Settlement, difference: Money) -> str:
    if settle == "charge":
        return f"it costs {difference.display()} more than the returned item, which the shopper pays"
    if settle == "refund":
        return f"it costs {difference.display()} less than the returned item, refunded to the shopper"
    if settle == "store_credit":
        return f"it costs {difference.display()} less than the returned item, given to the shopper as store credit"
    return "it is worth the same as the returned item, nothing to settle"


def plan_exchange(
    request: ExchangeRequest,
    returned_line_value: Money,
    catalog: Catalog,
    stock: Sequence[StockLevel],
    warehouses: Sequence[Facility],
    shopper: GeoPoint,
    order_currency: str,
    *,
    returned_quantity: int,
) -> ExchangePlan | ExchangeFallback:
    """Where the replacement ships from and how the difference settles, or the fallback when
    no warehouse has it (see the module docstring).

    `returned_line_value`: what the `request.quantity` returned units are worth, in the
    order's currency. `returned_quantity`: how many units the return line holds.
    Raises ValidationError (located at replacement_sku, quantity, currency,
    returned_line_value.currency) for a request that cannot be planned.
    """
    if returned_quantity < 1:
        raise ValueError(f"returned_quantity must be at least 1, not {returned_quantity}")
    order_currency = Money.zero(order_currency).currency
    problems: list[tuple[Loc, str, Any]] = []
    sku = request.replacement_sku
    variant = catalog.get(sku)
    if variant is None:
        problems.append((("replacement_sku",), f"sku {sku!r} is not in the catalog", sku))
    elif variant.discontinued:
        problems.append((("replacement_sku",), f"{variant.describe()} (sku {sku!r}) is discontinued", sku))
    if request.quantity > returned_quantity:
        problems.append(
            (
                ("quantity",),
                f"quantity {request.quantity} is more than the {returned_quantity} returned on line {request.line_id!r}",
                request.quantity,
            )
        )
    if catalog.currency is not None and catalog.currency != order_currency:
        problems.append(
            (
                ("currency",),
                f"the catalog is priced in {catalog.currency} but the order was paid in {order_currency}: "
                "an exchange settles in the order's currency",
                catalog.currency,
            )
        )
    if returned_line_value.currency != order_currency:
        problems.append(
            (
                ("returned_line_value", "currency"),
                f"the returned value is in {returned_line_value.currency}, the order in {order_currency}",
                returned_line_value.currency,
            )
        )
    if problems:
        raise invalid("ExchangeRequest", problems)
    assert variant is not None

    index = _index(stock)
    warehouse_stock = {
        f.id: stock[index[(sku, f.id)]].available if (sku, f.id) in index else 0
        for f in warehouses
        if f.kind is FacilityKind.WAREHOUSE and f.can(Capability.RESTOCK)
    }
    candidates = [
        (distance_km(shopper, f.location), f.id)
        for f in warehouses
        if f.id in warehouse_stock and warehouse_stock[f.id] >= request.quantity
    ]
    if not candidates:
        most = max(warehouse_stock.values(), default=0)
        if not warehouse_stock:
            why = f"{variant.describe()} cannot ship: no warehouse restocks and ships exchanges"
        elif most == 0:
            why = f"{variant.describe()} is out of stock at every warehouse"
        else:
            why = (
                f"{variant.describe()} is short at every warehouse: {request.quantity} wanted, "
                f"at most {most} available at any one of them"
            )
        second = "a refund" if request.fallback == "refund" else "store credit"
        return ExchangeFallback(line_id=request.line_id, resolution=request.fallback, reason=f"{why}; settled as {second} instead")

    distance, warehouse_id = min(candidates)
    signed = variant.price.amount * request.quantity - returned_line_value.amount
    settle = _settlement(signed, request.fallback)
    difference = Money(amount=abs(signed), currency=order_currency)
    units = f" x{request.quantity}" if request.quantity != 1 else ""
    return ExchangePlan(
        line_id=request.line_id,
        replacement_sku=sku,
        quantity=request.quantity,
        warehouse_id=warehouse_id,
        distance_km=distance,
        difference=difference,
        settle_difference=settle,
        reason=(
            f"{variant.describe()}{units} ships from {warehouse_id}, {round(distance, 1):g} km from the shopper; "
            f"{_difference_words(settle, difference)}"
        ),
    )


# ---- advance exchange --------------------------------------------------------------------


def _aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def advance_exchange_deadline(shipped_at: datetime, deadline_days: int) -> datetime:
    """When the original must have been scanned by: `deadline_days` after the replacement shipped."""
    _aware(shipped_at, "shipped_at")
    if deadline_days < 1:
        raise ValueError(f"deadline_days must be at least 1, not {deadline_days}")
    return shipped_at + timedelta(days=deadline_days)


def advance_exchange_outcome(
    shipped_at: datetime,
    original_scanned_at: datetime | None,
    now: datetime,
    deadline_days: int,
    on_missing: Literal["charge", "cancel"],
) -> AdvanceOutcome:
    """"ok" once the original was scanned by the deadline, "wait" until then, else `on_missing`."""
    if on_missing not in ("charge", "cancel"):
        raise ValueError(f"on_missing must be 'charge' or 'cancel', not {on_missing!r}")
    deadline = advance_exchange_deadline(shipped_at, deadline_days)
    _aware(now, "now")
    if original_scanned_at is not None:
        _aware(original_scanned_at, "original_scanned_at")
        if original_scanned_at <= deadline:
            return "ok"
        return on_missing
    return "wait" if now < deadline else on_missing


# ---- settling an exchange ------------------------------------------------------------------


def replacement_total(priced: Iterable[tuple[Money, int]], currency: str) -> Money:
    """What the replacements cost together: unit price times quantity, in the order's currency."""
    return Money.total([Money(amount=price.amount * quantity, currency=currency) for price, quantity in priced], currency)


def settle_difference(price: Money, returned_value: Money, fallback: FallbackResolution) -> tuple[Settlement, Money]:
    """How an exchange settles: the shopper pays what the replacement costs above the returned
    items ("charge"), is paid back what it costs below them by `fallback`, or nothing ("none")."""
    if price.currency != returned_value.currency:
        raise ValueError(f"the replacement is priced in {price.currency}, the returned items in {returned_value.currency}")
    signed = price.amount - returned_value.amount
    return _settlement(signed, fallback), Money(amount=abs(signed), currency=price.currency)
