"""Order snapshots the merchant pushes (PUT /v1/orders/{id}) and reads back."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import (
    Field,
    model_validator,
)

from api.schemas.common import Strict
from domain.status import ReturnStatus
from domain.validation import (
    MAX_MONEY,
    CountryCode,
    CurrencyCode,
    Email,
    Id,
    Latitude,
    Longitude,
    MinorUnits,
    Name,
    PastInstant,
    Quantity,
    Sku,
    invalid,
    text,
)


class Address(Strict):
    name: text(200, 1)
    street1: text(200, 1)
    street2: text(200) | None = None
    city: text(100, 1)
    state: text(100) | None = None
    zip: text(20, 1)
    country: CountryCode = Field(description="ISO 3166-1 alpha-2")
    phone: text(40) | None = None
    # Optional: where the shopper is, to address the return to the nearest warehouse (else the country's centre).
    latitude: Latitude | None = None
    longitude: Longitude | None = None

    @model_validator(mode="after")
    def _both_or_neither(self) -> Address:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("give latitude and longitude together")
        return self


class Customer(Strict):
    email: Email
    name: text(200, 1)
    address: Address
    tier: text(64) | None = Field(default=None, description="loyalty tier, as the policy names it")


class OrderLineIn(Strict):
    id: Id
    sku: Sku
    title: text(300) = ""
    quantity: Quantity
    unit_price: MinorUnits
    category: text(100) = ""
    tags: list[Name] = Field(default_factory=list, max_length=50)


class Payment(Strict):
    provider: Literal["stripe"]
    reference: Id = Field(min_length=3, description="Stripe PaymentIntent (pi_…) or Charge (ch_…)")


class OrderIn(Strict):
    placed_at: PastInstant = Field(description="with a time zone; not in the future")
    delivered_at: PastInstant | None = Field(
        default=None, description="with a time zone; not in the future, nor before placed_at"
    )
    currency: CurrencyCode
    customer: Customer
    lines: list[OrderLineIn] = Field(min_length=1, max_length=500)
    payment: Payment | None = None

    @model_validator(mode="after")
    def _consistent(self) -> OrderIn:
        first: dict[str, int] = {}
        problems = []
        for i, line in enumerate(self.lines):
            if line.id in first:
                problems.append(
                    (("lines", i, "id"), f"line id {line.id!r} is already lines[{first[line.id]}]'s", line.id)
                )
            first.setdefault(line.id, i)
        if self.delivered_at and self.delivered_at < self.placed_at:
            problems.append(
                (("delivered_at",), f"is before placed_at ({self.placed_at.isoformat()})", self.delivered_at)
            )
        total = sum(line.unit_price * line.quantity for line in self.lines)
        if total > MAX_MONEY:
            problems.append(
                (("lines",), f"the order's total of {total} minor units is above the limit of {MAX_MONEY}", total)
            )
        if problems:
            raise invalid("OrderIn", problems)
        return self


class OrderOut(OrderIn):
    # Read back later: the times were checked when the order came in.
    placed_at: datetime
    delivered_at: datetime | None = None
    id: str
    updated_at: datetime


class OrderReturnOut(Strict):
    id: str
    status: ReturnStatus
    created_at: datetime


class OrderWithReturns(OrderOut):
    """GET /v1/orders/{id}: the order as pushed, and its returns (newest first)."""

    returns: list[OrderReturnOut] = Field(default_factory=list, description="the order's returns, newest first")
