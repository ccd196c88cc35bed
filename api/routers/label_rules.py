"""A merchant's return-label rules: allowed carriers and services, a budget, and how a rate is chosen.

Stored whole in `merchants.label_rules` (validated by domain.labels.LabelRules); unset, every
label is bought at the cheapest rate quoted. Returns created from now on use the saved rules.
"""

from __future__ import annotations

from fastapi import APIRouter
from sqlmodel import Session

from api.deps import DbDep, MerchantKey
from api.errors import ApiError
from db.tables import Merchant
from domain.labels import LabelRules

router = APIRouter(prefix="/v1/label-rules", tags=["merchant: label rules"])


def _merchant(session: Session, merchant_id: str) -> Merchant:
    merchant = session.get(Merchant, merchant_id)
    if merchant is None:  # a key outlived its merchant
        raise ApiError(404, "merchant_not_found", "this key's merchant no longer exists")
    return merchant


@router.put("", response_model=LabelRules)
async def put_label_rules(body: LabelRules, principal: MerchantKey, db: DbDep) -> LabelRules:
    """Replace the rules. Labels bought from now on follow them; a return whose rules no quoted
    rate satisfies is rejected with the reason (say, the cheapest rate is over the budget)."""

    def save(session: Session) -> LabelRules:
        merchant = _merchant(session, principal.merchant_id)
        merchant.label_rules = body.model_dump(mode="json")
        session.add(merchant)
        return body

    return await db.run(save)


@router.get("", response_model=LabelRules)
async def get_label_rules(principal: MerchantKey, db: DbDep) -> LabelRules:
    """The rules in force (until you save your own: any carrier and service, no budget, the cheapest)."""

    def load(session: Session) -> LabelRules:
        saved = _merchant(session, principal.merchant_id).label_rules
        return LabelRules.model_validate(saved) if saved else LabelRules()

    return await db.run(load)
