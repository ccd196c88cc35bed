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

    `with_refunds`: also every refund on it (for the payout bound). Any other Stripe error
    (unreachable, 5xx, 429, 401) is raised as the SDK's exception.
    """
    try:
        if reference.startswith("pi_"):
            pi = client.v1.payment_intents.retrieve(reference)
            charge_id = pi.latest_charge if isinstance(pi.latest_charge, str) else getattr(pi.latest_charge, "id", None)
            facts = PaymentFacts(
                reference=pi.id,
                status=pi.status,
                currency=pi.currency.upper(),
                captured=pi.amount_received or 0,
                owner=owner_of(pi),
            )
        elif reference.startswith("ch_"):
            ch = client.v1.charges.retrieve(reference)
            charge_id = ch.id
            succeeded = ch.status == "succeeded" and ch.captured
            facts = PaymentFacts(
                reference=ch.id,
                status="succeeded" if succeeded else ("requires_capture" if ch.status == "succeeded" else ch.status),
                currency=ch.currency.upper(),
                captured=ch.amount_captured or 0,
                owner=owner_of(ch),
            )
        else:
            return None
    except stripe.InvalidRequestError as err:
        if err.http_status in (400, 404):  # no such object (or an id Stripe cannot even parse)
            return None
        raise
    if with_refunds and charge_id:
        refunds = client.v1.refunds.list(params={"charge": charge_id, "limit": 100})
        facts = facts.model_copy(
            update={
                "refunds": tuple(
                    ProviderRefund(id=r.id, amount=r.amount, status=r.status, return_id=_metadata(r).get("return_id"))
                    for r in refunds.auto_paging_iter()
                )
            }
        )
    return facts


def _metadata(obj) -> dict[str, str]:
    metadata = getattr(obj, "metadata", None)
    return {k: str(v) for k, v in metadata.to_dict().items()} if metadata else {}


def owner_of(obj) -> str | None:
    """The merchant a Stripe PaymentIntent or Charge belongs to: its `metadata["merchant_id"]`."""
    return _metadata(obj).get(OWNER_METADATA_KEY)
