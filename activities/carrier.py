"""Carrier side effects through the real `easypost` SDK (blocking: these are sync activities).

Buying is idempotent without an EasyPost idempotency header: the shipment id is
remembered per return before buying, a retry re-reads that shipment, and a
shipment that already has postage is never bought again.
"""

from __future__ import annotations

from collections.abc import Callable

import easypost
import easypost.errors as ep
from pydantic import BaseModel
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.errors import CARRIER_REJECTED, carrier_error
from db.session import session_scope
from db.tables import CarrierShipment, Merchant, Order
from domain.money import Money
from workflows.messages import Label

# Until merchants can describe their boxes (carriers issue), one default parcel per return.
DEFAULT_PARCEL = {"length": 12, "width": 9, "height": 4}
OUNCES_PER_UNIT = 16


class LabelRequest(BaseModel):
    return_id: str
    merchant_id: str
    order_id: str
    units: int


class VoidRequest(BaseModel):
    return_id: str
    shipment_id: str


class CarrierActivities:
    def __init__(self, engine: Engine, client_factory: Callable[[], easypost.EasyPostClient]) -> None:
        self._engine = engine
        self._client = client_factory

    @activity.defn
    def buy_return_label(self, req: LabelRequest) -> Label:
        client = self._client()
        try:
            shipment = self._find_or_create_shipment(client, req)
            if not shipment.postage_label:
                try:
                    shipment = client.shipment.buy(shipment.id, rate=shipment.lowest_rate())
                except ep.ApiError as err:
                    if err.code != "SHIPMENT.POSTAGE.EXISTS":  # an earlier attempt bought it
                        raise
                    shipment = client.shipment.retrieve(shipment.id)
        except ep.EasyPostError as err:
            raise carrier_error(err) from err
        rate = shipment.selected_rate
        return Label(
            shipment_id=shipment.id,
            tracker_id=getattr(shipment.tracker, "id", None) if shipment.tracker else None,
            carrier=rate.carrier,
            service=rate.service,
            tracking_code=shipment.tracking_code,
            label_url=shipment.postage_label.label_url,
            rate=Money(amount=_minor_units(rate.rate), currency=rate.currency),
        )

    @activity.defn
    def void_label(self, req: VoidRequest) -> str:
        """Ask the carrier to refund an unused label; answers EasyPost's refund_status."""
        client = self._client()
        try:
            shipment = client.shipment.retrieve(req.shipment_id)
            if shipment.refund_status in ("submitted", "refunded"):
                return shipment.refund_status
            return client.shipment.refund(req.shipment_id).refund_status
        except ep.EasyPostError as err:
            raise carrier_error(err) from err

    def _find_or_create_shipment(self, client: easypost.EasyPostClient, req: LabelRequest):
        with session_scope(self._engine) as session:
            known = session.get(CarrierShipment, req.return_id)
            if known is not None:
                return client.shipment.retrieve(known.shipment_id)
            merchant = session.get(Merchant, req.merchant_id)
            order = session.get(Order, (req.merchant_id, req.order_id))
            if merchant is None or order is None:
                raise ApplicationError(
                    f"order {req.order_id} of merchant {req.merchant_id} not found",
                    type=CARRIER_REJECTED,
                    non_retryable=True,
                )
            customer_address = dict(order.customer["address"])
            warehouse_address = dict(merchant.warehouse_address)
        # A return label uses the outbound addresses; EasyPost swaps them for `is_return`.
        shipment = client.shipment.create(
            to_address=customer_address,
            from_address=warehouse_address,
            parcel={**DEFAULT_PARCEL, "weight": OUNCES_PER_UNIT * max(req.units, 1)},
            is_return=True,
            reference=req.return_id,
            options={"label_format": "PNG"},
        )
        try:
            with session_scope(self._engine) as session:
                session.add(CarrierShipment(return_id=req.return_id, shipment_id=shipment.id))
        except IntegrityError:
            # A concurrent attempt got there first; use its shipment (ours stays unbought, free).
            with session_scope(self._engine) as session:
                known = session.get(CarrierShipment, req.return_id)
                return client.shipment.retrieve(known.shipment_id)
        return shipment


def _minor_units(decimal_text: str) -> int:
    """EasyPost sends money as decimal strings ("6.07"); never go through float."""
    whole, _, frac = str(decimal_text).partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])
