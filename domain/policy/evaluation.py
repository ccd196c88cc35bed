"""The quote a policy gives for a return (`evaluate`): each item quoted by `item.quote_item`, then the
return as a whole, as the named steps of the package docstring: which resolution is offered, return
shipping, the bonus and instant refund, totals, review.

Pure: no I/O and no clock. The evaluation time is an argument, so the API's quote and the workflow's
decision (replayed from its history) are the same for the same input.
"""

from __future__ import annotations

from datetime import datetime

from domain.clock import require_aware
from domain.money import Money
from domain.policy import review_wording
from domain.policy.document import ReturnPolicy
from domain.policy.item import (
    Evaluation,
    base_window_days,
    quote_item,
    transit_allowance_days,
    unique,
    waived_because,
)
from domain.policy.quote import ItemQuote, Quote, ReturnContext
from domain.policy.wording import RECORDED, Words
from domain.returns import Resolution, ReturnLine

__all__ = ["evaluate"]

Quoted = list[tuple[ItemQuote, ReturnLine]]


def _evaluation(
    policy: ReturnPolicy, ctx: ReturnContext, resolution: Resolution, at: datetime, words: Words
) -> Evaluation:
    """What every item shares: the market, the tier, and whether flat amounts are in the order's currency."""
    require_aware(at, "the evaluation time")
    require_aware(ctx.order.placed_at, "order.placed_at")
    if ctx.order.delivered_at is not None:
        require_aware(ctx.order.delivered_at, "order.delivered_at")
    currency = Money.zero(ctx.order.currency).currency
    market = policy.market_for(ctx.destination_country)
    tier = policy.tier_named(ctx.customer_tier)
    amounts_currency = policy.amounts_currency(market)
    if amounts_currency is None and not ctx.strict_flat_amounts:
        amounts_currency = currency  # the rule a return created before policies named a currency keeps
    return Evaluation(
        policy, ctx, market, tier, resolution, at, currency, amounts_currency == currency, amounts_currency, words
    )


def _window_notes(env: Evaluation) -> list[str]:
    """The window in general: the market's days, where it starts without a delivery date, the tier's extra days."""
    notes = [env.words.window_days(env.market, base_window_days(env.policy, env.market))]
    if env.ctx.order.delivered_at is None:
        notes.append(env.words.no_delivery_date(transit_allowance_days(env.policy, env.market)))
    if env.tier is not None and env.tier.extra_window_days:
        notes.append(env.words.tier_extra_days(env.tier))
    return notes


def _ineligible_because(env: Evaluation, items: list[ItemQuote], lines: list[ReturnLine]) -> list[str]:
    """Why the return is not eligible: no items, an item's own reasons, or the resolution not offered for it."""
    reasons: list[str] = [] if lines else [env.words.no_items()]
    for item, line in zip(items, lines, strict=True):
        reasons.extend(item.reasons)
        if item.eligible and env.resolution not in item.allowed_resolutions:
            reasons.append(env.words.resolution_not_offered(env.resolution, line.sku, item.allowed_resolutions))
    return unique(reasons)


def _return_shipping_fee(env: Evaluation, shipped: Quoted) -> tuple[int, str | None]:
    """Charged once per return, only if something ships; waived when any shipped item's reason waives it.
    A percent fee is of the shipped items' paid value. Returns the amount and what the shopper is told."""
    fee = env.policy.return_shipping_fee
    if fee is None or not shipped:
        return 0, None
    if (why := waived_because(fee, [l.reason for _, l in shipped], env.resolution, env.tier)) is not None:
        return 0, env.words.free_return_shipping(why)
    if fee.kind == "percent":
        shipped_value = sum(l.unit_price * l.quantity for _, l in shipped)
        amount = Money(amount=shipped_value, currency=env.currency).percent(fee.percent).amount
        return amount, env.words.percent_return_shipping(fee.percent)
    if env.amounts_apply:
        return fee.amount, env.words.flat_return_shipping(fee.amount, env.currency)
    return 0, env.words.shipping_fee_not_charged(env.amounts_currency, env.currency) if fee.amount else None


def _review_reasons(env: Evaluation, lines: list[ReturnLine]) -> list[str]:
    """Why a person looks at the return first: flat amounts not applied, a large order, a reviewed reason."""
    policy, ctx, market, currency = env.policy, env.ctx, env.market, env.currency
    review: list[str] = []
    if not env.amounts_apply and market is not None:
        review.append(review_wording.market_in_other_currency(currency, market))
    elif not env.amounts_apply and policy.flat_amounts():
        review.append(
            review_wording.flat_amounts_in_other_currency(currency, ctx.destination_country, env.amounts_currency)
        )
    threshold = policy.review.order_value_above
    if threshold is not None and env.amounts_apply and ctx.order_value > threshold:
        review.append(review_wording.order_value_above(ctx.order_value, threshold, currency))
    for reason in unique([l.reason for l in lines if l.reason in policy.review.reasons]):
        review.append(review_wording.reviewed_reason(reason))
    return review


def evaluate(
    policy: ReturnPolicy,
    ctx: ReturnContext,
    lines: list[ReturnLine],
    resolution: Resolution,
    at: datetime,
    *,
    words: Words = RECORDED,
) -> Quote:
    """The policy's quote for returning `lines` for `resolution`, as of `at` (timezone-aware). Deterministic.

    `words`: the language of the shopper's sentences (`reasons`, `rules_fired`); the default is the English
    a workflow records, unchanged byte for byte. The portal passes `Words(gettext, language, timezone)`.
    Only the wording differs between languages: every amount and decision is the same."""
    env = _evaluation(policy, ctx, resolution, at, words)
    items = [quote_item(env, line) for line in lines]
    reasons = _ineligible_because(env, items, lines)
    eligible = not reasons

    eligible_items = [(q, l) for q, l in zip(items, lines, strict=True) if q.eligible]
    keep_items = bool(eligible_items) and all(q.keep_item for q, _ in eligible_items)
    shipping, shipping_note = _return_shipping_fee(env, [(q, l) for q, l in eligible_items if not q.keep_item])
    instant = bool(env.tier and env.tier.instant_refund)

    notes = _window_notes(env) + [sentence for item in items for sentence in item.rules_fired]
    if shipping_note:
        notes.append(shipping_note)
    if policy.store_credit_bonus_percent and any(
        Resolution.STORE_CREDIT in q.allowed_resolutions for q, _ in eligible_items
    ):
        notes.append(env.words.store_credit_bonus(policy.store_credit_bonus_percent))
    if instant and env.tier is not None:
        notes.append(env.words.instant_refund(env.tier))

    refund_total = max(sum(q.refund_amount.amount for q, _ in eligible_items) - shipping, 0)
    credit_total = max(sum(q.store_credit_amount.amount for q, _ in eligible_items) - shipping, 0)
    settlement = (credit_total if resolution == Resolution.STORE_CREDIT else refund_total) if eligible else 0
    review = _review_reasons(env, lines)

    def money(amount: int) -> Money:
        return Money(amount=amount, currency=env.currency)

    return Quote(
        items=items,
        eligible=eligible,
        reasons=reasons,
        resolution=resolution,
        needs_review=bool(review),
        review_reasons=review,
        return_shipping_fee=money(shipping),
        refund_total=money(refund_total),
        store_credit_total=money(credit_total),
        settlement_amount=money(settlement),
        keep_items=keep_items,
        instant_refund=instant,
        market=env.market.code if env.market else None,
        rules_fired=unique(notes),
    )
