"""The return policy: may these lines be returned at this time?

The Spine's first rule set is the return window: N days from delivery, or from
placement when the order was never marked delivered. Pure: the evaluation time
is an argument, so the API and the workflow reach the same decision.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from domain.returns import OrderFacts, ReturnLine

DEFAULT_WINDOW_DAYS = 30


class ReturnPolicy(BaseModel):
    model_config = ConfigDict(frozen=True)

    window_days: int = Field(default=DEFAULT_WINDOW_DAYS, ge=0, le=3650)


class PolicyDecision(BaseModel):
    model_config = ConfigDict(frozen=True)

    approved: bool
    reasons: list[str] = Field(default_factory=list)
    window_ends_at: datetime


def window_end(order: OrderFacts, policy: ReturnPolicy) -> datetime:
    start = order.delivered_at or order.placed_at
    return start + timedelta(days=policy.window_days)


def evaluate(
    order: OrderFacts, lines: list[ReturnLine], policy: ReturnPolicy, at: datetime
) -> PolicyDecision:
    if at.tzinfo is None:
        raise ValueError("evaluation time must be timezone-aware")
    ends = window_end(order, policy)
    reasons: list[str] = []
    if not lines:
        reasons.append("the return has no items")
    if at > ends:
        basis = "delivery" if order.delivered_at else "purchase"
        reasons.append(
            f"the {policy.window_days}-day return window from {basis} ended on {ends.date().isoformat()}"
        )
    return PolicyDecision(approved=not reasons, reasons=reasons, window_ends_at=ends)
