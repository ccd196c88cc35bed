"""The return workflow's public contract: its input, signals, updates and views.

Everything here is ids and facts the policy needs; customer data (names,
addresses, emails, payment references) stays in the database and activities
load it by id, so it never lands in a workflow history.

The models live in `workflows.contract` by concern; this module names all of them at once.
"""

from __future__ import annotations

from workflows.contract.errors import (
    PERMANENT_ACTIVITY_ERRORS,
    WAITING_ACTIVITY_ERRORS,
    ActivityErrorType,
    ErrorType,
)
from workflows.contract.events import CarrierEvent, SideEffectTrouble, WarehouseReceipt
from workflows.contract.items import (
    FacilityReceipt,
    ItemRoute,
    RouteItem,
    RouteRequest,
    TransferInput,
    TransferOverdue,
    TransferResult,
    WorkOrderDone,
)
from workflows.contract.notifications import Announcement, MerchantEvent, MerchantEventType
from workflows.contract.requests import (
    DEFAULT_INSPECTION_SLA_HOURS,
    DEFAULT_LABEL_EXPIRY_DAYS,
    DEFAULT_TRANSFER_TIMEOUT_DAYS,
    CancelPickup,
    CancelRequest,
    ExchangeLine,
    ExchangeMode,
    ExchangeOrder,
    InspectedItem,
    Inspection,
    PickupWindow,
    ReturnInput,
    ReviewDecision,
    SendMethod,
    StoreReceipt,
    SubmitReturn,
)
from workflows.contract.statuses import (
    AttentionKind,
    PickupStatus,
    ReplacementStatus,
    SettlementStatus,
    TimelineEvent,
    VoidStatus,
)
from workflows.contract.view import (
    AttentionEntry,
    ExchangeView,
    InspectionResult,
    ItemStage,
    ItemView,
    Label,
    Pickup,
    RateAlternative,
    Replacement,
    ReturnProjection,
    ReturnView,
    Settlement,
    TimelineEntry,
)

__all__ = [
    "DEFAULT_INSPECTION_SLA_HOURS",
    "DEFAULT_LABEL_EXPIRY_DAYS",
    "DEFAULT_TRANSFER_TIMEOUT_DAYS",
    "PERMANENT_ACTIVITY_ERRORS",
    "WAITING_ACTIVITY_ERRORS",
    "ActivityErrorType",
    "Announcement",
    "AttentionEntry",
    "AttentionKind",
    "CancelPickup",
    "CancelRequest",
    "CarrierEvent",
    "ErrorType",
    "ExchangeLine",
    "ExchangeMode",
    "ExchangeOrder",
    "ExchangeView",
    "FacilityReceipt",
    "InspectedItem",
    "Inspection",
    "InspectionResult",
    "ItemRoute",
    "ItemStage",
    "ItemView",
    "Label",
    "MerchantEvent",
    "MerchantEventType",
    "Pickup",
    "PickupStatus",
    "PickupWindow",
    "RateAlternative",
    "Replacement",
    "ReplacementStatus",
    "ReturnInput",
    "ReturnProjection",
    "ReturnView",
    "ReviewDecision",
    "RouteItem",
    "RouteRequest",
    "Settlement",
    "SettlementStatus",
    "SideEffectTrouble",
    "SendMethod",
    "StoreReceipt",
    "SubmitReturn",
    "TimelineEntry",
    "TimelineEvent",
    "TransferInput",
    "TransferOverdue",
    "TransferResult",
    "VoidStatus",
    "WarehouseReceipt",
    "WorkOrderDone",
]
