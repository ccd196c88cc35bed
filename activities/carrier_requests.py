"""What the workflows ask the carrier activities (activity inputs): ids and parcel facts only."""

from __future__ import annotations

from pydantic import BaseModel

from workflows.ids import return_label_reference
from workflows.messages import PickupWindow


class LabelRequest(BaseModel):
    return_id: str
    merchant_id: str
    order_id: str
    units: int
    categories: list[str] = []  # the receiving warehouse must accept each
    attempt: int = 0  # > 0: a replacement label (the carrier cancelled the previous one)
    parcel: int = 1  # which parcel of a return that needs several
    weight_oz: int | None = None  # the parcel's planned weight (None: by units)

    @property
    def reference(self) -> str:
        """The shipment's reference: the return id, a suffix per further parcel and per replacement label."""
        return return_label_reference(self.return_id, self.parcel, self.attempt)


class ReplacementShipmentRequest(BaseModel):
    reference: str  # ids.replacement_shipment_reference: bought at most once
    merchant_id: str
    order_id: str
    warehouse_id: str
    units: int


class TransferLabelRequest(BaseModel):
    """Warehouse -> facility shipment for one item (an outbound shipment, not a return)."""

    reference: str  # ids.transfer_shipment_reference: bought at most once
    merchant_id: str
    from_facility_id: str
    to_facility_id: str
    units: int


class PickupOrder(BaseModel):
    return_id: str
    merchant_id: str
    order_id: str
    shipment_id: str
    window: PickupWindow
    attempt: int = 1  # each booking of one return has its own reference: bought at most once


class PickupRef(BaseModel):
    return_id: str
    pickup_id: str


class VoidRequest(BaseModel):
    return_id: str
    shipment_id: str
