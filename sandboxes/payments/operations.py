"""Endpoint logic, split into "validate" and "execute" halves.

Every mutating operation is `prepare_*(store, data) -> Execute`: parameter validation happens in
`prepare_*` and raises before anything runs, so (per Stripe's idempotency rules) those errors are
never stored under an Idempotency-Key.  The returned thunk performs lookups and business checks;
its errors (404 `resource_missing`, `amount_too_large`, ...) *are* stored and replayed.
"""

from __future__ import annotations

from typing import Any, Callable

from .errors import StripeError, invalid, invalid_integer, no_such
from .forms import Params, merge_metadata
from .state import (
    DEFAULT_PAYMENT_METHOD,
    FAILURE_REASONS,
    PENDING_RETRIEVES_TO_SETTLE,
    TEST_PAYMENT_METHODS,
    TOKENS,
    Charge,
    PaymentIntent,
    Refund,
    Store,
    new_id,
    now,
)

Execute = Callable[[], dict[str, Any]]


def _money(amount: int, currency: str) -> str:
    return f"{amount} {currency}"  # minor units; we don't model per-currency exponents


def _payment_method(store: Store, pm: str, param: str = "payment_method") -> str:
    if pm not in TEST_PAYMENT_METHODS:
        raise no_such("PaymentMethod", pm, param)
    return pm


def _make_charge(
    store: Store,
    *,
    amount: int,
    currency: str,
    pm: str,
    pi: str | None,
    customer: str | None,
    description: str | None,
    metadata: dict[str, str],
) -> Charge:
    charge = Charge(
        id=new_id("ch"),
        amount=amount,
        currency=currency,
        payment_method=pm,
        payment_intent=pi,
        customer=customer,
        description=description,
        metadata=dict(metadata),
        disputed=TEST_PAYMENT_METHODS[pm].disputed,
        created=now(),
    )
    store.charges[charge.id] = charge
    return charge


# ---------------------------------------------------------------- payment intents and charges


def prepare_payment_intent_create(store: Store, data: dict[str, Any]) -> Execute:
    p = Params(
        data,
        {
            "amount",
            "currency",
            "customer",
            "payment_method",
            "confirm",
            "metadata",
            "description",
            "receipt_email",
            "payment_method_types",
            "automatic_payment_methods",
            "off_session",
            "return_url",
        },
    )
    amount = p.integer("amount", required=True)
    currency = p.currency("currency", required=True)
    pm = p.string("payment_method") or DEFAULT_PAYMENT_METHOD
    confirm = p.boolean("confirm")
    off_session = p.boolean("off_session")
    customer, description = p.string("customer"), p.string("description")
    receipt_email = p.string("receipt_email")
    metadata = merge_metadata({}, p.metadata())

    def execute() -> dict[str, Any]:
        _payment_method(store, pm)
        pi = PaymentIntent(
            id=new_id("pi"),
            amount=amount,
            currency=currency,
            payment_method=pm,
            customer=customer,
            description=description,
            receipt_email=receipt_email,
            metadata=metadata,
            status="requires_confirmation",
            created=now(),
        )
        store.payment_intents[pi.id] = pi
        if confirm and off_session and TEST_PAYMENT_METHODS[pm].off_session_declines:
            # As Stripe: the intent stays, waiting for a payment method the shopper authenticates.
            pi.status = "requires_payment_method"
            raise StripeError(
                402,
                "Your card was declined. This transaction requires authentication.",
                type="card_error",
                code="authentication_required",
            )
        if confirm:
            _confirm(store, pi)
        return pi.to_json()

    return execute


def _confirm(store: Store, pi: PaymentIntent) -> None:
    # Test cards always authorise and capture immediately (capture_method=automatic).
    charge = _make_charge(
        store,
        amount=pi.amount,
        currency=pi.currency,
        pm=pi.payment_method,
        pi=pi.id,
        customer=pi.customer,
        description=pi.description,
        metadata=pi.metadata,
    )
    pi.latest_charge = charge.id
    pi.status = "succeeded"


def prepare_payment_intent_confirm(store: Store, pi_id: str, data: dict[str, Any]) -> Execute:
    p = Params(data, {"payment_method", "return_url", "off_session", "receipt_email"})
    pm = p.string("payment_method")

    def execute() -> dict[str, Any]:
        pi = get_payment_intent(store, pi_id)
        if pi.status not in ("requires_confirmation", "requires_payment_method"):
            raise invalid(
                f"This PaymentIntent's status is {pi.status}, so it cannot be confirmed.",
                code="payment_intent_unexpected_state",
            )
        if pm:
            pi.payment_method = _payment_method(store, pm)
        _confirm(store, pi)
        return pi.to_json()

    return execute


def get_payment_intent(store: Store, pi_id: str, param: str | None = None) -> PaymentIntent:
    pi = store.payment_intents.get(pi_id)
    if pi is None:
        raise no_such("payment_intent", pi_id, param)
    return pi


def prepare_charge_create(store: Store, data: dict[str, Any]) -> Execute:
    p = Params(
        data,
        {
            "amount",
            "currency",
            "customer",
            "source",
            "payment_method",
            "metadata",
            "description",
            "capture",
            "receipt_email",
        },
    )
    amount = p.integer("amount", required=True)
    currency = p.currency("currency", required=True)
    source = p.string("source") or p.string("payment_method") or DEFAULT_PAYMENT_METHOD
    customer, description = p.string("customer"), p.string("description")
    metadata = merge_metadata({}, p.metadata())

    def execute() -> dict[str, Any]:
        pm = _payment_method(store, TOKENS.get(source, source), "source")
        charge = _make_charge(
            store,
            amount=amount,
            currency=currency,
            pm=pm,
            pi=None,
            customer=customer,
            description=description,
            metadata=metadata,
        )
        return store.charge_json(charge)

    return execute


def get_charge(store: Store, ch_id: str, param: str | None = None) -> Charge:
    charge = store.charges.get(ch_id)
    if charge is None:
        raise no_such("charge", ch_id, param)
    return charge


# ---------------------------------------------------------------- refunds


def prepare_refund_create(store: Store, data: dict[str, Any]) -> Execute:
    p = Params(
        data,
        {
            "payment_intent",
            "charge",
            "amount",
            "reason",
            "metadata",
            "currency",
            "instructions_email",
            "refund_application_fee",
            "reverse_transfer",
        },
    )
    pi_id, ch_id = p.string("payment_intent"), p.string("charge")
    if not pi_id and not ch_id:
        raise StripeError(
            400,
            "One of the following params should be provided for this request: payment_intent or charge.",
            code="parameter_missing",
            param="payment_intent",
        )
    amount = p.integer("amount")
    reason = p.reason()
    currency = p.currency("currency")
    metadata = merge_metadata({}, p.metadata())
    instructions_email = p.string("instructions_email")
    p.boolean("refund_application_fee"), p.boolean("reverse_transfer")  # validated, Connect-only

    def execute() -> dict[str, Any]:
        charge = _refundable_charge(store, pi_id, ch_id)
        if currency and currency != charge.currency:
            raise invalid(
                f"Refund currency {currency} does not match the charge currency {charge.currency}.",
                param="currency",
            )
        if charge.disputed:
            raise invalid(
                f"Charge {charge.id} has been disputed; respond to the dispute instead of refunding.",
                code="charge_disputed",
                param="charge" if ch_id else "payment_intent",
            )
        remaining = charge.amount - store.refunded_amount(charge.id)
        if remaining <= 0:
            raise invalid(f"Charge {charge.id} has already been refunded.", code="charge_already_refunded")
        refund_amount = remaining if amount is None else amount
        if refund_amount > remaining:
            raise invalid(
                f"Refund amount ({_money(refund_amount, charge.currency)}) is greater than "
                f"unrefunded amount on charge ({_money(remaining, charge.currency)})",
                code="amount_too_large",
                param="amount",
            )
        refund = _new_refund(store, charge, refund_amount, reason, metadata, instructions_email)
        store.emit("refund.created", refund)
        return refund.to_json()

    return execute


def _refundable_charge(store: Store, pi_id: str | None, ch_id: str | None) -> Charge:
    charge = get_charge(store, ch_id, "charge") if ch_id else None
    if pi_id:
        pi = get_payment_intent(store, pi_id, "payment_intent")
        if pi.status != "succeeded" or pi.latest_charge is None:
            raise invalid(
                f"This PaymentIntent ({pi.id}) does not have a successful charge to refund.",
                code="payment_intent_unexpected_state",
                param="payment_intent",
            )
        if charge is not None and charge.id != pi.latest_charge:
            raise invalid(f"Charge {charge.id} does not belong to PaymentIntent {pi.id}.", param="charge")
        charge = store.charges[pi.latest_charge]
    assert charge is not None
    return charge


def _new_refund(
    store: Store,
    charge: Charge,
    amount: int,
    reason: str | None,
    metadata: dict[str, str],
    instructions_email: str | None,
) -> Refund:
    flow = charge.method.refund_flow
    status = {"instant": "succeeded", "requires_action": "requires_action"}.get(flow, "pending")
    refund = Refund(
        id=new_id("re"),
        seq=store.next_seq(),
        amount=amount,
        currency=charge.currency,
        charge=charge.id,
        payment_intent=charge.payment_intent,
        payment_method=charge.payment_method,
        flow=flow,
        reason=reason,
        metadata=metadata,
        instructions_email=instructions_email,
        status=status,
        created=now(),
        pending_reason="processing" if status == "pending" else None,
        balance_transaction=new_id("txn"),
    )
    store.refunds[refund.id] = refund
    return refund


def get_refund(store: Store, re_id: str) -> Refund:
    refund = store.refunds.get(re_id)
    if refund is None:
        raise no_such("refund", re_id, "id")
    return refund


def retrieve_refund(store: Store, re_id: str) -> dict[str, Any]:
    """GET also advances simulated processing: pending test refunds settle on the Nth retrieve."""
    refund = get_refund(store, re_id)
    if refund.status == "pending" and refund.flow in ("pending_succeeds", "pending_fails"):
        refund.retrieves += 1
        if refund.retrieves >= PENDING_RETRIEVES_TO_SETTLE:
            succeed = refund.flow == "pending_succeeds"
            settle(store, refund, "succeeded" if succeed else "failed")
    return refund.to_json()


def settle(store: Store, refund: Refund, status: str, failure_reason: str = "expired_or_canceled_card") -> None:
    """Finish a pending / requires_action refund (bank confirmation or failure)."""
    if refund.status not in ("pending", "requires_action"):
        raise invalid(
            f"Refund {refund.id} is {refund.status}; only pending or requires_action refunds can be settled.",
            param="status",
        )
    if status not in ("succeeded", "failed"):
        raise invalid("status must be 'succeeded' or 'failed'.", param="status")
    if status == "failed" and failure_reason not in FAILURE_REASONS:
        raise invalid(f"Invalid failure_reason: {failure_reason}", param="failure_reason")
    previous = {"status": refund.status, "pending_reason": refund.pending_reason}
    refund.status, refund.pending_reason = status, None
    if status == "failed":
        # Funds go back to the merchant balance; the amount becomes refundable again.
        refund.failure_reason = failure_reason
        refund.failure_balance_transaction = new_id("txn")
        previous["failure_reason"] = None
    store.emit("refund.updated", refund, previous)
    if status == "failed":
        store.emit("refund.failed", refund, previous)


def prepare_refund_update(store: Store, re_id: str, data: dict[str, Any]) -> Execute:
    p = Params(data, {"metadata"})
    update = p.metadata()

    def execute() -> dict[str, Any]:
        refund = get_refund(store, re_id)
        previous = dict(refund.metadata)
        refund.metadata = merge_metadata(refund.metadata, update)
        if refund.metadata != previous:
            store.emit("refund.updated", refund, {"metadata": previous})
        return refund.to_json()

    return execute


def prepare_refund_cancel(store: Store, re_id: str, data: dict[str, Any]) -> Execute:
    Params(data, set())

    def execute() -> dict[str, Any]:
        refund = get_refund(store, re_id)
        if refund.status != "requires_action":
            raise invalid(
                f"Refund {refund.id} cannot be canceled because its status is {refund.status}; "
                "only refunds with status requires_action can be canceled.",
            )
        refund.status = "canceled"
        store.emit("refund.updated", refund, {"status": "requires_action"})
        return refund.to_json()

    return execute


def list_refunds(store: Store, data: dict[str, Any]) -> dict[str, Any]:
    p = Params(data, {"payment_intent", "charge", "limit", "starting_after", "ending_before", "created"})
    limit = p.integer("limit") or 10
    if limit > 100:
        raise invalid_integer("limit")
    pi_id, ch_id = p.string("payment_intent"), p.string("charge")
    after, before = p.string("starting_after"), p.string("ending_before")
    # Newest first, like Stripe.
    items = sorted(store.refunds.values(), key=lambda r: r.seq, reverse=True)
    items = [r for r in items if (not pi_id or r.payment_intent == pi_id) and (not ch_id or r.charge == ch_id)]
    ids = [r.id for r in items]
    for cursor, param in ((after, "starting_after"), (before, "ending_before")):
        if cursor and cursor not in store.refunds:
            raise no_such("refund", cursor, param)
    if after:
        items = items[ids.index(after) + 1 :] if after in ids else []
        page, has_more = items[:limit], len(items) > limit
    elif before:
        items = items[: ids.index(before)] if before in ids else []
        page, has_more = items[-limit:], len(items) > limit
    else:
        page, has_more = items[:limit], len(items) > limit
    return {"object": "list", "data": [r.to_json() for r in page], "has_more": has_more, "url": "/v1/refunds"}
