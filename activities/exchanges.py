"""Exchange stock: reserve a replacement when the exchange is approved, ship or release it later.

A reservation is a conditional UPDATE (`on_hand - reserved >= n`), so concurrent
exchanges never promise the same unit twice; the reservation row per (return,
line) makes every step happen once however often an activity retries.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ValidationError
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from db.catalog import load_catalog, load_stock
from db.registry import load_registry
from db.session import session_scope
from db.tables import ExchangeReservation, Order, StockRecord
from domain.exchange import Catalog, ExchangeFallback, ExchangeRequest, plan_exchange
from domain.facilities import Facility, GeoPoint
from domain.geo import shopper_point
from domain.money import Money
from workflows.messages import ActivityErrorType, ExchangeLine, Replacement, ReplacementStatus

MAX_ATTEMPTS = 5


class ReserveRequest(BaseModel):
    return_id: str
    merchant_id: str
    order_id: str
    lines: list[ExchangeLine]
    returned_quantities: dict[str, int]
    values: dict[str, Money]  # what the returned units of each line are worth
    fallback: str


class Reservations(BaseModel):
    """All replacements reserved, or none (`fallback_reason` says why): an exchange is whole."""

    replacements: list[Replacement] = []
    fallback_reason: str | None = None


class ReturnRef(BaseModel):
    return_id: str
    merchant_id: str


class ShipRef(BaseModel):
    return_id: str
    merchant_id: str
    line_id: str


@dataclass(frozen=True)
class _Facts:
    """What every line of one exchange is planned against, read once."""

    currency: str
    shopper: GeoPoint
    catalog: Catalog
    warehouses: list[Facility]


class ExchangeActivities:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @activity.defn
    def reserve_replacements(self, req: ReserveRequest) -> Reservations:
        with session_scope(self._engine) as session:
            known = _reservations(session, req.return_id)
            if known:
                return Reservations(replacements=[_view(r) for r in known if r.status != ReplacementStatus.RELEASED])
            order = session.get(Order, (req.merchant_id, req.order_id))
            facts = _Facts(
                currency=order.currency,
                shopper=shopper_point(order.customer.get("address", {})) or GeoPoint(lat=0, lon=0),
                catalog=load_catalog(session, req.merchant_id),
                warehouses=load_registry(session, req.merchant_id).facilities,
            )
            reasons = []
            for line in req.lines:
                reason = self._reserve(session, req, line, facts)
                if reason:
                    reasons.append(reason)
            if reasons:
                session.rollback()  # whole or nothing: keep no partial reservation
                return Reservations(fallback_reason="; ".join(reasons))
            return Reservations(replacements=[_view(r) for r in _reservations(session, req.return_id)])

    def _reserve(self, session: Session, req: ReserveRequest, line: ExchangeLine, facts: _Facts) -> str | None:
        catalog = facts.catalog
        request = ExchangeRequest(
            line_id=line.line_id, replacement_sku=line.replacement_sku, quantity=line.quantity, fallback=req.fallback
        )
        for _ in range(MAX_ATTEMPTS):
            try:
                plan = plan_exchange(
                    request,
                    req.values[line.line_id],
                    catalog,
                    load_stock(session, req.merchant_id, line.replacement_sku),
                    facts.warehouses,
                    facts.shopper,
                    facts.currency,
                    returned_quantity=req.returned_quantities[line.line_id],
                )
            except ValidationError as err:  # the catalog changed since the API checked it
                raise ApplicationError(
                    f"line {line.line_id}: {err.errors()[0]['msg']}",
                    type=ActivityErrorType.EXCHANGE_REJECTED,
                    non_retryable=True,
                ) from err
            if isinstance(plan, ExchangeFallback):
                return plan.reason
            taken = session.execute(
                update(StockRecord)
                .where(
                    col(StockRecord.merchant_id) == req.merchant_id,
                    col(StockRecord.sku) == plan.replacement_sku,
                    col(StockRecord.facility_id) == plan.warehouse_id,
                    col(StockRecord.on_hand) - col(StockRecord.reserved) >= plan.quantity,
                )
                .values(reserved=col(StockRecord.reserved) + plan.quantity)
                .execution_options(synchronize_session=False)
            ).rowcount
            if taken == 1:
                price = catalog.get(plan.replacement_sku).price
                session.add(
                    ExchangeReservation(
                        return_id=req.return_id,
                        line_id=line.line_id,
                        merchant_id=req.merchant_id,
                        sku=plan.replacement_sku,
                        facility_id=plan.warehouse_id,
                        quantity=plan.quantity,
                        unit_price=price.amount,
                        currency=price.currency,
                    )
                )
                session.flush()
                return None
        return f"{line.replacement_sku} kept being taken by other exchanges"

    @activity.defn
    def release_replacements(self, ref: ReturnRef) -> int:
        """Give back stock reserved and not shipped; answers how many lines were released."""
        with session_scope(self._engine) as session:
            released = 0
            for r in _reservations(session, ref.return_id):
                if r.status == ReplacementStatus.RESERVED:
                    _adjust(session, r, reserved=-r.quantity)
                    r.status = ReplacementStatus.RELEASED
                    session.add(r)
                    released += 1
            return released

    @activity.defn
    def mark_shipped(self, ref: ShipRef) -> None:
        """The replacement left the warehouse: the units leave stock and the reservation."""
        with session_scope(self._engine) as session:
            r = session.get(ExchangeReservation, (ref.return_id, ref.line_id))
            if r is None:
                raise ApplicationError(
                    f"no reservation for line {ref.line_id}",
                    type=ActivityErrorType.EXCHANGE_REJECTED,
                    non_retryable=True,
                )
            if r.status == ReplacementStatus.RESERVED:
                _adjust(session, r, reserved=-r.quantity, on_hand=-r.quantity)
                r.status = ReplacementStatus.SHIPPED
                session.add(r)


def _reservations(session: Session, return_id: str) -> list[ExchangeReservation]:
    q = select(ExchangeReservation).where(ExchangeReservation.return_id == return_id)
    return list(session.exec(q.order_by(col(ExchangeReservation.line_id))).all())


def _adjust(session: Session, r: ExchangeReservation, reserved: int = 0, on_hand: int = 0) -> None:
    session.execute(
        update(StockRecord)
        .where(
            col(StockRecord.merchant_id) == r.merchant_id,
            col(StockRecord.sku) == r.sku,
            col(StockRecord.facility_id) == r.facility_id,
        )
        .values(reserved=col(StockRecord.reserved) + reserved, on_hand=col(StockRecord.on_hand) + on_hand)
        .execution_options(synchronize_session=False)
    )


def _view(r: ExchangeReservation) -> Replacement:
    return Replacement(
        line_id=r.line_id,
        sku=r.sku,
        quantity=r.quantity,
        warehouse_id=r.facility_id,
        unit_price=Money(amount=r.unit_price, currency=r.currency),
        status=ReplacementStatus.SHIPPED if r.status == ReplacementStatus.SHIPPED else ReplacementStatus.RESERVED,
    )
