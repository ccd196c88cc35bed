"""`GET/PUT /v1/merchant`: what a shopper sees of the merchant (name shown, support address, logo, colour,
language, time zone, the reasons it may pick). The rules on each field are domain.merchant's."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import DbDep, Owner, Reader
from api.errors import ApiError
from api.schemas.merchant import MerchantSettingsOut
from db.merchants import get_merchant, save_shopper_settings
from db.tables import Merchant
from domain.merchant import DEFAULT_LOCALE, DEFAULT_TIMEZONE, ShopperSettings
from domain.returns import ReturnReason

router = APIRouter(prefix="/v1/merchant", tags=["merchant: settings"])


def _gone() -> ApiError:  # a key outlived its merchant
    return ApiError(404, "merchant_not_found", "this key's merchant no longer exists")


def _settings(merchant: Merchant) -> MerchantSettingsOut:
    return MerchantSettingsOut(
        id=merchant.id,
        name=merchant.name,
        slug=merchant.slug,
        display_name=merchant.display_name,
        support_email=merchant.support_email,
        logo_url=merchant.logo_url,
        brand_color=merchant.brand_color,
        locale=merchant.locale or DEFAULT_LOCALE,
        timezone=merchant.timezone or DEFAULT_TIMEZONE,
        return_reasons=merchant.return_reasons or list(ReturnReason),
    )


@router.get("", response_model=MerchantSettingsOut)
async def get_merchant_settings(principal: Reader, db: DbDep) -> MerchantSettingsOut:
    """The settings in force, defaults filled in."""
    merchant = await db.run(get_merchant, principal.merchant_id)
    if merchant is None:
        raise _gone()
    return _settings(merchant)


@router.put("", response_model=MerchantSettingsOut)
async def put_merchant_settings(body: ShopperSettings, principal: Owner, db: DbDep) -> MerchantSettingsOut:
    """Replace the settings whole: a field left out goes back to its default. Shoppers see them from now on."""
    merchant = await db.run(save_shopper_settings, principal.merchant_id, body.model_dump(mode="json"))
    if merchant is None:
        raise _gone()
    return _settings(merchant)
