"""Route inspected items to facilities, booking capacity, exactly once per item.

The route row and its capacity booking are written in one transaction: a retried
activity finds the route and books nothing again; a concurrent return that took
the last unit makes the booking fail, and the item is routed again with the new
load (next nearest, or held).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session
from temporalio import activity

from activities import bookings
from activities.inventory_ledger import record_movement
from db.registry import load_registry
from db.session import session_scope
from db.tables import ItemRouteRow
from domain import inventory
from domain.facilities import FacilityRegistry, Held, route_item
from workflows.messages import ItemRoute, RouteItem, RouteRequest

MAX_BOOKING_ATTEMPTS = 5


class RoutingActivities:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @activity.defn
    def route_items(self, req: RouteRequest) -> list[ItemRoute]:
        day = datetime.now(UTC).date().isoformat()
        with session_scope(self._engine) as session:
            registry = load_registry(session, req.merchant_id)
        if not registry.facilities:
            return []  # no registry: items stay with the merchant's warehouse, as before routing existed
        routes = []
        for item in req.items:  # one transaction per item: a failure keeps the items already routed
            with session_scope(self._engine) as session:
                row = session.get(ItemRouteRow, (req.return_id, item.line_id)) or self._route(
                    session, req, item, day, registry
                )
                routes.append(_view(row))
        return routes

    def _route(
        self, session: Session, req: RouteRequest, item: RouteItem, day: str, registry: FacilityRegistry
    ) -> ItemRouteRow:
        facilities = registry.facilities
        origin = registry.get(req.at_facility_id) if req.at_facility_id else None
        for _ in range(MAX_BOOKING_ATTEMPTS):
            if origin is None:
                decision = Held(
                    code="no_capable_facility", reason="the receiving warehouse is not in the facility registry"
                )
            else:
                load = bookings.load_for(session, req.merchant_id, day)
                decision = route_item(
                    facilities, item.disposition.capability, item.category, item.quantity, origin.location, load
                )
            if isinstance(decision, Held):
                row = _row(req, item, day, None, decision.code, decision.reason)
                break
            facility = registry.get(decision.facility_id)
            if bookings.book(session, req.merchant_id, facility.id, day, item.quantity, facility.daily_capacity):
                where = "here" if facility.id == req.at_facility_id else f"{decision.distance_km:.0f} km away"
                row = _row(req, item, day, facility.id, None, f"{item.disposition.value} at {facility.name} ({where})")
                break
        else:
            row = _row(
                req, item, day, None, "no_capacity", "capacity kept being taken by other returns; routing gave up"
            )
        session.add(row)
        at = req.at_facility_id or "default-warehouse"
        record_movement(
            session,
            req.merchant_id,
            req.return_id,
            item.line_id,
            inventory.received(item.sku, item.quantity, at, item.grade),
        )
        return row


def _row(req: RouteRequest, item: RouteItem, day: str, facility_id: str | None, held_code: str | None, reason: str):
    return ItemRouteRow(
        return_id=req.return_id,
        line_id=item.line_id,
        merchant_id=req.merchant_id,
        sku=item.sku,
        quantity=item.quantity,
        grade=item.grade.value,
        disposition=item.disposition.value,
        recovery_value=item.recovery_value.amount,
        currency=item.recovery_value.currency,
        rule=item.rule,
        from_facility_id=req.at_facility_id or "",
        facility_id=facility_id,
        held_code=held_code,
        reason=reason,
        day=day,
    )


def _view(row: ItemRouteRow) -> ItemRoute:
    return ItemRoute(
        line_id=row.line_id,
        disposition=row.disposition,
        from_facility_id=row.from_facility_id or None,
        facility_id=row.facility_id,
        reason=row.reason,
    )
