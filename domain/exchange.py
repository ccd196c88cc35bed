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
  difference (`difference`) and its direction (`settle_difference`, a
  `DifferenceSettlement`, named apart from the payout `Settlement` the workflow records).
- Reservations are bookkeeping on stock levels (`domain.stock`: reserve, release,
  ship); the catalog is `domain.catalog`. Both are importable from here too.
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

from pydantic import BaseModel, ConfigDict, Field

from domain.catalog import Catalog, Variant
from domain.clock import require_aware
from domain.facilities import Capability, Facility, FacilityKind, GeoPoint, distance_km
from domain.money import Money
from domain.stock import (
    InsufficientStock,
    StockLevel,
    release,
    reserve,
    ship,
    stock_positions,
)
from domain.validation import Loc, invalid, require_positive

__all__ = [
    "AdvanceOutcome",
    "Catalog",
    "DifferenceSettlement",
    "ExchangeDecision",
    "ExchangeFallback",
    "ExchangePlan",
    "ExchangeRequest",
    "FallbackResolution",
    "InsufficientStock",
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
# How an exchange's price difference settles: the shopper pays it, gets it back one of two ways, or nothing.
DifferenceSettlement = Literal["charge", "refund", "store_credit", "none"]
AdvanceOutcome = Literal["wait", "ok", "charge", "cancel"]


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
    settle_difference: DifferenceSettlement  # charge: the shopper pays; refund / store_credit: the shopper gets it back
    reason: str  # in words, for the timeline


class ExchangeFallback(BaseModel):
    """No warehouse can ship the replacement: the line settles as the shopper's second choice."""

    model_config = ConfigDict(frozen=True)

    outcome: Literal["fallback"] = "fallback"
    line_id: str
    resolution: FallbackResolution
    reason: str  # in words, for the timeline and the shopper


ExchangeDecision = Annotated[ExchangePlan | ExchangeFallback, Field(discriminator="outcome")]


def _settlement(difference: int, fallback: FallbackResolution) -> DifferenceSettlement:
    if difference > 0:
        return "charge"
    if difference < 0:
        return fallback
    return "none"


def _difference_words(settle: DifferenceSettlement, difference: Money) -> str:
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
    require_positive(returned_quantity, "returned_quantity")
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

    index = stock_positions(stock)
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
        return ExchangeFallback(
            line_id=request.line_id, resolution=request.fallback, reason=f"{why}; settled as {second} instead"
        )

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


def advance_exchange_deadline(shipped_at: datetime, deadline_days: int) -> datetime:
    """When the original must have been scanned by: `deadline_days` after the replacement shipped."""
    require_aware(shipped_at, "shipped_at")
    require_positive(deadline_days, "deadline_days")
    return shipped_at + timedelta(days=deadline_days)


def advance_exchange_outcome(
    shipped_at: datetime,
    original_scanned_at: datetime | None,
    now: datetime,
    deadline_days: int,
    on_missing: Literal["charge", "cancel"],
) -> AdvanceOutcome:
    """ "ok" once the original was scanned by the deadline, "wait" until then, else `on_missing`."""
    if on_missing not in ("charge", "cancel"):
        raise ValueError(f"on_missing must be 'charge' or 'cancel', not {on_missing!r}")
    deadline = advance_exchange_deadline(shipped_at, deadline_days)
    require_aware(now, "now")
    if original_scanned_at is not None:
        require_aware(original_scanned_at, "original_scanned_at")
        if original_scanned_at <= deadline:
            return "ok"
        return on_missing
    return "wait" if now < deadline else on_missing


# ---- settling an exchange ------------------------------------------------------------------


def replacement_total(priced: Iterable[tuple[Money, int]], currency: str) -> Money:
    """What the replacements cost together: unit price times quantity, in the order's currency."""
    return Money.total(
        [Money(amount=price.amount * quantity, currency=currency) for price, quantity in priced], currency
    )


def settle_difference(
    price: Money, returned_value: Money, fallback: FallbackResolution
) -> tuple[DifferenceSettlement, Money]:
    """How an exchange settles: the shopper pays what the replacement costs above the returned
    items ("charge"), is paid back what it costs below them by `fallback`, or nothing ("none")."""
    if price.currency != returned_value.currency:
        raise ValueError(
            f"the replacement is priced in {price.currency}, the returned items in {returned_value.currency}"
        )
    signed = price.amount - returned_value.amount
    return _settlement(signed, fallback), Money(amount=abs(signed), currency=price.currency)
