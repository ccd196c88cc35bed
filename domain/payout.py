"""What may still be paid out against a payment: money out is bounded by money received.

Before Returnflow refunds a payment or issues store credit for it (a return's
refund, the store credit that replaces a refused refund, an exchange's
difference paid back), the payment must be one the merchant owns, that
succeeded, in the order's currency, and the payout must fit under what it
captured. The rule, stated once:

- Ownership (with the one Stripe key all merchants share today): the
  PaymentIntent's (or Charge's) `metadata["merchant_id"]` is the merchant's id.
  Missing metadata is not ownership. Per-merchant Stripe credentials will make
  the account itself the owner; the check stays the same shape.
- The payment exists, its status is `succeeded`, and its currency is the
  order's (compared upper case).
- The bound is per payment (so per order, and across orders that share one
  payment, however each names it: a PaymentIntent `pi_…` and its Charge `ch_…`
  are the same money; `PaymentFacts.aliases` lists every name, `key` is the
  canonical one, the PaymentIntent's id when there is one):

      refunds on the payment (reserved, pending, requires_action, succeeded:
        Returnflow's, and anyone else's that Stripe shows)
    + store credit issued for the returns of the payment's orders (at its money
      value, below)
    + what a dispute may take back (a disputed charge: all of it not refunded)
    + the new payout (at its money value)
    <= captured (`amount_received`)

  A refund that failed or was canceled or refused no longer counts; its money
  can be paid again (as store credit, say). A payout of exactly the headroom is
  allowed; one minor unit more is not.
- Money value: a refund, and store credit without a bonus, count at their
  amount. Store credit issued for a store-credit return under a policy with a
  `store_credit_bonus_percent` of p counts at its amount x 100 / (100 + p),
  rounded up: the bonus is the merchant's gift, not money paid back. So a whole
  order returned for bonus credit fits under its capture (the quote's per-line
  bonus is rounded down, never above p %), while any other credit counts in
  full. (With several lines the per-line rounding can make that money value up
  to lines - 1 minor units lower than the refund it replaced; that is the only
  slack, and only for bonus credit.)
- A disputed charge (a chargeback, open or lost) counts as paid back: the
  shopper's bank pulls the money from the merchant, so nothing more is paid
  against it, neither a refund (Stripe refuses it, `charge_disputed`) nor the
  store credit that would replace that refund. Such a refusal has code
  `charge_disputed` and goes to ops like any payout above the bound.
- What an exchange charged the shopper (its own PaymentIntent, for the
  replacement) does not add to the capture.
- Refunds made outside Returnflow (in the Stripe dashboard, say) are those
  Stripe lists on the payment whose `metadata["return_id"]` is not a return
  Returnflow has recorded a counting refund for; they count in full.

Pure: no I/O. The payments activity reads the payment and the ledger, and checks
and records a payout in one transaction under a lock (activities/payments.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.money import money_text

__all__ = [
    "COUNTING_REFUND_STATUSES",
    "OWNER_METADATA_KEY",
    "PaymentFacts",
    "PaymentProblem",
    "Payout",
    "PayoutRefusal",
    "ProviderRefund",
    "bonus_credit_money",
    "check_payout",
    "headroom",
    "paid_out",
    "payment_problem",
    "refunded_elsewhere",
]

OWNER_METADATA_KEY = "merchant_id"
# A refund in one of these states holds its money (Stripe's rule for a charge's refundable amount);
# `reserved` is ours: recorded before Stripe is asked, so two payouts racing both see it.
COUNTING_REFUND_STATUSES = frozenset({"reserved", "pending", "requires_action", "succeeded"})

_FROZEN = ConfigDict(frozen=True)


class ProviderRefund(BaseModel):
    """A refund as Stripe lists it on the payment."""

    model_config = _FROZEN

    id: str
    amount: int = Field(ge=0)
    status: str
    return_id: str | None = None  # metadata["return_id"]: Returnflow's refunds carry it


class PaymentFacts(BaseModel):
    """A Stripe PaymentIntent or Charge, as far as paying out against it goes."""

    model_config = _FROZEN

    reference: str
    status: str
    currency: str  # upper case
    captured: int = Field(ge=0)  # amount_received (a Charge: amount_captured)
    owner: str | None = None  # metadata["merchant_id"]
    refunds: tuple[ProviderRefund, ...] = ()  # every refund on it, when read for a payout
    payment_intent: str | None = None  # the PaymentIntent's id (a Charge's `payment_intent`)
    charge: str | None = None  # the charge holding the money (a PaymentIntent's `latest_charge`)
    disputed: int = Field(default=0, ge=0)  # what a dispute may take back, when read for a payout

    @property
    def key(self) -> str:
        """The one name of this money, however an order names it: the PaymentIntent's id, else the Charge's."""
        return self.payment_intent or self.charge or self.reference

    @property
    def aliases(self) -> tuple[str, ...]:
        """Every reference naming this money (an order may hold any of them)."""
        return tuple(dict.fromkeys(r for r in (self.reference, self.payment_intent, self.charge) if r))


PaymentProblemCode = Literal["not_found", "not_owned", "not_succeeded", "currency_mismatch"]


class PaymentProblem(BaseModel):
    model_config = _FROZEN

    code: PaymentProblemCode
    message: str


def payment_problem(payment: PaymentFacts | None, *, merchant_id: str, currency: str) -> PaymentProblem | None:
    """Why nothing may be paid against `payment` for this merchant's order in `currency`; None: nothing.

    Ownership is checked first, so a payment that is not the merchant's says nothing about its state.
    """
    if payment is None:
        return PaymentProblem(code="not_found", message="no such Stripe PaymentIntent or Charge")
    if payment.owner != merchant_id:
        return PaymentProblem(code="not_owned", message=f"payment {payment.reference} does not belong to this merchant")
    if payment.status != "succeeded":
        return PaymentProblem(
            code="not_succeeded", message=f"payment {payment.reference} is {payment.status}, not succeeded"
        )
    if payment.currency.upper() != currency.upper():
        return PaymentProblem(
            code="currency_mismatch",
            message=f"payment {payment.reference} is in {payment.currency.upper()}, the order in {currency.upper()}",
        )
    return None


class Payout(BaseModel):
    """Money Returnflow paid (or is paying) back for one return: a refund, or store credit."""

    model_config = _FROZEN

    key: str  # the idempotency key: one refund and one credit per return at most
    return_id: str
    kind: Literal["refund", "store_credit"]
    amount: int = Field(ge=0)
    money: int = Field(ge=0, description="what it counts against the capture; see bonus_credit_money")

    @model_validator(mode="after")
    def _money_within_amount(self) -> Payout:
        if self.money > self.amount:
            raise ValueError("a payout's money value cannot exceed its amount")
        return self

    @classmethod
    def refund(cls, key: str, return_id: str, amount: int) -> Payout:
        return cls(key=key, return_id=return_id, kind="refund", amount=amount, money=amount)

    @classmethod
    def credit(cls, key: str, return_id: str, amount: int, bonus_percent: int = 0) -> Payout:
        money = bonus_credit_money(amount, bonus_percent)
        return cls(key=key, return_id=return_id, kind="store_credit", amount=amount, money=money)


def bonus_credit_money(amount: int, bonus_percent: int) -> int:
    """The money value of store credit given with a `bonus_percent` bonus: amount x 100 / (100 + p), rounded up."""
    if not 0 <= bonus_percent <= 100:
        raise ValueError("bonus_percent must be between 0 and 100")
    if amount < 0:
        raise ValueError("amount must be >= 0")
    return -(-amount * 100 // (100 + bonus_percent))


def refunded_elsewhere(payment: PaymentFacts, recorded: Iterable[Payout]) -> int:
    """Refunds on the payment Returnflow has no counting record of (made outside it), in full."""
    ours = {p.return_id for p in recorded if p.kind == "refund"}
    return sum(r.amount for r in payment.refunds if r.status in COUNTING_REFUND_STATUSES and r.return_id not in ours)


def paid_out(payment: PaymentFacts, recorded: Iterable[Payout]) -> int:
    """Money already out against the payment: `recorded` (Returnflow's counting payouts), refunds elsewhere
    and what a dispute may take back."""
    recorded = list(recorded)
    return sum(p.money for p in recorded) + refunded_elsewhere(payment, recorded) + payment.disputed


def headroom(payment: PaymentFacts, recorded: Iterable[Payout]) -> int:
    """What may still be paid out against the payment (negative when more is already out than came in)."""
    return payment.captured - paid_out(payment, recorded)


RefusalCode = Literal[
    "not_found", "not_owned", "not_succeeded", "currency_mismatch", "exceeds_capture", "charge_disputed"
]


class PayoutRefusal(BaseModel):
    """Why a payout may not be made; `code` not_owned is a tenancy violation, the rest the money bound."""

    model_config = _FROZEN

    code: RefusalCode
    message: str
    captured: int = 0
    already_paid: int = 0
    requested: int = 0

    @property
    def tenancy(self) -> bool:
        return self.code == "not_owned"


def check_payout(
    payment: PaymentFacts | None, *, merchant_id: str, currency: str, recorded: Iterable[Payout], payout: Payout
) -> PayoutRefusal | None:
    """None when `payout` may be made on top of the `recorded` (counting) payouts; else why not.

    A recorded payout with the payout's own key is left out (the caller decides what a retry is).
    """
    problem = payment_problem(payment, merchant_id=merchant_id, currency=currency)
    if problem is not None:
        return PayoutRefusal(code=problem.code, message=problem.message, requested=payout.money)
    assert payment is not None
    recorded = [p for p in recorded if p.key != payout.key]
    already = paid_out(payment, recorded)
    if payout.money > payment.captured - already:
        disputed = f", {money_text(payment.disputed, currency)} of it disputed" if payment.disputed else ""
        return PayoutRefusal(
            code="charge_disputed" if payment.disputed else "exceeds_capture",
            message=(
                f"paying {money_text(payout.money, currency)} would exceed what payment {payment.reference} captured: "
                f"{money_text(payment.captured, currency)} captured, {money_text(max(already, 0), currency)} already paid back"
                f"{disputed}"
            ),
            captured=payment.captured,
            already_paid=already,
            requested=payout.money,
        )
    return None
