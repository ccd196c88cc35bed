"""Carrier side effects through the real `easypost` SDK (blocking: these are sync activities).

Buying is idempotent without an EasyPost idempotency header: the shipment id is
remembered per return before buying, a retry re-reads that shipment, and a
shipment that already has postage is never bought again.

A return label is bought at the rate the merchant's label rules choose
(domain.labels; none saved: the cheapest); when no quoted rate satisfies them the
activity fails for good (ActivityErrorType.CARRIER_REJECTED) with the reason in words, and the
workflow rejects the return with it. Transfer labels are bought at the cheapest rate.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import easypost
import easypost.errors as ep
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import bookings, business_metrics
from activities.carrier_rates import chosen_rate, explain_choice, minor_units, rate_option

# The activities' inputs, importable from here as before (the workflows import them from activities.carrier).
from activities.carrier_requests import (
    LabelRequest,
    PickupOrder,
    PickupRef,
    ReplacementShipmentRequest,
    TransferLabelRequest,
    VoidRequest,
)
from activities.errors import carrier_error
from db.registry import load_registry
from db.session import session_scope
from db.tables import CarrierShipment, Merchant, Order, ReturnRecord
from domain.facilities import Facility, receiving_warehouse
from domain.geo import shopper_point
from domain.labels import LabelRules
from domain.money import Money
from workflows.ids import pickup_reference
from workflows.messages import ActivityErrorType, Label, Pickup, RateAlternative, VoidStatus

# Until merchants can describe their boxes (carriers issue), one default parcel per return.
DEFAULT_PARCEL = {"length": 12, "width": 9, "height": 4}
OUNCES_PER_UNIT = 16


class CarrierActivities:
    def __init__(
        self,
        engine: Engine,
        client_factory: Callable[[], easypost.EasyPostClient],
        client_for: Callable[[str], easypost.EasyPostClient] | None = None,
    ) -> None:
        """`client_factory`: a client on the platform's account; `client_for` (the worker's): one on the
        merchant's own account where it set a key, else the platform's (activities/merchant_accounts.py)."""
        self._engine = engine
        self._client = client_factory
        self._client_for = client_for

    def _merchant_client(self, merchant_id: str | None) -> easypost.EasyPostClient:
        if self._client_for is None or merchant_id is None:
            return self._client()
        return self._client_for(merchant_id)

    def _merchant_of(self, return_id: str) -> str | None:
        """The merchant of a return (voids and pickups carry the return's id only); None: not recorded."""
        if self._client_for is None:
            return None
        with session_scope(self._engine) as session:
            ret = session.get(ReturnRecord, return_id)
            return ret.merchant_id if ret is not None else None

    @activity.defn
    def buy_return_label(self, req: LabelRequest) -> Label:
        rules = self._label_rules(req.merchant_id)
        created: dict[str, str | None] = {}  # shipment id -> its facility, when this attempt created it

        def create(client: easypost.EasyPostClient):
            with session_scope(self._engine) as session:
                customer_address, warehouse_address, receiving = self._return_addresses(session, req)
            # A return label uses the outbound addresses; EasyPost swaps them for `is_return`.
            shipment = client.shipment.create(
                to_address=customer_address,
                from_address=warehouse_address,
                parcel={**DEFAULT_PARCEL, "weight": req.weight_oz or OUNCES_PER_UNIT * max(req.units, 1)},
                is_return=True,
                reference=req.reference,
                options={"label_format": "PNG"},
            )
            created[shipment.id] = receiving
            return receiving, shipment

        label = self._buy(req.merchant_id, req.reference, create, rules)
        if label.shipment_id in created:  # ours: no need to ask the database where it goes
            receiving = created[label.shipment_id]
        else:
            with session_scope(self._engine) as session:  # an earlier (or concurrent) attempt's shipment
                receiving = session.get(CarrierShipment, req.reference).facility_id
        return label.model_copy(update={"receiving_facility_id": receiving})

    @activity.defn
    def buy_transfer_label(self, req: TransferLabelRequest) -> Label:
        def create(client: easypost.EasyPostClient):
            with session_scope(self._engine) as session:
                registry = load_registry(session, req.merchant_id)
            origin, target = registry.get(req.from_facility_id), registry.get(req.to_facility_id)
            if origin is None or target is None:
                missing = req.from_facility_id if origin is None else req.to_facility_id
                raise ApplicationError(
                    f"facility {missing} is not in the registry",
                    type=ActivityErrorType.CARRIER_REJECTED,
                    non_retryable=True,
                )
            return None, client.shipment.create(
                from_address=_address(origin),
                to_address=_address(target),
                parcel={**DEFAULT_PARCEL, "weight": OUNCES_PER_UNIT * max(req.units, 1)},
                reference=req.reference,
                options={"label_format": "PNG"},
            )

        return self._buy(req.merchant_id, req.reference, create)

    def _buy(self, merchant_id: str, reference: str, create: Callable, rules: LabelRules | None = None) -> Label:
        """Buy the shipment under `reference` once: at the rate `rules` choose, or (None) the cheapest."""
        client = self._merchant_client(merchant_id)
        try:
            shipment = self._find_or_create_shipment(client, reference, create)
            if not shipment.postage_label:  # never choose (or refuse) again once bought
                rate = shipment.lowest_rate() if rules is None else chosen_rate(rules, shipment)
                try:
                    shipment = client.shipment.buy(shipment.id, rate=rate)
                    business_metrics.label_bought()
                    activity.logger.info("label %s bought (%s %s)", shipment.tracking_code, rate.carrier, rate.service)
                except ep.ApiError as err:
                    if err.code != "SHIPMENT.POSTAGE.EXISTS":  # an earlier attempt bought it
                        raise
                    shipment = client.shipment.retrieve(shipment.id)
        except ep.EasyPostError as err:
            raise carrier_error(err) from err
        rate = shipment.selected_rate
        bought = rate_option(rate)
        reason, alternatives = (
            ("the cheapest rate", []) if rules is None or bought is None else explain_choice(rules, shipment, bought)
        )
        return Label(
            shipment_id=shipment.id,
            tracker_id=getattr(shipment.tracker, "id", None) if shipment.tracker else None,
            carrier=rate.carrier,
            service=rate.service,
            tracking_code=shipment.tracking_code,
            label_url=shipment.postage_label.label_url,
            rate=Money(amount=minor_units(rate.rate), currency=rate.currency),
            delivery_days=bought.delivery_days if bought else None,
            selection_reason=reason,
            alternatives=[
                RateAlternative(carrier=r.carrier, service=r.service, rate=r.cost, delivery_days=r.delivery_days)
                for r in alternatives
            ],
        )

    def _label_rules(self, merchant_id: str) -> LabelRules:
        """The merchant's saved rules (validated when saved); none: the cheapest of every rate."""
        with session_scope(self._engine) as session:
            merchant = session.get(Merchant, merchant_id)
            saved = merchant.label_rules if merchant is not None else None
        try:
            return LabelRules.model_validate(saved) if saved else LabelRules()
        except ValueError as err:  # edited in the database by hand: no retry can fix it
            raise ApplicationError(
                f"the merchant's label rules are invalid: {err}",
                type=ActivityErrorType.CARRIER_REJECTED,
                non_retryable=True,
            ) from err

    @activity.defn
    def ship_replacement(self, req: ReplacementShipmentRequest) -> Label:
        """An exchange's replacement: warehouse -> shopper, an outbound shipment (not a return)."""

        def create(client: easypost.EasyPostClient):
            with session_scope(self._engine) as session:
                warehouse = load_registry(session, req.merchant_id).get(req.warehouse_id)
                order = session.get(Order, (req.merchant_id, req.order_id))
                if warehouse is None or order is None:
                    missing = f"warehouse {req.warehouse_id}" if warehouse is None else f"order {req.order_id}"
                    raise ApplicationError(
                        f"{missing} not found", type=ActivityErrorType.CARRIER_REJECTED, non_retryable=True
                    )
                shopper = _strip_geo(dict(order.customer["address"]))
            return None, client.shipment.create(
                from_address=_address(warehouse),
                to_address=shopper,
                parcel={**DEFAULT_PARCEL, "weight": OUNCES_PER_UNIT * max(req.units, 1)},
                reference=req.reference,
                options={"label_format": "PNG"},
            )

        return self._buy(req.merchant_id, req.reference, create)

    @activity.defn
    def void_label(self, req: VoidRequest) -> VoidStatus | None:
        """Ask the carrier to refund an unused label; answers EasyPost's refund_status."""
        client = self._merchant_client(self._merchant_of(req.return_id))
        try:
            shipment = client.shipment.retrieve(req.shipment_id)
            if shipment.refund_status in (VoidStatus.SUBMITTED, VoidStatus.REFUNDED):
                return _void_status(shipment.refund_status)
            refund_status = client.shipment.refund(req.shipment_id).refund_status
            business_metrics.label_voided(refund_status)
            return _void_status(refund_status)
        except ep.EasyPostError as err:
            raise carrier_error(err) from err

    @activity.defn
    def schedule_pickup(self, req: PickupOrder) -> Pickup:
        """Book a carrier pickup at the shopper's address for the label's parcel, at the cheapest pickup rate."""
        reference = pickup_reference(req.return_id, req.attempt)
        client = self._merchant_client(req.merchant_id)
        try:
            with session_scope(self._engine) as session:
                known = session.get(CarrierShipment, reference)  # its shipment_id column holds the pickup id
                order = session.get(Order, (req.merchant_id, req.order_id))
                address = _strip_geo(dict(order.customer["address"]))
            if known is not None:
                pickup = client.pickup.retrieve(known.shipment_id)
            else:
                pickup = client.pickup.create(
                    address=address,
                    shipment={"id": req.shipment_id},
                    reference=reference,
                    min_datetime=req.window.min_datetime.isoformat(),
                    max_datetime=req.window.max_datetime.isoformat(),
                    instructions=req.window.instructions or "Parcel for return",
                    is_account_address=False,
                )
                with session_scope(self._engine) as session:
                    session.add(CarrierShipment(return_id=reference, shipment_id=pickup.id))
            rate = pickup.lowest_rate()  # what we buy, and what an earlier attempt bought
            if pickup.status != "scheduled":
                pickup = client.pickup.buy(pickup.id, carrier=rate.carrier, service=rate.service)
        except ep.EasyPostError as err:
            raise carrier_error(err) from err
        return Pickup(
            pickup_id=pickup.id,
            confirmation=pickup.confirmation,
            carrier=rate.carrier,
            service=rate.service,
            cost=Money(amount=minor_units(rate.rate), currency=rate.currency),
            window=req.window,
        )

    @activity.defn
    def cancel_pickup(self, req: PickupRef) -> str:
        client = self._merchant_client(self._merchant_of(req.return_id))
        try:
            pickup = client.pickup.retrieve(req.pickup_id)
            return pickup.status if pickup.status == "canceled" else client.pickup.cancel(req.pickup_id).status
        except ep.EasyPostError as err:
            raise carrier_error(err) from err

    @activity.defn
    def pickup_status(self, req: PickupRef) -> str:
        try:
            return self._merchant_client(self._merchant_of(req.return_id)).pickup.retrieve(req.pickup_id).status
        except ep.EasyPostError as err:
            raise carrier_error(err) from err

    @activity.defn
    def confirm_void(self, req: VoidRequest) -> VoidStatus | None:
        """The void's final refund_status; while still `submitted`, fail retryably so Temporal asks
        again later with backoff (the retry policy's schedule-to-close is the deadline)."""
        client = self._merchant_client(self._merchant_of(req.return_id))
        try:
            status = client.shipment.retrieve(req.shipment_id).refund_status
        except ep.EasyPostError as err:
            raise carrier_error(err) from err
        if status == VoidStatus.SUBMITTED:
            raise ApplicationError(
                f"label refund for {req.shipment_id} is still submitted", type=ActivityErrorType.VOID_PENDING
            )
        return _void_status(status)

    def _return_addresses(self, session, req: LabelRequest) -> tuple[dict, dict, str | None]:
        """(shopper, warehouse, receiving facility id): the nearest warehouse that can take the
        return today, or the merchant's default address when none qualifies or none is registered."""
        merchant = session.get(Merchant, req.merchant_id)
        order = session.get(Order, (req.merchant_id, req.order_id))
        if merchant is None or order is None:
            raise ApplicationError(
                f"order {req.order_id} of merchant {req.merchant_id} not found",
                type=ActivityErrorType.CARRIER_REJECTED,
                non_retryable=True,
            )
        customer_address = dict(order.customer["address"])
        point = shopper_point(customer_address)
        facilities = load_registry(session, req.merchant_id).facilities
        if point is not None and facilities:
            load = bookings.load_for(session, req.merchant_id, datetime.now(UTC).date().isoformat())
            chosen = receiving_warehouse(facilities, point, load, max(req.units, 1), req.categories)
            if chosen is not None:
                return _strip_geo(customer_address), _address(chosen), chosen.id
        return _strip_geo(customer_address), dict(merchant.warehouse_address), None

    def _find_or_create_shipment(self, client: easypost.EasyPostClient, reference: str, create: Callable):
        """`create(client)` -> (facility id the parcel goes to or None, new shipment)."""
        with session_scope(self._engine) as session:
            known = session.get(CarrierShipment, reference)
            if known is not None:
                return client.shipment.retrieve(known.shipment_id)
        facility_id, shipment = create(client)
        try:
            with session_scope(self._engine) as session:
                session.add(CarrierShipment(return_id=reference, shipment_id=shipment.id, facility_id=facility_id))
        except IntegrityError:
            # A concurrent attempt got there first; use its shipment (ours stays unbought, free).
            with session_scope(self._engine) as session:
                known = session.get(CarrierShipment, reference)
                return client.shipment.retrieve(known.shipment_id)
        return shipment


def _address(facility: Facility) -> dict:
    return {"name": facility.name, **facility.address.label_address()}


def _strip_geo(address: dict) -> dict:
    """Coordinates are ours (for routing), not an EasyPost address field."""
    return {k: v for k, v in address.items() if k not in ("latitude", "longitude")}


def _void_status(refund_status: str | None) -> VoidStatus | None:
    """EasyPost's refund_status as ours; None when it gave none (as before the enum: not a failure)."""
    return None if refund_status is None else VoidStatus(refund_status)
