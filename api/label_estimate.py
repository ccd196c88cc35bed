"""The label cost estimate a return's policy context carries (domain/label_estimate.py states the rule)."""

from __future__ import annotations

from sqlmodel import Session

from db.returns import recent_labels
from db.tables import Order
from domain.label_estimate import RECENT_LABELS, label_cost_estimate
from domain.money import Money
from domain.policy import ReturnPolicy


def recent_label_costs(session: Session, merchant_id: str) -> list[Money]:
    """What the merchant's latest returns with a label paid for it (every parcel's label together), newest first."""
    out = []
    for label, parcels in recent_labels(session, merchant_id, RECENT_LABELS):
        rates = [p["rate"] for p in parcels or [] if p and p.get("rate")] or (
            [label["rate"]] if label and label.get("rate") else []
        )
        if rates and len({r["currency"] for r in rates}) == 1:
            out.append(Money(amount=sum(r["amount"] for r in rates), currency=rates[0]["currency"]))
    return out


async def estimate_for(db, merchant_id: str, policy: ReturnPolicy, order: Order) -> int | None:
    """The estimate for a return of `order`; None (and no query) when the policy does not use one."""
    if not policy.keep_item_below_label_cost:
        return None
    recent = await db.run(recent_label_costs, merchant_id)
    return label_cost_estimate(policy, order.customer["address"]["country"], order.currency, recent)
