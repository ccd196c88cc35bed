"""SQLModel tables. The returns tables are the read model the workflow projects into.

Who writes what: merchants' reference data (orders) and inbound-event inboxes
are written by the API; everything about a return's progress is written only by
activities, with idempotent upserts keyed by the workflow's own sequence numbers.

The tables live in modules by area; every one is importable from here (and importing
this package registers them all on SQLModel.metadata, which the migrations rely on).
"""

from __future__ import annotations

from db.tables.items import (
    Certificate,
    ExchangeReservation,
    FacilityBooking,
    InventoryMovement,
    ItemRouteRow,
    StockRecord,
    WorkOrder,
)
from db.tables.merchants import (
    ApiKey,
    CatalogVariant,
    DispositionPolicyRecord,
    FacilityRecord,
    Merchant,
    MerchantCredentials,
    Order,
    PolicyVersion,
    WebhookDelivery,
)
from db.tables.notifications import EventDelivery, MerchantEvent, ShopperEmail, WebhookEndpoint
from db.tables.returns import (
    AttentionItem,
    EmailSent,
    ReturnChoice,
    ReturnLine,
    ReturnParcel,
    ReturnPhoto,
    ReturnRecord,
    ReturnUnit,
    TimelineRecord,
    UnidentifiedParcel,
)
from db.tables.side_effects import CarrierEventRecord, CarrierShipment, PaymentRefund, StoreCreditEntry

__all__ = [
    "ApiKey",
    "AttentionItem",
    "CarrierEventRecord",
    "CarrierShipment",
    "CatalogVariant",
    "Certificate",
    "DispositionPolicyRecord",
    "EmailSent",
    "EventDelivery",
    "ExchangeReservation",
    "FacilityBooking",
    "FacilityRecord",
    "InventoryMovement",
    "ItemRouteRow",
    "Merchant",
    "MerchantCredentials",
    "MerchantEvent",
    "Order",
    "PaymentRefund",
    "PolicyVersion",
    "ReturnChoice",
    "ReturnLine",
    "ReturnParcel",
    "ReturnPhoto",
    "ReturnRecord",
    "ReturnUnit",
    "ShopperEmail",
    "StockRecord",
    "StoreCreditEntry",
    "TimelineRecord",
    "UnidentifiedParcel",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WorkOrder",
]
