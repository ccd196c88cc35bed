"""Every id, key, reference and message name Returnflow derives or mints, in one place.

Derived ones are deterministic by design: a retried activity, a replayed workflow or a repeated request derives
the same string and finds what the first attempt made (Temporal's workflow ids, Stripe's
Idempotency-Key, EasyPost's shipment reference, our own unique keys). These strings are in
stored rows, in the sandboxes' idempotency records and in workflow histories: never change one.
"""

from __future__ import annotations

import hashlib
import re
import secrets

# ---- task queues and workflow types (started by name, so activities need not import the workflows) ----
TASK_QUEUE = "returns"
CARRIER_TASK_QUEUE = "carrier"
MERCHANT_NOTIFICATION_WORKFLOW = "MerchantNotificationWorkflow"

# ---- signals sent by name (the sender cannot import the receiving workflow without a cycle) ----
TRANSFER_OVERDUE_SIGNAL = "transfer_overdue"  # TransferWorkflow -> its ReturnWorkflow
SIDE_EFFECT_TROUBLE_SIGNAL = "side_effect_trouble"  # the worker's SideEffectWatch -> the ReturnWorkflow


# ---- workflow ids and update ids ----
def return_workflow_id(return_id: str) -> str:
    """One workflow per return, named after it."""
    return f"return-{return_id}"


def transfer_workflow_id(return_id: str, line_id: str) -> str:
    """The child workflow moving one item of a return to its facility; also the shipment's reference."""
    return f"transfer-{return_id}-{line_id}"


def notification_workflow_id(event_id: str) -> str:
    """One delivery workflow per merchant event: a second start finds the first."""
    return f"notify-{event_id}"


def submit_update_id(request_fingerprint: str) -> str:
    """The `submit` update sent with the start: one per create request."""
    return f"submit-{request_fingerprint[:32]}"


def request_update_id(kind: str, return_id: str, request_json: str) -> str:
    """An update the API sends for a request that can succeed once per return (inspect, review, cancel): the same
    request again (a retry after a 503 or a lost answer) is the same update and gets the first one's answer, while
    a different request is judged on its own (409 already_inspected, wrong_state)."""
    return f"{kind}-{return_id}-{hashlib.sha256(request_json.encode()).hexdigest()[:32]}"


def store_receipt_update_id(return_id: str) -> str:
    """The `receive_at_store` update: one per return, so a second scan (at any store) gets the first's answer."""
    return f"store-receipt-{return_id}"


def new_return_id() -> str:
    """A return created without an Idempotency-Key: random (never called in workflow code)."""
    return "ret_" + secrets.token_hex(12)


def new_merchant_id() -> str:
    """A merchant created by `returnflow merchants create` or the admin API: random, never derived from its
    name or slug: the slug is the operator's handle, the id is in every row of the merchant."""
    return "mer_" + secrets.token_hex(12)


def requested_return_id(merchant_id: str, idempotency_key: str) -> str:
    """The return id of a create request carrying an Idempotency-Key: its repeats name the same return."""
    return "ret_" + hashlib.sha256(f"{merchant_id}\0{idempotency_key}".encode()).hexdigest()[:24]


# ---- merchant webhook events ----
def merchant_event_id(return_id: str, key: str) -> str:
    """Deterministic per return and announcement key, so a merchant drops repeats, and one-to-one: a plain event
    type reads as before (`return.refunded` -> `evt_<return>_return_refunded`: the event types are a fixed set
    no two of which differ only by "." and "_"); a key with a subject (`return.needs_attention:<attention key>`)
    adds a digest of the whole key, since subjects (order line ids) may hold "." and "_" both."""
    event_type, colon, _subject = key.partition(":")
    plain = f"evt_{return_id}_{event_type.replace('.', '_')}"
    return plain if not colon else f"{plain}_{hashlib.sha256(key.encode()).hexdigest()[:32]}"


# ---- EasyPost references: a retried purchase finds the shipment (or pickup) bought before ----
def return_label_reference(return_id: str, parcel: int = 1, attempt: int = 0) -> str:
    """The return label's shipment: the return id, a suffix per further parcel and per replacement label."""
    base = return_id if parcel == 1 else f"{return_id}-parcel-{parcel}"
    return base if attempt == 0 else f"{base}-relabel-{attempt}"


def replacement_shipment_reference(return_id: str, line_id: str) -> str:
    """An exchange's replacement shipped to the shopper."""
    return f"exchange-{return_id}-{line_id}"


def transfer_shipment_reference(return_id: str, line_id: str) -> str:
    """Warehouse -> facility shipment of one item: the transfer workflow's own id."""
    return transfer_workflow_id(return_id, line_id)


def pickup_reference(return_id: str, attempt: int) -> str:
    """Each pickup booking of a return (1, 2, ...): booked at most once."""
    return f"pickup-{return_id}-{attempt}"


# ---- payment idempotency keys (Stripe's Idempotency-Key, our payout records) ----
def refund_idempotency_key(return_id: str) -> str:
    return f"returnflow-{return_id}-refund"


def store_credit_idempotency_key(return_id: str) -> str:
    return f"returnflow-{return_id}-credit"


def exchange_charge_idempotency_key(return_id: str) -> str:
    return f"returnflow-{return_id}-exchange-charge"


STORE_CREDIT_REDEEM_PREFIX = "redeem:"


def store_credit_redeem_key(reference: str) -> str:
    """A redemption's ledger key: the shop's order or checkout id, once per merchant."""
    return STORE_CREDIT_REDEEM_PREFIX + reference


def store_credit_reference(entry_id: int) -> str:
    """A store-credit settlement's reference: the ledger entry."""
    return f"credit-{entry_id}"


# ---- rows written once per key ----
def work_order_id(return_id: str, line_id: str) -> str:
    """Derived, not remembered: a completion may arrive before the workflow saw the order opened."""
    return "wo_" + hashlib.sha256(f"{return_id}/{line_id}".encode()).hexdigest()[:20]


def certificate_id(return_id: str, line_id: str) -> str:
    return "cert_" + hashlib.sha256(f"{return_id}/{line_id}".encode()).hexdigest()[:20]


def inventory_movement_key(return_id: str, line_id: str, movement_kind: str) -> str:
    """One movement of an item in the inventory ledger, however often an activity retries."""
    return f"{return_id}:{line_id}:{movement_kind}"


def attention_key(return_id: str, kind: str, about: str = "") -> str:
    """One attention item per return, kind and subject (a line, an activity, a parcel ...)."""
    return f"{return_id}:{kind}:{about}"


def unidentified_parcel_key(parcel_id: str) -> str:
    """The attention item of a dock scan matching no return."""
    return f"unidentified:{parcel_id}"


def label_email_key(return_id: str, tracking_code: str) -> str:
    """The label email's key and Message-ID left part: label-<return>-<tracking code>, Message-ID-safe."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", f"label-{return_id}-{tracking_code}")[:200]


# ---- the notification outbox ----
OUTBOX_WORKFLOW = "OutboxWorkflow"
OUTBOX_WORKFLOW_ID = "outbox-drain"  # one drain for the whole cluster
