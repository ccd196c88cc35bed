"""One item's quote (`quote_item`), as the named steps of the package docstring, in its order:
final sale, window, resolutions, inspection and photos, restocking fee, what the shopper gets,
keep-the-item. `evaluation.evaluate` then quotes the return as a whole.

The sentences are `wording`'s (`env.words`: the shopper's language, or the recorded English); the
order in which the steps run is the order their sentences appear in the quote, so it is part of the
result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.money import Money
from domain.policy.document import ReturnPolicy
from domain.policy.parts import (
    ALL_RESOLUTIONS,
    EU_COUNTRIES,
    EU_STATUTORY_WITHDRAWAL_DAYS,
    Fee,
    LoyaltyTier,
    Market,
    ProductRule,
)
from domain.policy.quote import ItemQuote, ReturnContext
from domain.policy.wording import RECORDED, Waiver, Words
from domain.returns import MERCHANT_FAULT_REASONS, Resolution, ReturnLine, ReturnReason

__all__ = ["Evaluation", "base_window_days", "quote_item", "transit_allowance_days", "unique", "waived_because"]

Matched = list[tuple[int, ProductRule]]  # the policy's rules that match a line, with their index


@dataclass(frozen=True)
class Evaluation:
    """What every line of one evaluation shares."""

    policy: ReturnPolicy
    ctx: ReturnContext
    market: Market | None
    tier: LoyaltyTier | None
    resolution: Resolution
    at: datetime
    currency: str
    amounts_apply: bool  # flat policy amounts are in the order's currency
    amounts_currency: str | None  # what they are in here; None: the policy does not say
    words: Words = RECORDED  # the language of the shopper's sentences


@dataclass
class _Trail:
    """What fired while quoting one line: sentences per matching rule (by index), and notes no rule owns."""

    effects: dict[int, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def fired(self, index: int, sentence: str) -> None:
        self.effects.setdefault(index, []).append(sentence)

    def note(self, sentence: str) -> None:
        self.notes.append(sentence)

    def rules_fired(self, matched: Matched) -> list[str]:
        """A rule that fired says its description, or else what it did; then the notes."""
        out: list[str] = []
        for i, rule in matched:
            if i in self.effects:
                out.extend([rule.description] if rule.description else self.effects[i])
        return unique(out + self.notes)


def unique(sentences: list[str]) -> list[str]:
    return list(dict.fromkeys(sentences))


def _winner(matched: Matched, name: str) -> tuple[int, ProductRule] | None:
    """The matching rule that sets `name` with the highest priority (None lowest; then list order)."""
    setting = [(i, r) for i, r in matched if getattr(r, name) is not None]
    if not setting:
        return None
    return max(setting, key=lambda ir: (ir[1].priority is not None, ir[1].priority or 0, -ir[0]))


def waived_because(
    fee: Fee, reasons: list[ReturnReason], resolution: Resolution, tier: LoyaltyTier | None
) -> Waiver | None:
    """Why the fee is waived (a reason, the resolution or the tier), or None when it is charged.
    Merchant fault always waives."""
    for reason in reasons:
        if reason in MERCHANT_FAULT_REASONS or reason in fee.waived_for_reasons:
            return reason
    if resolution in fee.waived_for_resolutions:
        return resolution
    if tier is not None and (tier.waive_fees or tier.name.casefold() in {t.casefold() for t in fee.waived_for_tiers}):
        return tier
    return None


def base_window_days(policy: ReturnPolicy, market: Market | None) -> int:
    return market.window_days if market else policy.default_window_days


def transit_allowance_days(policy: ReturnPolicy, market: Market | None) -> int:
    return market.transit_allowance_days if market else policy.default_transit_allowance_days


# ---- one item, step by step ------------------------------------------------------------------


def _is_final_sale(env: Evaluation, matched: Matched, line: ReturnLine, trail: _Trail) -> bool:
    """A final-sale rule stops the return, unless the merchant got the item wrong."""
    final_sale = False
    for i, rule in matched:
        if rule.final_sale:
            if line.reason in MERCHANT_FAULT_REASONS:
                trail.note(env.words.final_sale_waived(line.reason))
            else:
                final_sale = True
                trail.fired(i, env.words.final_sale())
    return final_sale


def _window(env: Evaluation, matched: Matched, trail: _Trail) -> tuple[int, datetime]:
    """The days the shopper has for this item, and the window's last moment (inclusive)."""
    days = base_window_days(env.policy, env.market)
    if won := _winner(matched, "window_days"):
        days = won[1].window_days  # type: ignore[assignment]
        trail.fired(won[0], env.words.rule_window(days))
    if env.tier is not None:
        days += env.tier.extra_window_days
    if env.ctx.destination_country in EU_COUNTRIES and days < EU_STATUTORY_WITHDRAWAL_DAYS:
        days = EU_STATUTORY_WITHDRAWAL_DAYS
        trail.note(env.words.eu_minimum())
    return days, _window_start(env) + timedelta(days=days)


def _window_start(env: Evaluation) -> datetime:
    """Delivery; without a delivery date, placement plus the market's transit allowance."""
    order = env.ctx.order
    if order.delivered_at is not None:
        return order.delivered_at
    return order.placed_at + timedelta(days=transit_allowance_days(env.policy, env.market))


def _allowed_resolutions(env: Evaluation, matched: Matched, trail: _Trail) -> list[Resolution]:
    """The market's resolutions, narrowed by the winning rule and by exchange-only rules."""
    allowed = set(env.market.resolutions if env.market else ALL_RESOLUTIONS)
    if won := _winner(matched, "resolutions"):
        allowed &= set(won[1].resolutions or [])
        trail.fired(won[0], env.words.rule_resolutions(won[1].resolutions or []))
    exchange_only = [i for i, r in matched if r.exchange_only]
    if exchange_only:
        allowed &= {Resolution.EXCHANGE}
        for i in exchange_only:
            trail.fired(i, env.words.exchange_only())
    return [r for r in ALL_RESOLUTIONS if r in allowed]


def _inspection_required(env: Evaluation, matched: Matched, trail: _Trail) -> bool:
    inspection = False
    for i, rule in matched:
        if rule.inspection_required:
            inspection = True
            trail.fired(i, env.words.inspected())
    return inspection


def _photos_required(env: Evaluation, matched: Matched, line: ReturnLine, trail: _Trail) -> bool:
    photos = False
    for i, rule in matched:
        if line.reason in rule.photos_required_for:
            photos = True
            trail.fired(i, env.words.photos_needed(line.reason))
    return photos


def _restocking_fee(env: Evaluation, matched: Matched, line: ReturnLine, paid: int, trail: _Trail) -> int:
    """The winning rule's fee for the requested resolution, on the paid value (percent rounded down);
    a flat fee is per unit, never more than the paid value, and only in the amounts' currency."""
    won = _winner(matched, "restocking_fee")
    if won is None:
        return 0
    index, fee = won[0], won[1].restocking_fee
    assert fee is not None
    if fee.kind == "percent":
        trail.fired(index, env.words.percent_restocking_fee(fee.percent))
    elif env.amounts_apply:
        trail.fired(index, env.words.flat_restocking_fee(fee.amount, env.currency))
    if (why := waived_because(fee, [line.reason], env.resolution, env.tier)) is not None:
        trail.note(env.words.no_restocking_fee(why))
        return 0
    if fee.kind == "percent":
        return Money(amount=paid, currency=env.currency).percent(fee.percent).amount
    if env.amounts_apply:
        return min(fee.amount * line.quantity, paid)
    if fee.amount:
        trail.fired(index, env.words.restocking_fee_not_charged(env.amounts_currency, env.currency))
    return 0


def _store_credit_bonus(env: Evaluation, refund: int, allowed: list[Resolution]) -> int:
    """The bonus on top of the refund amount, only where store credit is allowed (rounded down)."""
    percent = env.policy.store_credit_bonus_percent
    if Resolution.STORE_CREDIT not in allowed or not percent:
        return 0
    return Money(amount=refund, currency=env.currency).percent(percent).amount


def _keep_item(env: Evaluation, paid: int, trail: _Trail) -> bool:
    """Kept when its paid value (before fees) is below the policy's amount, or below the label's cost."""
    policy = env.policy
    if policy.keep_item_below is not None and env.amounts_apply and paid < policy.keep_item_below:
        trail.note(env.words.keep_below(policy.keep_item_below, env.currency))
        return True
    estimate = env.ctx.label_cost_estimate
    if policy.keep_item_below_label_cost and estimate is not None and paid < estimate:
        trail.note(env.words.keep_below_label_cost())
        return True
    return False


def quote_item(env: Evaluation, line: ReturnLine) -> ItemQuote:
    """The item's quote for the requested resolution; an ineligible item is quoted at zero."""
    tags = env.ctx.line_tags.get(line.line_id, [])
    matched = [(i, r) for i, r in enumerate(env.policy.rules) if r.match.matches(line, tags)]
    paid = line.unit_price * line.quantity
    trail = _Trail()

    reasons: list[str] = []
    if _is_final_sale(env, matched, line, trail):
        reasons.append(env.words.final_sale_reason(line.sku))
    days, ends = _window(env, matched, trail)
    if env.at > ends:
        reasons.append(env.words.window_ended(days, ends))
    eligible = not reasons

    allowed = _allowed_resolutions(env, matched, trail)
    inspection = _inspection_required(env, matched, trail)
    photos = _photos_required(env, matched, line, trail)
    fee = _restocking_fee(env, matched, line, paid, trail) if eligible else 0
    refund = paid - fee if eligible else 0
    bonus = _store_credit_bonus(env, refund, allowed) if eligible else 0
    keep = eligible and not inspection and _keep_item(env, paid, trail)  # inspected items are never kept

    def money(amount: int) -> Money:
        return Money(amount=amount, currency=env.currency)

    return ItemQuote(
        line_id=line.line_id,
        eligible=eligible,
        reasons=reasons,
        allowed_resolutions=allowed,
        restocking_fee=money(fee),
        refund_amount=money(refund),
        store_credit_amount=money(refund + bonus),
        keep_item=keep,
        inspection_required=inspection,
        photos_required=photos,
        window_ends_at=ends,
        rules_fired=trail.rules_fired(matched),
    )
