"""`GET/PUT /v1/merchant`: what a shopper sees of the merchant (the rules are domain.merchant.ShopperSettings)."""

from __future__ import annotations

from domain.merchant import ShopperSettings


class MerchantSettingsOut(ShopperSettings):
    """The settings in force, defaults filled in; `id`, `name` and `slug` are the operator's, not editable here."""

    id: str
    name: str
    slug: str | None
