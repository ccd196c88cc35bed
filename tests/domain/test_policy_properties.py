"""Properties of `evaluate` over random (valid) policies, orders and returns.

Rounding (stated once; it is Money.percent's): a percentage is taken of the line's
paid value (unit_price x quantity) and rounded down to the minor unit.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from domain.policy import (
    EU_COUNTRIES,
    KNOWN_MARKET_CODES,
    Fee,
    LoyaltyTier,
    Market,
    ProductRule,
    Quote,
    ReturnContext,
    ReturnPolicy,
    ReviewRules,
    RuleMatch,
    evaluate,
)
from domain.returns import OrderFacts, Resolution, ReturnLine, ReturnReason

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PLACED = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
TIER_NAMES = ["silver", "gold"]
SKUS, CATEGORIES, TAGS = ["S1", "S2", "S3"], ["apparel", "shoes", "electronics"], ["sale", "final_sale", "fragile"]

reasons = st.sampled_from(list(ReturnReason))
# Lines: mostly the shopper's reasons, or nearly every fee would be waived (merchant fault).
line_reasons = st.one_of(st.sampled_from([r for r in ReturnReason if not r.is_merchant_fault]), reasons)
resolution = st.sampled_from(list(Resolution))
rarely = st.sampled_from([False, False, False, True])
some_resolutions = st.lists(st.sampled_from(list(Resolution)), min_size=1, max_size=3, unique=True)


@st.composite
def fees(draw, tier_names=TIER_NAMES) -> Fee:
    kind = draw(st.sampled_from(["flat", "percent"]))
    return Fee(
        kind=kind,
        amount=draw(st.integers(0, 5_000)) if kind == "flat" else 0,
        percent=draw(st.integers(0, 100)) if kind == "percent" else 0,
        waived_for_reasons=draw(st.lists(reasons, max_size=1)),
        waived_for_resolutions=draw(st.lists(resolution, max_size=1)),
        waived_for_tiers=draw(st.lists(st.sampled_from(tier_names), max_size=1)) if tier_names else [],
    )


@st.composite
def matches(draw) -> RuleMatch:
    low = draw(st.one_of(st.none(), st.none(), st.integers(0, 50_000)))
    high = draw(st.one_of(st.none(), st.none(), st.integers(low or 0, 100_000)))
    return RuleMatch(
        skus=draw(st.lists(st.sampled_from(SKUS), max_size=2, unique=True) | st.just([])),
        categories=draw(st.lists(st.sampled_from(CATEGORIES), max_size=2, unique=True) | st.just([])),
        tags=draw(st.lists(st.sampled_from(TAGS), max_size=2, unique=True) | st.just([])),
        price_min=low,
        price_max=high,
    )


REFUND_AND_CREDIT = {Resolution.REFUND, Resolution.STORE_CREDIT}


@st.composite
def rules(draw, tier_names=TIER_NAMES, lenient=False, max_window=90) -> list[ProductRule]:
    """`lenient`: nothing that makes an item ineligible or refuses refund or store credit."""
    count = draw(st.integers(0, 4))
    priorities = draw(st.permutations(range(count)))  # distinct: overlapping rules are always decidable
    out = []
    for i in range(count):
        exchange_only = draw(rarely) and not lenient
        allowed = draw(st.none() | some_resolutions)
        if exchange_only and allowed is not None and Resolution.EXCHANGE not in allowed:
            allowed = [*allowed, Resolution.EXCHANGE]
        if lenient and allowed is not None:
            allowed = sorted(REFUND_AND_CREDIT | set(allowed))
        out.append(
            ProductRule(
                id=f"r{i}",
                description=draw(st.sampled_from(["", f"Rule {i} applies."])),
                priority=priorities[i],
                match=draw(matches()),
                final_sale=draw(rarely) and not lenient,
                window_days=draw(st.none() | st.integers(60 if lenient else 0, max_window)),
                exchange_only=exchange_only,
                inspection_required=draw(st.booleans()),
                photos_required_for=draw(st.lists(reasons, max_size=2, unique=True)),
                restocking_fee=draw(st.none() | fees(tier_names)),
                resolutions=allowed,
            )
        )
    return out


@st.composite
def markets(draw, lenient=False) -> list[Market]:
    codes = draw(st.lists(st.sampled_from(["EU", "NL", "DE", "US", "GB"]), max_size=4, unique=True))
    out = []
    for code in codes:
        eu = KNOWN_MARKET_CODES[code] <= EU_COUNTRIES
        allowed = draw(some_resolutions)
        out.append(
            Market(
                code=code,
                window_days=draw(st.integers(60 if lenient else 14 if eu else 0, 90)),
                transit_allowance_days=draw(st.integers(0, 14)),
                currency=draw(st.sampled_from(["EUR", "USD"])),
                resolutions=sorted(REFUND_AND_CREDIT | set(allowed)) if lenient else allowed,
            )
        )
    return out


@st.composite
def policies(draw, tiers=None, lenient=False, max_window=90) -> ReturnPolicy:
    """Valid policies; `lenient` ones make every item eligible for refund and store credit early on."""
    tier_list = (
        tiers
        if tiers is not None
        else [
            LoyaltyTier(
                name=n,
                extra_window_days=draw(st.integers(0, 30)),
                waive_fees=draw(rarely),
                instant_refund=draw(st.booleans()),
            )
            for n in TIER_NAMES
        ]
    )
    names = [t.name for t in tier_list]
    return ReturnPolicy(
        markets=draw(markets(lenient)),
        currency=draw(st.none() | st.sampled_from(["EUR", "USD"])),
        default_window_days=draw(st.integers(60 if lenient else 0, max_window)),
        default_transit_allowance_days=draw(st.integers(0, 14)),
        rules=draw(rules(names, lenient, max_window)),
        return_shipping_fee=draw(st.none() | fees(names)),
        store_credit_bonus_percent=draw(st.integers(0, 100)),
        keep_item_below=draw(st.none() | st.integers(0, 5_000)),
        keep_item_below_label_cost=draw(st.booleans()),
        review=ReviewRules(
            order_value_above=draw(st.none() | st.integers(0, 200_000)),
            reasons=draw(st.lists(reasons, max_size=2, unique=True)),
        ),
        tiers=tier_list,
    )


COUNTRIES = ["NL", "DE", "FR", "US", "GB", "JP"]


@st.composite
def returns(draw, countries=COUNTRIES, max_days=130) -> tuple[ReturnContext, list[ReturnLine], datetime]:
    lines = [
        ReturnLine(
            line_id=f"L{i}",
            sku=draw(st.sampled_from(SKUS)),
            quantity=draw(st.integers(1, 5)),
            unit_price=draw(st.integers(0, 2_000) | st.integers(0, 100_000)),
            category=draw(st.sampled_from(CATEGORIES)),
            reason=draw(line_reasons),
        )
        for i in range(draw(st.integers(1, 4)))
    ]
    delivered = draw(st.none() | st.integers(0, 10).map(lambda d: PLACED + timedelta(days=d, hours=3)))
    ctx = ReturnContext(
        order=OrderFacts(
            order_id="o", currency=draw(st.sampled_from(["EUR", "USD"])), placed_at=PLACED, delivered_at=delivered
        ),
        destination_country=draw(st.sampled_from(countries)),
        customer_tier=draw(st.none() | st.sampled_from([*TIER_NAMES, "platinum"])),
        line_tags={l.line_id: draw(st.lists(st.sampled_from(TAGS), max_size=2, unique=True)) for l in lines},
        order_value=sum(l.unit_price * l.quantity for l in lines) + draw(st.integers(0, 50_000)),
        label_cost_estimate=draw(st.none() | st.integers(0, 2_000)),
    )
    days = draw(st.integers(0, min(max_days, 40)) | st.integers(0, max_days))
    at = PLACED + timedelta(days=days, seconds=draw(st.integers(0, 86_399)))
    return ctx, lines, at


def paid(line: ReturnLine) -> int:
    return line.unit_price * line.quantity


@SETTINGS
@given(policies(), returns(), resolution)
def test_a_refund_never_exceeds_what_was_paid_and_fees_are_never_negative(policy, ret, res):
    ctx, lines, at = ret
    q = evaluate(policy, ctx, lines, res, at)
    for item, line in zip(q.items, lines, strict=True):
        assert 0 <= item.refund_amount.amount <= paid(line)
        assert 0 <= item.restocking_fee.amount <= paid(line)
        if item.eligible:
            assert item.refund_amount.amount + item.restocking_fee.amount == paid(line)
        else:
            assert item.refund_amount.amount == item.store_credit_amount.amount == item.restocking_fee.amount == 0
        assert {item.refund_amount.currency, item.restocking_fee.currency} == {ctx.order.currency}
    assert q.return_shipping_fee.amount >= 0
    assert 0 <= q.refund_total.amount <= sum(paid(l) for l in lines)
    if res != Resolution.STORE_CREDIT:
        assert q.settlement_amount.amount <= q.refund_total.amount
    if not q.eligible:
        assert q.settlement_amount.amount == 0


@SETTINGS
@given(policies(), returns(), resolution)
def test_merchant_fault_never_pays_a_fee(policy, ret, res):
    ctx, lines, at = ret
    q = evaluate(policy, ctx, lines, res, at)
    for item, line in zip(q.items, lines, strict=True):
        if line.reason.is_merchant_fault:
            assert item.restocking_fee.amount == 0
    if any(i.eligible and not i.keep_item and l.reason.is_merchant_fault for i, l in zip(q.items, lines, strict=True)):
        assert q.return_shipping_fee.amount == 0


@SETTINGS
@given(policies(), returns(), resolution)
def test_store_credit_is_at_least_the_refund_and_more_when_a_bonus_applies(policy, ret, res):
    ctx, lines, at = ret
    q = evaluate(policy, ctx, lines, res, at)
    for item in q.items:
        credit, refund = item.store_credit_amount.amount, item.refund_amount.amount
        assert credit >= refund
        bonus_applies = item.eligible and Resolution.STORE_CREDIT in item.allowed_resolutions
        expected_bonus = refund * policy.store_credit_bonus_percent // 100 if bonus_applies else 0
        assert credit - refund == expected_bonus
    assert q.store_credit_total.amount >= q.refund_total.amount


def _store_credit_is_never_charged_more(policy: ReturnPolicy) -> bool:
    """No fee waived for a refund that is charged for store credit."""
    all_fees = [policy.return_shipping_fee, *(r.restocking_fee for r in policy.rules)]
    return all(
        Resolution.REFUND not in f.waived_for_resolutions or Resolution.STORE_CREDIT in f.waived_for_resolutions
        for f in all_fees
        if f is not None
    )


@SETTINGS
@given(policies(lenient=True), returns(max_days=50))
def test_choosing_store_credit_never_settles_less_than_a_refund(policy, ret):
    assume(_store_credit_is_never_charged_more(policy))
    ctx, lines, at = ret
    as_refund = evaluate(policy, ctx, lines, Resolution.REFUND, at)
    as_credit = evaluate(policy, ctx, lines, Resolution.STORE_CREDIT, at)
    assume(as_refund.eligible and as_credit.eligible)
    assert as_credit.settlement_amount.amount >= as_refund.settlement_amount.amount
    if (
        policy.store_credit_bonus_percent
        and as_refund.settlement_amount.amount * policy.store_credit_bonus_percent >= 100 * 100
    ):
        assert as_credit.settlement_amount.amount > as_refund.settlement_amount.amount


@SETTINGS
@given(policies(), returns(), resolution)
def test_the_same_input_gives_the_same_decision(policy, ret, res):
    ctx, lines, at = ret
    first = evaluate(policy, ctx, lines, res, at)
    assert evaluate(policy, ctx, lines, res, at) == first
    # as the workflow gets them: through JSON
    policy_again = ReturnPolicy.model_validate_json(policy.model_dump_json())
    ctx_again = ReturnContext.model_validate_json(ctx.model_dump_json())
    lines_again = [ReturnLine.model_validate_json(l.model_dump_json()) for l in lines]
    assert evaluate(policy_again, ctx_again, lines_again, res, at) == first
    # the same moment in another time zone, and markets listed in another order
    shuffled = policy.model_copy(update={"markets": list(reversed(policy.markets))})
    assert evaluate(shuffled, ctx, lines, res, at.astimezone(tz=UTC).astimezone()) == first


@st.composite
def tier_pairs(draw) -> tuple[LoyaltyTier, LoyaltyTier]:
    """(lesser, greater): the greater tier is at least as generous in every respect."""
    extra = draw(st.integers(0, 30))
    waive, instant = draw(st.booleans()), draw(st.booleans())
    lesser = LoyaltyTier(name="silver", extra_window_days=extra, waive_fees=waive, instant_refund=instant)
    greater = LoyaltyTier(
        name="gold",
        extra_window_days=extra + draw(st.integers(0, 30)),
        waive_fees=waive or draw(st.booleans()),
        instant_refund=instant or draw(st.booleans()),
    )
    return lesser, greater


def _gold_waives_what_silver_does(policy: ReturnPolicy) -> ReturnPolicy:
    def lift(fee: Fee | None) -> Fee | None:
        if fee is None or "silver" not in fee.waived_for_tiers or "gold" in fee.waived_for_tiers:
            return fee
        return fee.model_copy(update={"waived_for_tiers": [*fee.waived_for_tiers, "gold"]})

    return policy.model_copy(
        update={
            "return_shipping_fee": lift(policy.return_shipping_fee),
            "rules": [r.model_copy(update={"restocking_fee": lift(r.restocking_fee)}) for r in policy.rules],
        }
    )


def _not_worse(better: Quote, worse: Quote) -> None:
    for b, w in zip(better.items, worse.items, strict=True):
        assert b.window_ends_at >= w.window_ends_at
        assert b.eligible or not w.eligible
        assert b.allowed_resolutions == w.allowed_resolutions
        if b.eligible and w.eligible:
            assert b.restocking_fee.amount <= w.restocking_fee.amount
            assert b.refund_amount.amount >= w.refund_amount.amount
            assert b.store_credit_amount.amount >= w.store_credit_amount.amount
    assert better.eligible or not worse.eligible
    assert better.instant_refund or not worse.instant_refund
    if better.eligible and worse.eligible:
        assert better.return_shipping_fee.amount <= worse.return_shipping_fee.amount
        assert better.settlement_amount.amount >= worse.settlement_amount.amount
        assert better.refund_total.amount >= worse.refund_total.amount
        assert better.store_credit_total.amount >= worse.store_credit_total.amount


@SETTINGS
@given(tier_pairs().flatmap(lambda pair: st.tuples(st.just(pair), policies(tiers=list(pair)))), returns(), resolution)
def test_a_more_generous_tier_never_gives_a_worse_quote(pair_and_policy, ret, res):
    _, policy = pair_and_policy
    policy = ReturnPolicy.model_validate(_gold_waives_what_silver_does(policy).model_dump())
    ctx, lines, at = ret
    quotes = {
        tier: evaluate(policy, ctx.model_copy(update={"customer_tier": tier}), lines, res, at)
        for tier in (None, "platinum", "silver", "gold")
    }
    _not_worse(quotes["silver"], quotes[None])
    _not_worse(quotes["gold"], quotes["silver"])
    assert quotes["platinum"] == quotes[None]  # a tier the policy doesn't know is no tier


@SETTINGS
@given(policies(), returns(), resolution, st.integers(1, 60))
def test_a_longer_window_never_turns_eligible_into_ineligible(policy, ret, res, extra):
    ctx, lines, at = ret
    longer = policy.model_copy(
        update={
            "default_window_days": policy.default_window_days + extra,
            "markets": [m.model_copy(update={"window_days": m.window_days + extra}) for m in policy.markets],
            "rules": [
                r.model_copy(update={"window_days": None if r.window_days is None else r.window_days + extra})
                for r in policy.rules
            ],
        }
    )
    before, after = evaluate(policy, ctx, lines, res, at), evaluate(longer, ctx, lines, res, at)
    assert after.eligible or not before.eligible
    for b, a in zip(before.items, after.items, strict=True):
        assert a.window_ends_at >= b.window_ends_at
        assert a.eligible or not b.eligible


@SETTINGS
@given(policies(max_window=20), returns(countries=["NL", "DE", "FR", "IT"], max_days=40), resolution)
def test_shoppers_in_the_eu_always_get_14_days(policy, ret, res):
    ctx, lines, at = ret
    assert ctx.destination_country in EU_COUNTRIES
    q = evaluate(policy, ctx, lines, res, at)
    start = ctx.order.delivered_at
    for item in q.items:
        if start is not None:
            assert item.window_ends_at - start >= timedelta(days=14)
        if at <= (start or PLACED) + timedelta(days=14):
            assert item.eligible or any("final sale" in r for r in item.reasons)


def _flat_amounts_zeroed(policy: ReturnPolicy) -> ReturnPolicy:
    """The same policy with every flat amount gone (a flat fee of 0 still wins its rule's precedence)."""

    def zero(fee: Fee | None) -> Fee | None:
        return fee.model_copy(update={"amount": 0}) if fee is not None and fee.kind == "flat" else fee

    return policy.model_copy(
        update={
            "return_shipping_fee": zero(policy.return_shipping_fee),
            "rules": [r.model_copy(update={"restocking_fee": zero(r.restocking_fee)}) for r in policy.rules],
            "keep_item_below": None,
            "review": policy.review.model_copy(update={"order_value_above": None}),
        }
    )


@SETTINGS
@given(policies(), returns(), resolution)
def test_flat_amounts_apply_only_in_their_own_currency(policy, ret, res):
    """Where the flat amounts' currency (the market's, else the policy's) is not the order's, the quote's
    money is that of the same policy without them, it says which flat fee was not charged, and it is held."""
    ctx, lines, at = ret
    ctx = ctx.model_copy(update={"strict_flat_amounts": True})  # as the API builds it
    assume(policy.amounts_currency(policy.market_for(ctx.destination_country)) != ctx.order.currency)
    q = evaluate(policy, ctx, lines, res, at)
    bare = evaluate(_flat_amounts_zeroed(policy), ctx, lines, res, at)
    for mine, other in zip(q.items, bare.items, strict=True):
        assert (mine.restocking_fee, mine.refund_amount, mine.store_credit_amount, mine.keep_item) == (
            other.restocking_fee,
            other.refund_amount,
            other.store_credit_amount,
            other.keep_item,
        )
    assert (q.return_shipping_fee, q.refund_total, q.store_credit_total, q.settlement_amount, q.keep_items) == (
        bare.return_shipping_fee,
        bare.refund_total,
        bare.store_credit_total,
        bare.settlement_amount,
        bare.keep_items,
    )
    if policy.flat_amounts():
        assert q.needs_review and "flat fees and amount thresholds were not applied" in q.review_reasons[0]
    fee = policy.return_shipping_fee
    if fee is not None and fee.kind == "flat" and fee.amount and "Free return shipping" not in " ".join(q.rules_fired):
        if any(not i.keep_item for i in q.items if i.eligible):
            assert any(s.startswith("No return shipping fee:") for s in q.rules_fired)
