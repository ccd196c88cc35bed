"""A merchant's return-label rules: allowed carriers and services, a budget, and how a rate is chosen.

Stored whole in `merchants.label_rules` (validated by domain.labels.LabelRules); unset, every
label is bought at the cheapest rate quoted. Returns created from now on use the saved rules.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import DbDep, Owner, Reader
from api.errors import ApiError
from db.merchants import get_merchant, save_label_rules
from domain.labels import LabelRules

router = APIRouter(prefix="/v1/label-rules", tags=["merchant: label rules"])


def _gone() -> ApiError:  # a key outlived its merchant
    return ApiError(404, "merchant_not_found", "this key's merchant no longer exists")


@router.put("", response_model=LabelRules)
async def put_label_rules(body: LabelRules, principal: Owner, db: DbDep) -> LabelRules:
    """Replace the rules. Labels bought from now on follow them; a return whose rules no quoted
    rate satisfies is rejected with the reason (say, the cheapest rate is over the budget)."""
    if not await db.run(save_label_rules, principal.merchant_id, body.model_dump(mode="json")):
        raise _gone()
    return body


@router.get("", response_model=LabelRules)
async def get_label_rules(principal: Reader, db: DbDep) -> LabelRules:
    """The rules in force (until you save your own: any carrier and service, no budget, the cheapest)."""
    merchant = await db.run(get_merchant, principal.merchant_id)
    if merchant is None:
        raise _gone()
    return LabelRules.model_validate(merchant.label_rules) if merchant.label_rules else LabelRules()
