"""Whose EasyPost and Stripe account a call uses: the merchant's own where it set a key
(PUT /v1/merchant/credentials, stored encrypted by db/credentials.py), else the platform's.

An account here is the settings shape easypost_client.py and payment_facts.py take (a key and the
configured base URL), so every client is still built in one place. Workflows carry merchant ids only;
the key is read here, by merchant id, as the client is built, and never logged or put in an error.
"""

from __future__ import annotations

from dataclasses import dataclass

import easypost
import stripe
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlmodel import Session

from activities.easypost_client import EasyPostSettings, easypost_client
from activities.payment_facts import StripeSettings, stripe_client
from db.credentials import OwnKeys, own_keys
from db.session import session_scope


@dataclass(frozen=True)
class EasyPostAccount:
    easypost_api_key: SecretStr
    easypost_base_url: str


@dataclass(frozen=True)
class StripeAccount:
    stripe_api_key: SecretStr
    stripe_base_url: str


def is_own_account(account: object) -> bool:
    """Whether `account` is a merchant's own (so a refused key is the merchant's to fix, not an outage)."""
    return isinstance(account, EasyPostAccount | StripeAccount)


def easypost_account(platform: EasyPostSettings, own: OwnKeys) -> EasyPostSettings:
    if own.easypost_api_key is None:
        return platform
    return EasyPostAccount(own.easypost_api_key, platform.easypost_base_url)


def stripe_account(platform: StripeSettings, own: OwnKeys) -> StripeSettings:
    if own.stripe_secret_key is None:
        return platform
    return StripeAccount(own.stripe_secret_key, platform.stripe_base_url)


def merchant_easypost(
    session: Session, platform: EasyPostSettings, key: SecretStr, merchant_id: str
) -> EasyPostSettings:
    """The API's way (in a Db.run): the merchant's EasyPost account."""
    return easypost_account(platform, own_keys(session, merchant_id, key))


def merchant_stripe(session: Session, platform: StripeSettings, key: SecretStr, merchant_id: str) -> StripeSettings:
    """The API's way (in a Db.run): the merchant's Stripe account."""
    return stripe_account(platform, own_keys(session, merchant_id, key))


class MerchantClients:
    """The worker's: a client on the merchant's own account, or the platform's shared one when it has none."""

    def __init__(
        self,
        engine: Engine,
        key: SecretStr,
        platform_easypost: EasyPostSettings,
        platform_stripe: StripeSettings,
        shared_stripe: stripe.StripeClient,
    ) -> None:
        self._engine = engine
        self._key = key
        self._easypost = platform_easypost
        self._stripe = platform_stripe
        self._shared_stripe = shared_stripe

    def _own(self, merchant_id: str) -> OwnKeys:
        with session_scope(self._engine) as session:
            return own_keys(session, merchant_id, self._key)

    def easypost(self, merchant_id: str) -> easypost.EasyPostClient:
        return easypost_client(easypost_account(self._easypost, self._own(merchant_id)))

    def stripe(self, merchant_id: str) -> stripe.StripeClient:
        own = self._own(merchant_id)
        return (
            self._shared_stripe if own.stripe_secret_key is None else stripe_client(stripe_account(self._stripe, own))
        )
