"""The merchant's EasyPost or Stripe account for a call the API makes: its own where it set a key
(PUT /v1/merchant/credentials), else the platform's (activities/merchant_accounts.py). Read per request,
so a key set or cleared counts from the next request; the key never leaves the client built with it."""

from __future__ import annotations

from activities.easypost_client import EasyPostSettings
from activities.merchant_accounts import merchant_easypost, merchant_stripe
from activities.payment_facts import StripeSettings
from api.deps import Db
from settings import Settings


async def easypost_account_of(db: Db, settings: Settings, merchant_id: str) -> EasyPostSettings:
    return await db.run(merchant_easypost, settings, settings.stored_credentials_key(), merchant_id)


async def stripe_account_of(db: Db, settings: Settings, merchant_id: str) -> StripeSettings:
    return await db.run(merchant_stripe, settings, settings.stored_credentials_key(), merchant_id)
