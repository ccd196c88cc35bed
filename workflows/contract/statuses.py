"""The names of statuses and kinds the workflows record. Their values are in stored rows, JSON
and workflow histories: add members, never rename a value.

Statuses that come from a provider (Stripe's refund status, EasyPost's refund_status) are open:
a value not listed here still decodes (as a member of its own) instead of failing a workflow
task or the projection write; ours are closed, so a typo fails where it is made.
"""

from __future__ import annotations

from enum import StrEnum


class _OpenStrEnum(StrEnum):
    @classmethod
    def _missing_(cls, value: object) -> _OpenStrEnum | None:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_, member._value_ = value.upper(), value
        return member


class PickupStatus(StrEnum):
    """A carrier pickup booked for the return label's parcel."""

    SCHEDULED = "scheduled"
    PICKED_UP = "picked_up"  # the first carrier scan came while it was scheduled
    CANCELLED = "cancelled"  # by us: asked for, or the return ended first
    CANCELLED_BY_CARRIER = "cancelled_by_carrier"
    MISSED = "missed"  # its window passed without a scan: the shopper drops the parcel off


class SettlementStatus(_OpenStrEnum):
    """How the shopper's settlement stands. Refunds carry Stripe's refund status."""

    # Stripe's refund statuses (failed and canceled are raised as refusals, never settled)
    SUCCEEDED = "succeeded"
    PENDING = "pending"
    REQUIRES_ACTION = "requires_action"
    FAILED = "failed"
    CANCELED = "canceled"
    UNCONFIRMED = "unconfirmed"  # still pending at the follow-up's deadline: ops decide
    ISSUED = "issued"  # store credit written to the ledger
    CHARGED = "charged"  # an exchange's difference charged to the shopper
    CHARGE_FAILED = "charge_failed"  # ... and that charge failed: the shopper owes it
    EXCHANGED = "exchanged"  # an even exchange: nothing to pay either way
    NOT_REQUIRED = "not_required"  # nothing due
    HELD_FOR_OPS = "held_for_ops"  # above what the order's payment captured, or not the merchant's payment


class VoidStatus(_OpenStrEnum):
    """A voided label's carrier refund (EasyPost's refund_status): submitted -> refunded | rejected."""

    SUBMITTED = "submitted"
    REFUNDED = "refunded"
    REJECTED = "rejected"
    NOT_APPLICABLE = "not_applicable"


class ReplacementStatus(StrEnum):
    """An exchange's replacement: reserved -> shipped | released; a shipped one may be voided."""

    RESERVED = "reserved"
    SHIPPED = "shipped"
    RELEASED = "released"  # back to stock: the exchange did not happen
    VOIDED = "voided"  # its shipment voided before the carrier had it


class TimelineEvent(StrEnum):
    """What a timeline entry records (the `event` of GET /v1/returns/{id}/timeline)."""

    REQUESTED = "requested"
    POLICY = "policy"
    REVIEW = "review"
    EXCHANGE = "exchange"
    KEEP_ITEM = "keep_item"
    LABEL = "label"
    RELABEL = "relabel"
    LABEL_VOID = "label_void"
    EMAIL = "email"
    PICKUP = "pickup"
    CARRIER_EVENT = "carrier_event"
    WAREHOUSE_RECEIPT = "warehouse_receipt"
    HAND_IN = "hand_in"  # a return sent to a store: waiting for the shopper, then handed in there
    INSPECTION = "inspection"
    SETTLEMENT = "settlement"
    MERCHANT_WEBHOOK = "merchant_webhook"
    ROUTING = "routing"
    TRANSFER = "transfer"
    REFURBISHMENT = "refurbishment"
    DISPOSITION = "disposition"
    SIDE_EFFECT = "side_effect"  # a failing call to the outside recovered
    ATTENTION = "attention"  # flagged for ops (AttentionKind says what)
    CANCEL = "cancel"
    EXPIRY = "expiry"


class AttentionKind(StrEnum):
    """Why a person must look at a return (GET /v1/attention)."""

    # the decision
    PENDING_REVIEW = "pending_review"  # held by the policy for a person's review (closed when reviewed)
    # carrier and parcels
    CARRIER_EXCEPTION = "carrier_exception"
    SCANNED_AFTER_CANCEL = "scanned_after_cancel"
    RECEIVED_AFTER_CANCEL = "received_after_cancel"
    RELABEL_FAILED = "relabel_failed"
    VOID_FAILED = "void_failed"
    VOID_UNCONFIRMED = "void_unconfirmed"
    PICKUP_REFUSED = "pickup_refused"
    PICKUP_UNCHECKED = "pickup_unchecked"
    PICKUP_NOT_CANCELLED = "pickup_not_cancelled"
    UNIDENTIFIED_PARCEL = "unidentified_parcel"  # a dock scan matching no return
    # inspection and items
    INSPECTION_OVERDUE = "inspection_overdue"
    INSPECTION_FINDING = "inspection_finding"
    ROUTING_FAILED = "routing_failed"
    ITEM_HELD = "item_held"
    ITEM_STEP_FAILED = "item_step_failed"
    TRANSFER_FAILED = "transfer_failed"
    TRANSFER_OVERDUE = "transfer_overdue"
    # money
    PAYOUT_HELD = "payout_held"
    REFUND_UNCONFIRMED = "refund_unconfirmed"
    SHOPPER_OWES = "shopper_owes"
    # exchanges
    EXCHANGE_NOT_SHIPPED = "exchange_not_shipped"
    STOCK_NOT_RECORDED = "stock_not_recorded"
    STOCK_NOT_RELEASED = "stock_not_released"
    REPLACEMENT_NOT_VOIDED = "replacement_not_voided"
    # the machinery
    UNEXPECTED_TRANSITION = "unexpected_transition"
    SIDE_EFFECT_FAILING = "side_effect_failing"
    WORKFLOW_TASK_FAILED = "workflow_task_failed"
    # the merchant's systems
    WEBHOOK_ENDPOINT_DISABLED = "webhook_endpoint_disabled"  # no 2xx for the give-up period (no return)
