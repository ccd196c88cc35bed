"""Records for PaymentIntents, Charges and Refunds, and their Stripe JSON shapes.

One `Store` per app instance, in memory (saved to a data dir by persisted.py, if given); all mutation
happens on the event loop without awaiting in between, so no locking is needed.  Business rules live
in `operations.py`.
"""

from __future__ import annotations

import itertools
import secrets
import string
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from sandboxes.persist import TrackedDict

# A pending refund of a `pm_card_refund_pending` / `pm_card_refundFail` payment settles on this
# retrieve (GET /v1/refunds/{id}); counting retrieves keeps the transition deterministic for tests.
PENDING_RETRIEVES_TO_SETTLE = 2

COUNTING_STATUSES = ("pending", "requires_action", "succeeded")  # hold refundable amount
FAILURE_REASONS = (
    "lost_or_stolen_card",
    "expired_or_canceled_card",
    "charge_for_pending_refund_disputed",
    "insufficient_funds",
    "declined",
    "merchant_request",
    "unknown",
)


@dataclass(frozen=True)
class MethodBehaviour:
    """How refunds against a charge made with this test payment method behave."""

    refund_flow: str  # instant | pending_succeeds | pending_fails | requires_action
    disputed: bool = False
    brand: str = "visa"
    off_session_declines: bool = False  # charging it again without the shopper (off_session) needs 3DS


TEST_PAYMENT_METHODS: dict[str, MethodBehaviour] = {
    "pm_card_visa": MethodBehaviour("instant"),
    "pm_card_mastercard": MethodBehaviour("instant", brand="mastercard"),
    "pm_card_refund_pending": MethodBehaviour("pending_succeeds"),
    "pm_card_refundFail": MethodBehaviour("pending_fails"),
    "pm_card_createDispute": MethodBehaviour("instant", disputed=True),
    "pm_card_authenticationRequired": MethodBehaviour("instant", off_session_declines=True),
    "pm_refund_requires_action": MethodBehaviour("requires_action"),
}
DEFAULT_PAYMENT_METHOD = "pm_card_visa"
# Legacy Charges API tokens map onto the same behaviours.
TOKENS = {"tok_visa": "pm_card_visa", "tok_mastercard": "pm_card_mastercard"}

_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str) -> str:
    return f"{prefix}_3Rf" + "".join(secrets.choice(_ALPHABET) for _ in range(21))


def now() -> int:
    return int(time.time())


@dataclass
class PaymentIntent:
    id: str
    amount: int
    currency: str
    payment_method: str
    customer: str | None
    description: str | None
    receipt_email: str | None
    metadata: dict[str, str]
    status: str
    created: int
    latest_charge: str | None = None

    def to_json(self) -> dict[str, Any]:
        succeeded = self.status == "succeeded"
        return {
            "id": self.id,
            "object": "payment_intent",
            "amount": self.amount,
            "amount_capturable": 0,
            "amount_received": self.amount if succeeded else 0,
            "application": None,
            "application_fee_amount": None,
            "canceled_at": None,
            "cancellation_reason": None,
            "capture_method": "automatic",
            "client_secret": f"{self.id}_secret_sandbox",
            "confirmation_method": "automatic",
            "created": self.created,
            "currency": self.currency,
            "customer": self.customer,
            "description": self.description,
            "last_payment_error": None,
            "latest_charge": self.latest_charge,
            "livemode": False,
            "metadata": dict(self.metadata),
            "next_action": None,
            "payment_method": self.payment_method,
            "payment_method_types": ["card"],
            "receipt_email": self.receipt_email,
            "status": self.status,
        }


@dataclass
class Charge:
    id: str
    amount: int
    currency: str
    payment_method: str
    payment_intent: str | None
    customer: str | None
    description: str | None
    metadata: dict[str, str]
    disputed: bool
    created: int
    balance_transaction: str = field(default_factory=lambda: new_id("txn"))

    @property
    def method(self) -> MethodBehaviour:
        return TEST_PAYMENT_METHODS[self.payment_method]

    def to_json(self, amount_refunded: int) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "charge",
            "amount": self.amount,
            "amount_captured": self.amount,
            "amount_refunded": amount_refunded,
            "balance_transaction": self.balance_transaction,
            "captured": True,
            "created": self.created,
            "currency": self.currency,
            "customer": self.customer,
            "description": self.description,
            "disputed": self.disputed,
            "livemode": False,
            "metadata": dict(self.metadata),
            "paid": True,
            "payment_intent": self.payment_intent,
            "payment_method": self.payment_method,
            "payment_method_details": {"type": "card", "card": {"brand": self.method.brand}},
            "refunded": amount_refunded >= self.amount,
            "status": "succeeded",
        }


@dataclass
class Refund:
    id: str
    seq: int
    amount: int
    currency: str
    charge: str
    payment_intent: str | None
    payment_method: str
    flow: str
    reason: str | None
    metadata: dict[str, str]
    instructions_email: str | None
    status: str
    created: int
    pending_reason: str | None = None
    failure_reason: str | None = None
    balance_transaction: str | None = None
    failure_balance_transaction: str | None = None
    retrieves: int = 0

    def to_json(self) -> dict[str, Any]:
        reference_status = {"succeeded": "available", "pending": "pending"}.get(self.status, "unavailable")
        return {
            "id": self.id,
            "object": "refund",
            "amount": self.amount,
            "balance_transaction": self.balance_transaction,
            "charge": self.charge,
            "created": self.created,
            "currency": self.currency,
            "description": None,
            "destination_details": {
                "type": "card",
                "card": {
                    "reference": f"7{self.id[-10:]}" if reference_status == "available" else None,
                    "reference_status": reference_status,
                    "reference_type": "acquirer_reference_number",
                    "type": "refund",
                },
            },
            "failure_balance_transaction": self.failure_balance_transaction,
            "failure_reason": self.failure_reason,
            "instructions_email": self.instructions_email,
            "metadata": dict(self.metadata),
            "next_action": self._next_action(),
            "payment_intent": self.payment_intent,
            "payment_method": self.payment_method,
            "pending_reason": self.pending_reason,
            "presentment_details": None,
            "reason": self.reason,
            "receipt_number": None,
            "source_transfer_reversal": None,
            "status": self.status,
            "transfer_reversal": None,
        }

    def _next_action(self) -> dict[str, Any] | None:
        if self.status != "requires_action":
            return None
        return {
            "type": "display_details",
            "display_details": {
                "email_sent": {"email_sent_at": self.created, "email_sent_to": self.instructions_email},
                "expires_at": self.created + 45 * 86400,
            },
        }


# (event type, refund snapshot, previous_attributes)
EventSink = Callable[[str, dict[str, Any], dict[str, Any] | None], None]


class Store:
    def __init__(self) -> None:
        # TrackedDicts: with a data dir, persisted.py saves the records they hand out.
        self.payment_intents: dict[str, PaymentIntent] = TrackedDict()
        self.charges: dict[str, Charge] = TrackedDict()
        self.refunds: dict[str, Refund] = TrackedDict()
        self._seq = itertools.count(1)
        self.on_event: EventSink = lambda *_: None

    def next_seq(self) -> int:
        return next(self._seq)

    def resume_seq(self, start: int) -> None:
        self._seq = itertools.count(start)

    def refunded_amount(self, charge_id: str) -> int:
        return sum(r.amount for r in self.refunds.values() if r.charge == charge_id and r.status in COUNTING_STATUSES)

    def charge_json(self, charge: Charge) -> dict[str, Any]:
        return charge.to_json(self.refunded_amount(charge.id))

    def stats(self) -> dict[str, Any]:
        return {
            "payment_intents": len(self.payment_intents),
            "refunds": len(self.refunds),
            "refunded_amount_by_payment_intent": {
                pi.id: self.refunded_amount(pi.latest_charge) if pi.latest_charge else 0
                for pi in self.payment_intents.values()
            },
        }

    def emit(self, event_type: str, refund: Refund, previous: dict[str, Any] | None = None) -> None:
        self.on_event(event_type, refund.to_json(), previous)
