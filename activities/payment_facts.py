"""Reading a payment from Stripe (through the real `stripe` SDK) as domain.payout.PaymentFacts.

One way for the API (checking an order's `payment.reference` when it is registered) and the
payments activities (checking it again before paying). Takes settings by shape, like
activities/easypost_client.py: activities never import `settings`.
"""

from __future__ import annotations

from typing import Protocol

import stripe
from pydantic import SecretStr

from domain.payout import OWNER_METADATA_KEY, PaymentFacts, ProviderRefund

TIMEOUT_SECONDS = 20


class StripeSettings(Protocol):
    stripe_api_key: SecretStr
    stripe_base_url: str


def stripe_client(settings: StripeSettings, timeout: float = TIMEOUT_SECONDS) -> stripe.StripeClient:
    return stripe.StripeClient(
        settings.stripe_api_key.get_secret_value(),
        base_addresses={"api": settings.stripe_base_url},
        max_network_retries=0,  # the callers retry (Temporal) or answer 503
        http_client=stripe.RequestsClient(timeout=timeout),
    )


def read_payment(client: stripe.StripeClient, reference: str, *, with_refunds: bool = False) -> PaymentFacts | None:
    """The PaymentIntent (`pi_…`) or Charge (`ch_…`) `reference`; None when Stripe does not know it.

    Either way the facts name both (`payment_intent`, `charge`): one payment, one bound, however an
    order names it. `with_refunds` (reading for a payout): also every refund on it and what a
    dispute on its charge may take back. Any other Stripe error (unreachable, 5xx, 429, 401) is
    raised as the SDK's exception.
    """
    charge = None
    try:
        if reference.startswith("pi_"):
            pi = client.v1.payment_intents.retrieve(reference)
            facts = PaymentFacts(
                reference=pi.id,
                status=pi.status,
                currency=pi.currency.upper(),
                captured=pi.amount_received or 0,
                owner=owner_of(pi),
                payment_intent=pi.id,
                charge=_id(pi.latest_charge),
            )
        elif reference.startswith("ch_"):
            charge = ch = client.v1.charges.retrieve(reference)
            succeeded = ch.status == "succeeded" and ch.captured
            facts = PaymentFacts(
                reference=ch.id,
                status="succeeded" if succeeded else ("requires_capture" if ch.status == "succeeded" else ch.status),
                currency=ch.currency.upper(),
                captured=ch.amount_captured or 0,
                owner=owner_of(ch),
                payment_intent=_id(getattr(ch, "payment_intent", None)),
                charge=ch.id,
            )
        else:
            return None
    except stripe.InvalidRequestError as err:
        if err.http_status in (400, 404):  # no such object (or an id Stripe cannot even parse)
            return None
        raise
    if with_refunds and facts.charge:
        charge = charge or client.v1.charges.retrieve(facts.charge)
        refunds = client.v1.refunds.list(params={"charge": facts.charge, "limit": 100})
        facts = facts.model_copy(
            update={
                "refunds": tuple(
                    ProviderRefund(id=r.id, amount=r.amount, status=r.status, return_id=_metadata(r).get("return_id"))
                    for r in refunds.auto_paging_iter()
                ),
                "disputed": disputed_amount(charge),
            }
        )
    return facts


def disputed_amount(charge) -> int:
    """What a dispute on `charge` may take back: everything captured and not refunded, once it is disputed.

    (Stripe's Charge says only that it is disputed; a dispute's own amount is at most that.)"""
    if not getattr(charge, "disputed", False):
        return 0
    return max((charge.amount_captured or 0) - (getattr(charge, "amount_refunded", 0) or 0), 0)


def _id(obj) -> str | None:
    """An expandable Stripe field's id (a string, an object, or nothing)."""
    return obj if isinstance(obj, str) else getattr(obj, "id", None)


def _metadata(obj) -> dict[str, str]:
    metadata = getattr(obj, "metadata", None)
    return {k: str(v) for k, v in metadata.to_dict().items()} if metadata else {}


def owner_of(obj) -> str | None:
    """The merchant a Stripe PaymentIntent or Charge belongs to: its `metadata["merchant_id"]`."""
    return _metadata(obj).get(OWNER_METADATA_KEY)
