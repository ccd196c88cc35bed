"""Table tests for every kind of policy rule, and for every way a policy document can be invalid.

Rounding (stated once; it is Money.percent's): a percentage is taken of the line's
paid value (unit_price x quantity) and rounded down to the minor unit.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from domain.money import Money
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
from domain.policy_example import EXAMPLE_POLICY, example_policy
from domain.returns import OrderFacts, Resolution, ReturnLine, ReturnReason

R = ReturnReason
PLACED = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
DELIVERED = PLACED + timedelta(days=3)  # 2026-10-04 12:00
SOON = DELIVERED + timedelta(days=1)


def line(line_id="L1", *, sku="SKU-1", qty=1, price=10_000, category="apparel", reason=R.TOO_SMALL) -> ReturnLine:
    return ReturnLine(line_id=line_id, sku=sku, quantity=qty, unit_price=price, category=category, reason=reason)


def context(
    *,
    country="US",
    currency="USD",
    delivered: datetime | None = DELIVERED,
    tier=None,
    tags=None,
    order_value=10_000,
    label_cost=None,
    strict=False,
) -> ReturnContext:
    return ReturnContext(
        order=OrderFacts(order_id="o1", currency=currency, placed_at=PLACED, delivered_at=delivered),
        destination_country=country,
        customer_tier=tier,
        line_tags=tags or {},
        order_value=order_value,
        label_cost_estimate=label_cost,
        strict_flat_amounts=strict,
    )


def quote(policy: ReturnPolicy, lines=None, resolution=Resolution.REFUND, at=SOON, **ctx) -> Quote:
    return evaluate(policy, context(**ctx), [line()] if lines is None else lines, resolution, at)


def rule(id="r", **kw) -> ProductRule:
    kw.setdefault("match", RuleMatch())
    return ProductRule(id=id, **kw)


def fired(q: Quote) -> str:
    return " | ".join(q.rules_fired)


# ---- windows ---------------------------------------------------------------------------

US30 = Market(code="US", window_days=30, transit_allowance_days=10, currency="USD")


@pytest.mark.parametrize(
    "policy,delivered,ends",
    [
        (ReturnPolicy(), DELIVERED, DELIVERED + timedelta(days=30)),  # from delivery
        (ReturnPolicy(), None, PLACED + timedelta(days=7 + 30)),  # no delivery: placement + default allowance
        (ReturnPolicy(default_window_days=10, default_transit_allowance_days=2), None, PLACED + timedelta(days=12)),
        (ReturnPolicy(markets=[US30]), DELIVERED, DELIVERED + timedelta(days=30)),
        (ReturnPolicy(markets=[US30]), None, PLACED + timedelta(days=10 + 30)),  # the market's allowance
        (
            ReturnPolicy(markets=[US30.model_copy(update={"window_days": 45})]),
            DELIVERED,
            DELIVERED + timedelta(days=45),
        ),
    ],
)
def test_window_counts_from_delivery_or_placement_plus_allowance_and_its_end_is_inclusive(policy, delivered, ends):
    assert quote(policy, delivered=delivered, at=ends).items[0].window_ends_at == ends
    assert quote(policy, delivered=delivered, at=ends).eligible
    late = quote(policy, delivered=delivered, at=ends + timedelta(seconds=1))
    assert not late.eligible and not late.items[0].eligible
    assert late.reasons == late.items[0].reasons
    assert late.reasons[0].startswith("The ") and late.reasons[0].endswith(
        f"return window ended on {ends.date().isoformat()}."
    )
    assert late.settlement_amount.amount == 0 and late.items[0].refund_amount.amount == 0


def test_window_message_is_shopper_words():
    q = quote(ReturnPolicy(), at=DELIVERED + timedelta(days=31))
    assert q.reasons == ["The 30-day return window ended on 2026-11-03."]


def test_no_delivery_date_is_explained():
    assert "starts 10 days after the order was placed" in fired(quote(ReturnPolicy(markets=[US30]), delivered=None))


# ---- markets ---------------------------------------------------------------------------

MARKETS = ReturnPolicy(
    markets=[  # EU first: the more specific NL must still win for NL
        Market(code="EU", window_days=20, currency="EUR", resolutions=[Resolution.REFUND]),
        Market(code="NL", window_days=40, currency="EUR", resolutions=[Resolution.REFUND, Resolution.EXCHANGE]),
        Market(code="US", window_days=30, currency="USD", resolutions=[Resolution.STORE_CREDIT]),
    ],
    default_window_days=15,
)


@pytest.mark.parametrize(
    "country,currency,market,days,allowed",
    [
        ("NL", "EUR", "NL", 40, [Resolution.REFUND, Resolution.EXCHANGE]),
        ("nl", "EUR", "NL", 40, [Resolution.REFUND, Resolution.EXCHANGE]),
        ("DE", "EUR", "EU", 20, [Resolution.REFUND]),
        ("US", "USD", "US", 30, [Resolution.STORE_CREDIT]),
        ("JP", "JPY", None, 15, list(Resolution)),  # no market: the default window, every resolution
        ("GB", "GBP", None, 15, list(Resolution)),
    ],
)
def test_the_most_specific_market_for_the_destination_applies(country, currency, market, days, allowed):
    q = quote(MARKETS, country=country, currency=currency)
    assert q.market == market
    assert q.items[0].window_ends_at == DELIVERED + timedelta(days=days)
    assert q.items[0].allowed_resolutions == allowed


def test_market_order_does_not_matter():
    reversed_policy = MARKETS.model_copy(update={"markets": list(reversed(MARKETS.markets))})
    for country in ("NL", "DE", "US", "JP"):
        assert quote(reversed_policy, country=country, currency="EUR") == quote(
            MARKETS, country=country, currency="EUR"
        )


@pytest.mark.parametrize(
    "country,rule_days,tier_days,expected,floor_note",
    [
        ("DE", 7, 0, 14, True),  # a rule can't take an EU shopper below 14 days
        ("DE", 3, 5, 14, True),
        ("DE", 10, 5, 15, False),
        ("US", 7, 0, 7, False),  # outside the EU the rule stands
        ("FR", 0, 0, 14, True),  # EU country without its own market: still the floor
    ],
)
def test_eu_shoppers_always_get_14_days(country, rule_days, tier_days, expected, floor_note):
    policy = ReturnPolicy(
        rules=[rule(window_days=rule_days)], tiers=[LoyaltyTier(name="t", extra_window_days=tier_days)]
    )
    q = quote(policy, country=country, tier="t")
    assert q.items[0].window_ends_at == DELIVERED + timedelta(days=expected)
    assert ("EU law gives you at least 14 days" in fired(q)) == floor_note


# ---- product rules -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "match,the_line,tags,matches",
    [
        (RuleMatch(), line(), {}, True),
        (RuleMatch(skus=["SKU-1", "X"]), line(sku="SKU-1"), {}, True),
        (RuleMatch(skus=["X"]), line(sku="SKU-1"), {}, False),
        (RuleMatch(categories=["Gift_Cards"]), line(category="gift_cards"), {}, True),  # case-insensitive
        (RuleMatch(categories=["gift_cards"]), line(category="apparel"), {}, False),
        (RuleMatch(tags=["final_sale"]), line(), {"L1": ["sale", "FINAL_SALE"]}, True),
        (RuleMatch(tags=["final_sale"]), line(), {"L2": ["final_sale"]}, False),  # another line's tags
        (RuleMatch(price_min=100, price_max=200), line(price=100), {}, True),  # bounds inclusive
        (RuleMatch(price_min=100, price_max=200), line(price=200), {}, True),
        (RuleMatch(price_min=100, price_max=200), line(price=201), {}, False),
        (RuleMatch(price_min=100), line(price=99), {}, False),
        (
            RuleMatch(skus=["SKU-1"], categories=["shoes"]),
            line(sku="SKU-1", category="apparel"),
            {},
            False,
        ),  # all criteria
    ],
)
def test_rule_matching(match, the_line, tags, matches):
    policy = ReturnPolicy(rules=[rule(match=match, final_sale=True)])
    assert quote(policy, [the_line], tags=tags).eligible is not matches


FINAL = ReturnPolicy(
    rules=[
        rule(
            "gift",
            description="Gift cards can't be returned.",
            match=RuleMatch(categories=["gift_cards"]),
            final_sale=True,
        ),
        rule("tagged", match=RuleMatch(tags=["final_sale"]), final_sale=True),
    ]
)


@pytest.mark.parametrize(
    "the_line,tags,eligible,reason,sentence",
    [
        (
            line(category="gift_cards"),
            {},
            False,
            "SKU-1 is final sale and can't be returned.",
            "Gift cards can't be returned.",
        ),
        (
            line(),
            {"L1": ["final_sale"]},
            False,
            "SKU-1 is final sale and can't be returned.",
            "This item is final sale",
        ),
        (
            line(category="gift_cards", reason=R.DEFECTIVE),
            {},
            True,
            None,
            "Final-sale terms don't apply because the item is defective.",
        ),
        (line(category="gift_cards", reason=R.WRONG_ITEM), {}, True, None, "you received the wrong item"),
        (line(), {}, True, None, None),
    ],
)
def test_final_sale(the_line, tags, eligible, reason, sentence):
    q = quote(FINAL, [the_line], tags=tags)
    assert q.eligible is eligible and q.items[0].eligible is eligible
    assert q.reasons == ([reason] if reason else [])
    if sentence:
        assert sentence in fired(q) and sentence in " | ".join(q.items[0].rules_fired)
    else:
        assert "final" not in fired(q).lower()


@pytest.mark.parametrize(
    "rules,days,sentence",
    [
        ([rule(match=RuleMatch(categories=["apparel"]), window_days=60)], 60, "within 60 days"),
        ([rule(match=RuleMatch(categories=["apparel"]), window_days=10)], 10, "within 10 days"),
        ([rule(match=RuleMatch(categories=["shoes"]), window_days=60)], 30, None),  # doesn't match
        (
            [
                rule("low", priority=1, match=RuleMatch(categories=["apparel"]), window_days=10),
                rule("high", priority=2, match=RuleMatch(skus=["SKU-1"]), window_days=60),
            ],
            60,
            "within 60 days",
        ),
        (
            [
                rule(
                    "high",
                    priority=5,
                    description="Apparel: 10 days.",
                    match=RuleMatch(categories=["apparel"]),
                    window_days=10,
                ),
                rule("low", priority=-1, match=RuleMatch(skus=["SKU-1"]), window_days=60),
            ],
            10,
            "Apparel: 10 days.",
        ),
    ],
)
def test_rule_windows_and_priority(rules, days, sentence):
    q = quote(ReturnPolicy(rules=rules))
    assert q.items[0].window_ends_at == DELIVERED + timedelta(days=days)
    if sentence:
        assert sentence in q.items[0].rules_fired[0]
        assert len(q.items[0].rules_fired) == 1  # the losing rule did not fire
    else:
        assert q.items[0].rules_fired == []


@pytest.mark.parametrize(
    "resolution,eligible,reasons",
    [
        (Resolution.EXCHANGE, True, []),
        (Resolution.REFUND, False, ["A refund is not available for SKU-1; choose an exchange."]),
        (Resolution.STORE_CREDIT, False, ["Store credit is not available for SKU-1; choose an exchange."]),
    ],
)
def test_exchange_only(resolution, eligible, reasons):
    q = quote(ReturnPolicy(rules=[rule(exchange_only=True)]), resolution=resolution)
    assert q.items[0].allowed_resolutions == [Resolution.EXCHANGE]
    assert q.items[0].eligible  # the item may go back; only the resolution is wrong
    assert (q.eligible, q.reasons) == (eligible, reasons)
    assert "This item can only be exchanged." in q.items[0].rules_fired


SWIM = ReturnPolicy(
    rules=[
        rule(
            "swim",
            match=RuleMatch(categories=["swimwear"]),
            inspection_required=True,
            photos_required_for=[R.DEFECTIVE],
        )
    ],
    keep_item_below=1_000_000,
    currency="USD",
)


@pytest.mark.parametrize(
    "the_line,inspection,photos,keep",
    [
        (line(category="swimwear", reason=R.DEFECTIVE), True, True, False),  # inspection: never kept
        (line(category="swimwear", reason=R.TOO_SMALL), True, False, False),
        (line(category="apparel", reason=R.DEFECTIVE), False, False, True),
    ],
)
def test_inspection_and_photos_flags(the_line, inspection, photos, keep):
    item = quote(SWIM, [the_line]).items[0]
    assert (item.inspection_required, item.photos_required, item.keep_item) == (inspection, photos, keep)
    assert any("Please add photos" in s for s in item.rules_fired) == photos


# ---- fees --------------------------------------------------------------------------------

PCT15 = Fee(kind="percent", percent=15)
FLAT5 = Fee(kind="flat", amount=500)
GOLD = LoyaltyTier(name="gold", waive_fees=True)
SILVER = LoyaltyTier(name="silver")
BRONZE = LoyaltyTier(name="bronze")


@pytest.mark.parametrize(
    "fee,the_line,resolution,tier,expected,waiver",
    [
        (PCT15, line(price=9_999), Resolution.REFUND, None, 1_499, None),  # 1499.85 rounds down
        (PCT15, line(price=4_000, qty=3), Resolution.REFUND, None, 1_800, None),  # on the line's paid value
        (Fee(kind="percent", percent=100), line(price=4_000), Resolution.REFUND, None, 4_000, None),
        (FLAT5, line(price=4_000, qty=3), Resolution.REFUND, None, 1_500, None),  # flat: per unit returned
        (
            Fee(kind="flat", amount=9_000),
            line(price=4_000, qty=2),
            Resolution.REFUND,
            None,
            8_000,
            None,
        ),  # capped at paid
        (PCT15, line(price=1_000, reason=R.DEFECTIVE), Resolution.REFUND, None, 0, "because the item is defective"),
        (
            Fee(kind="percent", percent=15, waived_for_reasons=[]),
            line(reason=R.WRONG_ITEM),
            Resolution.REFUND,
            None,
            0,
            "wrong item",
        ),
        (
            Fee(kind="percent", percent=15, waived_for_reasons=[]),
            line(reason=R.DAMAGED_IN_TRANSIT),
            Resolution.REFUND,
            None,
            0,
            "damaged",
        ),
        (
            Fee(kind="percent", percent=10, waived_for_reasons=[R.CHANGED_MIND]),
            line(reason=R.CHANGED_MIND),
            Resolution.REFUND,
            None,
            0,
            "changed your mind",
        ),
        (
            Fee(kind="percent", percent=10, waived_for_reasons=[R.CHANGED_MIND]),
            line(reason=R.TOO_SMALL),
            Resolution.REFUND,
            None,
            1_000,
            None,
        ),
        (
            Fee(kind="percent", percent=10, waived_for_resolutions=[Resolution.STORE_CREDIT]),
            line(),
            Resolution.STORE_CREDIT,
            None,
            0,
            "you chose store credit",
        ),
        (
            Fee(kind="percent", percent=10, waived_for_resolutions=[Resolution.EXCHANGE]),
            line(),
            Resolution.EXCHANGE,
            None,
            0,
            "you chose an exchange",
        ),
        (
            Fee(kind="percent", percent=10, waived_for_resolutions=[Resolution.EXCHANGE]),
            line(),
            Resolution.REFUND,
            None,
            1_000,
            None,
        ),
        (
            Fee(kind="percent", percent=10, waived_for_tiers=["silver"]),
            line(),
            Resolution.REFUND,
            "silver",
            0,
            "as a silver member",
        ),
        (
            Fee(kind="percent", percent=10, waived_for_tiers=["silver"]),
            line(),
            Resolution.REFUND,
            "SILVER",
            0,
            "as a silver member",
        ),
        (
            Fee(kind="percent", percent=10, waived_for_tiers=["silver"]),
            line(),
            Resolution.REFUND,
            "bronze",
            1_000,
            None,
        ),
        (
            Fee(kind="percent", percent=10),
            line(),
            Resolution.REFUND,
            "gold",
            0,
            "as a gold member",
        ),  # tier waives all fees
    ],
)
def test_restocking_fee_and_its_waivers(fee, the_line, resolution, tier, expected, waiver):
    policy = ReturnPolicy(rules=[rule(restocking_fee=fee)], tiers=[GOLD, SILVER, BRONZE], currency="USD")
    q = quote(policy, [the_line], resolution, tier=tier)
    item = q.items[0]
    paid = the_line.unit_price * the_line.quantity
    assert item.restocking_fee.amount == expected
    assert item.refund_amount.amount == paid - expected
    assert q.settlement_amount.amount == paid - expected
    assert any("restocking fee" in s for s in item.rules_fired)
    if waiver:
        assert any(s.startswith("No restocking fee") and waiver in s for s in item.rules_fired), item.rules_fired
    else:
        assert not any(s.startswith("No restocking fee") for s in item.rules_fired)


def test_flat_fee_is_read_in_the_market_currency_and_skipped_when_the_order_is_in_another():
    policy = ReturnPolicy(markets=[US30], rules=[rule(restocking_fee=FLAT5)])
    assert quote(policy, currency="USD").items[0].restocking_fee.amount == 500
    other = quote(policy, currency="EUR")
    assert other.items[0].restocking_fee.amount == 0 and other.items[0].restocking_fee.currency == "EUR"
    assert other.needs_review and "priced in USD" in other.review_reasons[0]
    pct = ReturnPolicy(markets=[US30], rules=[rule(restocking_fee=PCT15)])
    assert quote(pct, currency="EUR").items[0].restocking_fee.amount == 1_500  # percentages still apply


def test_a_flat_fee_is_never_charged_in_another_currency_where_no_market_matches():
    """Issue 10: a flat return-shipping fee of 595 became 595 JPY on a JPY order no market matched."""
    policy = ReturnPolicy(
        markets=[US30],
        return_shipping_fee=Fee(kind="flat", amount=595),
        rules=[rule(restocking_fee=FLAT5)],
        currency="USD",
    )
    yen = quote(policy, country="JP", currency="JPY", strict=True)  # as the API builds contexts
    assert (yen.return_shipping_fee.amount, yen.items[0].restocking_fee.amount) == (0, 0)
    assert yen.settlement_amount == Money(amount=10_000, currency="JPY")
    assert "No return shipping fee: it is priced in USD, and this order is in JPY." in yen.rules_fired
    assert "No restocking fee: it is priced in USD, and this order is in JPY." in yen.items[0].rules_fired
    assert not any("per item applies" in s for s in yen.rules_fired)  # no sentence promises a fee it does not charge
    assert (
        yen.needs_review
        and "no market covers JP and the policy's flat amounts are priced in USD" in yen.review_reasons[0]
    )
    # In their own currency they are charged, market or not.
    dollars = quote(policy, country="JP", currency="USD", strict=True)
    assert (dollars.return_shipping_fee.amount, dollars.items[0].restocking_fee.amount) == (595, 500)
    assert not dollars.needs_review
    # A version saved before policies named a currency: its flat amounts apply only within markets...
    legacy = ReturnPolicy(return_shipping_fee=Fee(kind="flat", amount=595), keep_item_below=1_000_000)
    unpriced = quote(legacy, country="JP", currency="JPY", strict=True)
    assert unpriced.return_shipping_fee.amount == 0 and not unpriced.keep_items
    assert (
        "No return shipping fee: the policy does not say which currency it is in, and this order is in JPY."
        in unpriced.rules_fired
    )
    assert "name no currency" in unpriced.review_reasons[0]
    # ...unless the return was created under the old rule (a workflow started before replays it so).
    old = quote(legacy, country="JP", currency="JPY")
    assert old.keep_items and not old.needs_review
    # Percent fees have no currency: they apply to any order, and nothing is held for them.
    pct = quote(
        ReturnPolicy(return_shipping_fee=Fee(kind="percent", percent=10)), country="JP", currency="JPY", strict=True
    )
    assert pct.return_shipping_fee.amount == 1_000 and not pct.needs_review


@pytest.mark.parametrize(
    "document,named",
    [
        ({"return_shipping_fee": {"kind": "flat", "amount": 595}}, "return_shipping_fee.amount"),
        ({"rules": [{"id": "a", "restocking_fee": {"kind": "flat", "amount": 5}}]}, "rules[0].restocking_fee.amount"),
        ({"keep_item_below": 500}, "keep_item_below"),
        ({"review": {"order_value_above": 100}}, "review.order_value_above"),
    ],
)
def test_a_new_policy_version_with_flat_amounts_must_name_their_currency(document, named):
    policy = ReturnPolicy.model_validate(document)  # a stored version still reads
    with pytest.raises(ValidationError) as err:
        policy.check_new_version()
    [error] = err.value.errors()
    assert error["loc"] == ("currency",) and named in error["msg"]
    ReturnPolicy.model_validate({**document, "currency": "usd"}).check_new_version()
    assert ReturnPolicy.model_validate({**document, "currency": "usd"}).currency == "USD"
    ReturnPolicy(return_shipping_fee=Fee(kind="percent", percent=5), markets=[US30]).check_new_version()  # nothing flat


SHIP = Fee(kind="flat", amount=595, waived_for_resolutions=[Resolution.STORE_CREDIT], waived_for_tiers=["gold"])
TWO = [line("L1", price=2_000), line("L2", sku="SKU-2", price=3_000)]


@pytest.mark.parametrize(
    "fee,lines,resolution,tier,expected,sentence",
    [
        (SHIP, TWO, Resolution.REFUND, None, 595, "Return shipping costs 5.95 USD"),  # once per return
        (Fee(kind="percent", percent=10), TWO, Resolution.REFUND, None, 500, "10% of the items' price"),
        (
            SHIP,
            [TWO[0], line("L2", reason=R.DEFECTIVE)],
            Resolution.REFUND,
            None,
            0,
            "Free return shipping because the item is defective",
        ),
        (SHIP, TWO, Resolution.STORE_CREDIT, None, 0, "Free return shipping because you chose store credit"),
        (SHIP, TWO, Resolution.REFUND, "gold", 0, "Free return shipping as a gold member"),
        (SHIP, TWO, Resolution.REFUND, "silver", 595, "Return shipping costs"),
        (
            Fee(kind="flat", amount=595),
            TWO,
            Resolution.REFUND,
            "platinum",
            0,
            "as a platinum member",
        ),  # waive_fees tier
        (
            Fee(kind="flat", amount=10_000),
            [line(price=1_000)],
            Resolution.REFUND,
            None,
            10_000,
            "Return shipping costs",
        ),
    ],
)
def test_return_shipping_fee_and_its_waivers(fee, lines, resolution, tier, expected, sentence):
    tiers = [LoyaltyTier(name="gold"), LoyaltyTier(name="silver"), LoyaltyTier(name="platinum", waive_fees=True)]
    q = quote(ReturnPolicy(return_shipping_fee=fee, tiers=tiers, currency="USD"), lines, resolution, tier=tier)
    assert q.return_shipping_fee.amount == expected
    paid = sum(l.unit_price * l.quantity for l in lines)
    assert q.refund_total.amount == max(paid - expected, 0)  # never below zero
    assert q.store_credit_total.amount == max(paid - expected, 0)
    assert q.settlement_amount.amount == max(paid - expected, 0)
    assert sentence in fired(q)


def test_no_shipping_fee_when_every_item_is_kept_or_nothing_is_eligible():
    gold = [LoyaltyTier(name="gold")]
    kept = quote(ReturnPolicy(return_shipping_fee=SHIP, keep_item_below=5_000, tiers=gold, currency="USD"), TWO[:1])
    assert kept.keep_items and kept.return_shipping_fee.amount == 0 and kept.settlement_amount.amount == 2_000
    late = quote(
        ReturnPolicy(return_shipping_fee=SHIP, tiers=gold, currency="USD"), TWO, at=DELIVERED + timedelta(days=90)
    )
    assert late.return_shipping_fee.amount == 0


# ---- resolutions and store credit ----------------------------------------------------------


@pytest.mark.parametrize(
    "markets,rules,allowed",
    [
        ([], [], list(Resolution)),
        ([Market(code="US", currency="USD", resolutions=[Resolution.REFUND])], [], [Resolution.REFUND]),
        (
            [],
            [rule(resolutions=[Resolution.EXCHANGE, Resolution.STORE_CREDIT])],
            [Resolution.STORE_CREDIT, Resolution.EXCHANGE],
        ),
        (
            [Market(code="US", currency="USD", resolutions=[Resolution.REFUND, Resolution.STORE_CREDIT])],
            [rule(resolutions=[Resolution.STORE_CREDIT, Resolution.EXCHANGE])],
            [Resolution.STORE_CREDIT],  # market and rule both have a say
        ),
        (
            [],
            [
                rule("a", priority=1, resolutions=[Resolution.REFUND]),
                rule("b", priority=2, match=RuleMatch(skus=["SKU-1"]), resolutions=[Resolution.EXCHANGE]),
            ],
            [Resolution.EXCHANGE],  # the higher priority wins
        ),
        ([Market(code="US", currency="USD", resolutions=[Resolution.REFUND])], [rule(exchange_only=True)], []),
    ],
)
def test_resolutions_by_market_and_rule(markets, rules, allowed):
    policy = ReturnPolicy(markets=markets, rules=rules)
    q = quote(policy)
    assert q.items[0].allowed_resolutions == allowed
    for resolution in Resolution:
        assert quote(policy, resolution=resolution).eligible is (resolution in allowed)
    if not allowed:
        assert quote(policy).reasons == [
            "SKU-1 can't be returned here: no refund, store credit or exchange is offered for it."
        ]


@pytest.mark.parametrize(
    "bonus,price,fee,markets,resolution,refund,credit,settlement",
    [
        (10, 10_000, None, [], Resolution.STORE_CREDIT, 10_000, 11_000, 11_000),
        (10, 999, None, [], Resolution.STORE_CREDIT, 999, 1_098, 1_098),  # 99.9 rounds down
        (10, 10_000, None, [], Resolution.REFUND, 10_000, 11_000, 10_000),  # shown, but a refund pays the refund
        (10, 10_000, PCT15, [], Resolution.STORE_CREDIT, 8_500, 9_350, 9_350),  # bonus on the value net of fees
        (0, 10_000, None, [], Resolution.STORE_CREDIT, 10_000, 10_000, 10_000),
        (
            10,
            10_000,
            None,
            [Market(code="US", currency="USD", resolutions=[Resolution.REFUND])],
            Resolution.REFUND,
            10_000,
            10_000,
            10_000,
        ),
    ],
)
def test_store_credit_bonus(bonus, price, fee, markets, resolution, refund, credit, settlement):
    policy = ReturnPolicy(
        markets=markets, store_credit_bonus_percent=bonus, rules=[rule(restocking_fee=fee)] if fee else []
    )
    q = quote(policy, [line(price=price)], resolution)
    assert (q.items[0].refund_amount.amount, q.items[0].store_credit_amount.amount) == (refund, credit)
    assert q.settlement_amount.amount == settlement
    assert q.store_credit_total.amount == credit and q.refund_total.amount == refund
    assert (f"{bonus}% bonus" in fired(q)) == (credit > refund)


# ---- keep the item -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "policy,lines,label_cost,kept,keep_all",
    [
        (ReturnPolicy(keep_item_below=500, currency="USD"), [line(price=499)], None, [True], True),
        (ReturnPolicy(keep_item_below=500, currency="USD"), [line(price=500)], None, [False], False),  # strictly below
        (
            ReturnPolicy(keep_item_below=500, currency="USD"),
            [line(price=300, qty=2)],
            None,
            [False],
            False,
        ),  # the line's paid value
        (
            ReturnPolicy(keep_item_below=500, currency="USD"),
            [line(price=100), line("L2", price=900)],
            None,
            [True, False],
            False,
        ),
        (ReturnPolicy(keep_item_below_label_cost=True), [line(price=700)], 800, [True], True),
        (ReturnPolicy(keep_item_below_label_cost=True), [line(price=800)], 800, [False], False),
        (ReturnPolicy(keep_item_below_label_cost=True), [line(price=1)], None, [False], False),  # no estimate
        (ReturnPolicy(keep_item_below_label_cost=False), [line(price=1)], 800, [False], False),
        (  # a fee comes off but the decision is on the paid value
            ReturnPolicy(
                keep_item_below=500, rules=[rule(restocking_fee=Fee(kind="percent", percent=50))], currency="USD"
            ),
            [line(price=600)],
            None,
            [False],
            False,
        ),
    ],
)
def test_keep_the_item(policy, lines, label_cost, kept, keep_all):
    q = quote(policy, lines, label_cost=label_cost)
    assert [i.keep_item for i in q.items] == kept
    assert q.keep_items is keep_all
    assert any(s.startswith("Keep this item") for s in q.rules_fired) == any(kept)


def test_keep_item_threshold_is_not_applied_across_currencies_and_needs_an_eligible_item():
    policy = ReturnPolicy(markets=[US30], keep_item_below=500)
    assert not quote(policy, [line(price=10)], currency="EUR").keep_items
    assert quote(policy, [line(price=10)], currency="USD").keep_items
    assert not quote(policy, [line(price=10)], at=DELIVERED + timedelta(days=60)).keep_items


# ---- review ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "review,order_value,reasons,expected",
    [
        (ReviewRules(), 10**9, [R.NOT_AS_DESCRIBED], []),
        (
            ReviewRules(order_value_above=50_000),
            50_001,
            [R.TOO_SMALL],
            ["The order value 500.01 USD is above the review threshold of 500.00 USD."],
        ),
        (ReviewRules(order_value_above=50_000), 50_000, [R.TOO_SMALL], []),  # strictly above
        (
            ReviewRules(reasons=[R.NOT_AS_DESCRIBED]),
            1,
            [R.NOT_AS_DESCRIBED, R.NOT_AS_DESCRIBED],
            ["Returns for reason 'not_as_described' are reviewed by hand."],
        ),
        (ReviewRules(reasons=[R.NOT_AS_DESCRIBED]), 1, [R.TOO_SMALL], []),
        (
            ReviewRules(order_value_above=0, reasons=[R.CHANGED_MIND]),
            1,
            [R.CHANGED_MIND],
            [
                "The order value 0.01 USD is above the review threshold of 0.00 USD.",
                "Returns for reason 'changed_mind' are reviewed by hand.",
            ],
        ),
    ],
)
def test_review_by_order_value_and_by_reason(review, order_value, reasons, expected):
    lines = [line(f"L{i}", reason=r) for i, r in enumerate(reasons)]
    q = quote(ReturnPolicy(review=review, currency="USD"), lines, order_value=order_value)
    assert q.review_reasons == expected and q.needs_review is bool(expected)
    assert q.eligible  # review holds a return; it does not refuse it


# ---- tiers -------------------------------------------------------------------------------------

TIERS = ReturnPolicy(
    tiers=[
        LoyaltyTier(name="silver", extra_window_days=15),
        LoyaltyTier(name="gold", extra_window_days=30, instant_refund=True),
    ],
    rules=[rule(match=RuleMatch(categories=["shoes"]), window_days=10)],
)


@pytest.mark.parametrize(
    "tier,category,days,instant",
    [
        (None, "apparel", 30, False),
        ("silver", "apparel", 45, False),
        ("Gold", "apparel", 60, True),
        ("gold", "shoes", 40, True),  # extra days on top of a rule's window
        ("platinum", "apparel", 30, False),  # a tier the policy doesn't know: no benefits
    ],
)
def test_loyalty_tiers(tier, category, days, instant):
    q = quote(TIERS, [line(category=category)], tier=tier)
    assert q.items[0].window_ends_at == DELIVERED + timedelta(days=days)
    assert q.instant_refund is instant
    assert ("instantly" in fired(q)) is instant
    assert ("extra days" in fired(q)) is (tier is not None and tier.lower() in {"silver", "gold"})


# ---- the whole quote ---------------------------------------------------------------------------


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        quote(ReturnPolicy(), at=datetime(2026, 10, 2))
    naive = ReturnContext(
        order=OrderFacts(order_id="o", currency="USD", placed_at=datetime(2026, 10, 1)),
        destination_country="US",
        order_value=1,
    )
    with pytest.raises(ValueError, match="placed_at"):
        evaluate(ReturnPolicy(), naive, [line()], Resolution.REFUND, SOON)


def test_an_empty_return_is_not_eligible():
    q = quote(ReturnPolicy(), [])
    assert not q.eligible and q.reasons == ["The return has no items."] and not q.keep_items


def test_reasons_are_the_union_of_item_reasons_without_repeats():
    lines = [line("L1", category="gift_cards"), line("L2"), line("L3")]
    q = quote(FINAL, lines, at=DELIVERED + timedelta(days=40))
    assert q.reasons == ["SKU-1 is final sale and can't be returned.", "The 30-day return window ended on 2026-11-03."]
    assert [i.eligible for i in q.items] == [False, False, False]


def test_only_eligible_items_count_and_ineligible_quote_settles_nothing():
    lines = [line("L1", category="gift_cards", price=7_000), line("L2", price=3_000)]
    q = quote(FINAL, lines)
    assert [i.refund_amount.amount for i in q.items] == [0, 3_000]
    assert q.refund_total.amount == 3_000 and q.settlement_amount.amount == 0


def test_example_policy_validates_and_quotes_as_documented():
    policy = ReturnPolicy.model_validate(EXAMPLE_POLICY)
    policy.check_new_version()  # PUT /v1/policy takes it as it is
    assert example_policy() == EXAMPLE_POLICY and example_policy() is not EXAMPLE_POLICY
    assert [m.code for m in policy.markets] == ["NL", "EU", "US"]
    tv = line(category="electronics", price=20_000)
    refund = quote(policy, [tv], country="NL", currency="EUR")
    assert refund.market == "NL" and refund.items[0].restocking_fee.amount == 3_000
    assert refund.return_shipping_fee.amount == 595 and refund.settlement_amount.amount == 20_000 - 3_000 - 595
    assert "Electronics carry a 15% restocking fee, waived for store credit and exchanges." in refund.rules_fired
    credit = quote(policy, [tv], Resolution.STORE_CREDIT, country="DE", currency="EUR")
    assert credit.market == "EU" and credit.settlement_amount.amount == 22_000  # no fees, 10% bonus
    gold = quote(policy, [tv], country="US", tier="gold")
    assert gold.settlement_amount.amount == 20_000 and gold.instant_refund
    assert gold.items[0].window_ends_at == DELIVERED + timedelta(days=60)
    socks = quote(policy, [line(price=450)], country="NL", currency="EUR")
    assert socks.keep_items and socks.settlement_amount.amount == 450
    swim = quote(policy, [line(category="swimwear", reason=R.DEFECTIVE)], country="NL", currency="EUR")
    assert swim.items[0].inspection_required and swim.items[0].photos_required and swim.needs_review is False
    held = quote(policy, [line(reason=R.NOT_AS_DESCRIBED)], country="NL", currency="EUR", order_value=60_000)
    assert len(held.review_reasons) == 2
    assert not quote(policy, [line(category="gift_cards")], country="NL", currency="EUR").eligible


def test_policy_round_trips_through_json():
    policy = ReturnPolicy.model_validate(EXAMPLE_POLICY)
    assert ReturnPolicy.model_validate_json(policy.model_dump_json()) == policy


def test_known_markets():
    assert len(EU_COUNTRIES) == 27 and {"NL", "DE", "GR", "HU"} <= EU_COUNTRIES and "GB" not in EU_COUNTRIES
    assert KNOWN_MARKET_CODES["EU"] == EU_COUNTRIES
    assert {c for c in KNOWN_MARKET_CODES if c != "EU"} == EU_COUNTRIES | {"US", "GB", "CA", "AU"}


# ---- invalid policies name the field and the problem ---------------------------------------------


def api_path(loc: tuple) -> str:
    """A pydantic error location as the API prints it: rules[1].priority."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


OK_RULE = {"id": "a", "match": {"categories": ["shoes"]}, "window_days": 10}


@pytest.mark.parametrize(
    "document,field,problem",
    [
        ({"markets": [{"code": "XX", "currency": "EUR"}]}, "markets[0].code", "unknown market 'XX'"),
        (
            {"markets": [{"code": "US", "currency": "USD"}, {"code": "us", "currency": "USD"}]},
            "markets[1].code",
            "already markets[0]",
        ),
        (
            {"markets": [{"code": "EU", "window_days": 7, "currency": "EUR"}]},
            "markets[0].window_days",
            "EU statutory 14-day withdrawal period",
        ),
        (
            {"markets": [{"code": "NL", "window_days": 13, "currency": "EUR"}]},
            "markets[0].window_days",
            "EU statutory 14-day withdrawal period",
        ),
        (
            {"markets": [{"code": "US", "window_days": -1, "currency": "USD"}]},
            "markets[0].window_days",
            "greater than or equal to 0",
        ),
        ({"markets": [{"code": "US", "currency": "US1"}]}, "markets[0].currency", "ISO 4217"),
        (
            {"markets": [{"code": "US", "currency": "USD", "resolutions": []}]},
            "markets[0].resolutions",
            "at least one resolution",
        ),
        (
            {"return_shipping_fee": {"kind": "flat", "amount": -5}},
            "return_shipping_fee.amount",
            "greater than or equal to 0",
        ),
        (
            {"return_shipping_fee": {"kind": "percent", "percent": 101}},
            "return_shipping_fee.percent",
            "less than or equal to 100",
        ),
        (
            {"return_shipping_fee": {"kind": "percent", "amount": 5}},
            "return_shipping_fee.amount",
            "a percent fee takes `percent`",
        ),
        (
            {"return_shipping_fee": {"kind": "flat", "percent": 5}},
            "return_shipping_fee.percent",
            "a flat fee takes `amount`",
        ),
        ({"return_shipping_fee": {"kind": "gratis"}}, "return_shipping_fee.kind", "'flat' or 'percent'"),
        (
            {"rules": [{**OK_RULE, "restocking_fee": {"kind": "flat", "amount": -1}}]},
            "rules[0].restocking_fee.amount",
            "greater than or equal to 0",
        ),
        ({"store_credit_bonus_percent": 150}, "store_credit_bonus_percent", "less than or equal to 100"),
        ({"store_credit_bonus_percent": -1}, "store_credit_bonus_percent", "greater than or equal to 0"),
        ({"keep_item_below": -1}, "keep_item_below", "greater than or equal to 0"),
        ({"review": {"order_value_above": -1}}, "review.order_value_above", "greater than or equal to 0"),
        ({"default_window_days": -1}, "default_window_days", "greater than or equal to 0"),
        (
            {"rules": [OK_RULE, {**OK_RULE, "id": "b", "window_days": 20}]},
            "rules[1].priority",
            "overlapping rules 'a' and 'b'",
        ),
        (
            {"rules": [OK_RULE, {**OK_RULE, "id": "b", "window_days": 20, "priority": 1}]},
            "rules[1].priority",
            "need a priority",
        ),
        (
            {"rules": [{**OK_RULE, "priority": 1}, {**OK_RULE, "id": "b", "window_days": 20, "priority": 1}]},
            "rules[1].priority",
            "different ones",
        ),
        (
            {
                "rules": [
                    {"id": "a", "match": {"tags": ["x"]}, "resolutions": ["refund"]},
                    {"id": "b", "match": {"tags": ["y"]}, "resolutions": ["exchange"]},
                ]
            },
            "rules[1].priority",
            "set resolutions differently",  # a line can carry both tags
        ),
        (
            {
                "rules": [
                    {"id": "a", "restocking_fee": {"kind": "percent", "percent": 5}},
                    {"id": "b", "match": {"skus": ["S"]}, "restocking_fee": {"kind": "flat", "amount": 5}},
                ]
            },
            "rules[1].priority",
            "set restocking_fee differently",
        ),
        (
            {"rules": [OK_RULE, {**OK_RULE, "window_days": 11, "priority": 3}]},
            "rules[1].id",
            "rule id 'a' is already used",
        ),
        ({"rules": [{"id": "", "match": {}}]}, "rules[0].id", "at least 1 character"),
        (
            {"rules": [{"id": "a", "match": {"price_min": 500, "price_max": 100}}]},
            "rules[0].match.price_max",
            "100 is below price_min 500",
        ),
        (
            {"rules": [{"id": "a", "exchange_only": True, "resolutions": ["refund"]}]},
            "rules[0].resolutions",
            "an exchange_only rule must allow exchange",
        ),
        ({"rules": [{"id": "a", "resolutions": []}]}, "rules[0].resolutions", "at least one resolution"),
        ({"rules": [{"id": "a", "window_days": -3}]}, "rules[0].window_days", "greater than or equal to 0"),
        ({"tiers": [{"name": "gold"}, {"name": "Gold"}]}, "tiers[1].name", "tier 'Gold' is already tiers[0]"),
        (
            {"tiers": [{"name": "gold", "extra_window_days": -1}]},
            "tiers[0].extra_window_days",
            "greater than or equal to 0",
        ),
        (
            {"return_shipping_fee": {"kind": "flat", "waived_for_tiers": ["platinum"]}},
            "return_shipping_fee.waived_for_tiers[0]",
            "unknown tier 'platinum'",
        ),
        (
            {"rules": [{"id": "a", "restocking_fee": {"kind": "flat", "waived_for_tiers": ["vip"]}}]},
            "rules[0].restocking_fee.waived_for_tiers[0]",
            "unknown tier 'vip'",
        ),
        (
            {"window_days": 30},
            "window_days",
            "Extra inputs are not permitted",
        ),  # the old field: typos don't pass silently
    ],
)
def test_invalid_policies_name_the_field_and_the_problem(document, field, problem):
    with pytest.raises(ValidationError) as err:
        ReturnPolicy.model_validate(document)
    found = [(api_path(e["loc"]), e["msg"]) for e in err.value.errors()]
    assert any(where == field and problem in msg for where, msg in found), found


def test_every_problem_is_reported_at_once():
    document = {
        "markets": [{"code": "US", "currency": "USD"}, {"code": "US", "currency": "USD"}],
        "rules": [OK_RULE, {**OK_RULE, "id": "b", "window_days": 20}],
        "tiers": [{"name": "gold"}, {"name": "gold"}],
    }
    with pytest.raises(ValidationError) as err:
        ReturnPolicy.model_validate(document)
    assert [api_path(e["loc"]) for e in err.value.errors()] == ["markets[1].code", "rules[1].priority", "tiers[1].name"]


@pytest.mark.parametrize(
    "rules",
    [
        [{**OK_RULE, "priority": 1}, {**OK_RULE, "id": "b", "window_days": 20, "priority": 2}],
        [
            OK_RULE,
            {"id": "b", "match": {"categories": ["bags"]}, "window_days": 20},
        ],  # can't overlap: one category per line
        [
            {"id": "a", "match": {"skus": ["A"]}, "window_days": 1},
            {"id": "b", "match": {"skus": ["B"]}, "window_days": 2},
        ],
        [
            {"id": "a", "match": {"price_max": 99}, "window_days": 1},
            {"id": "b", "match": {"price_min": 100}, "window_days": 2},
        ],
        [OK_RULE, {"id": "b", "match": {"categories": ["shoes"]}, "final_sale": True}],  # different fields
        [OK_RULE, {**OK_RULE, "id": "b"}],  # same value: nothing to decide
        [
            {"id": "a", "final_sale": True},
            {"id": "b", "final_sale": True, "photos_required_for": ["defective"]},
        ],  # flags combine
    ],
)
def test_rules_that_cannot_conflict_need_no_priority(rules):
    assert len(ReturnPolicy.model_validate({"rules": rules}).rules) == len(rules)


def test_a_policy_is_immutable():
    policy = ReturnPolicy()
    with pytest.raises(ValidationError):
        policy.default_window_days = 3  # type: ignore[misc]
