"""The policy's shopper sentences in nl, en, de, fr (`Words`), and the recorded English that must never change.

The portal asks `evaluate(..., words=Words(gettext, language, timezone))`; a workflow records
`evaluate(...)` with no words: English, ISO dates, "5.95 EUR", byte for byte as before.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from activities.translations import gettext_for, translations
from domain.money import Money
from domain.policy import (
    RECORDED,
    Fee,
    Label,
    LoyaltyTier,
    Market,
    ProductRule,
    Quote,
    ReturnContext,
    ReturnPolicy,
    RuleMatch,
    Words,
    evaluate,
    label,
    reason_label,
    resolution_label,
)
from domain.returns import OrderFacts, Resolution, ReturnLine, ReturnReason
from domain.shopper_locale import money

PLACED = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
DELIVERED = PLACED + timedelta(days=3)  # the 30-day window ends 2026-11-03 12:00 UTC
SOON = DELIVERED + timedelta(days=2)
LATE = DELIVERED + timedelta(days=40)
EU = Market(code="EU", window_days=30, transit_allowance_days=7, currency="EUR")

POLICY = ReturnPolicy(
    currency="EUR",
    markets=[EU],
    rules=[
        ProductRule(id="fs", match=RuleMatch(skus=["FS-1"]), final_sale=True),
        ProductRule(
            id="rf",
            match=RuleMatch(skus=["RF-1"]),
            restocking_fee=Fee(kind="flat", amount=595),
            resolutions=[Resolution.REFUND, Resolution.EXCHANGE],
            priority=1,
        ),
        ProductRule(id="ph", match=RuleMatch(skus=["RF-1"]), photos_required_for=[ReturnReason.TOO_SMALL]),
    ],
    return_shipping_fee=Fee(kind="percent", percent=10, waived_for_resolutions=[Resolution.EXCHANGE]),
    store_credit_bonus_percent=10,
    tiers=[LoyaltyTier(name="gold", extra_window_days=5, instant_refund=True)],
)


def context(tier: str | None = None, delivered: datetime | None = DELIVERED) -> ReturnContext:
    return ReturnContext(
        order=OrderFacts(order_id="o1", currency="EUR", placed_at=PLACED, delivered_at=delivered),
        destination_country="NL",
        customer_tier=tier,
        order_value=20_000,
    )


def line(sku: str, reason: ReturnReason = ReturnReason.TOO_SMALL, line_id: str = "L1") -> ReturnLine:
    return ReturnLine(line_id=line_id, sku=sku, quantity=1, unit_price=5_000, category="apparel", reason=reason)


TWO_LINES = [line("FS-1", line_id="L1"), line("RF-1", line_id="L2")]


@pytest.fixture(scope="module")
def words() -> dict[str, Words]:
    translations.cache_clear()  # the catalogues as they are on disk now
    return {lang: Words(gettext_for(lang), lang) for lang in ("nl", "en", "de", "fr")}


# ---- the recorded English does not change --------------------------------------------------------


def test_the_recorded_quote_is_todays_english_byte_for_byte():
    """These sentences were printed by the code before `Words` existed (and tests/replay replays real histories)."""
    soon = evaluate(POLICY, context(), TWO_LINES, Resolution.STORE_CREDIT, SOON)
    assert soon.reasons == [
        "FS-1 is final sale and can't be returned.",
        "Store credit is not available for RF-1; choose a refund or an exchange.",
    ]
    assert soon.rules_fired == [
        "Returns to the EU can be made within 30 days of delivery.",
        "This item is final sale and can't be returned.",
        "This item can be returned for a refund or an exchange.",
        "A restocking fee of 5.95 EUR per item applies.",
        "Please add photos: they are needed when the item is too small.",
        "Return shipping costs 10% of the items' price, taken off what you get back.",
    ]
    late = evaluate(POLICY, context(tier="gold", delivered=None), [line("RF-1")], Resolution.EXCHANGE, LATE)
    assert late.items[0].reasons == ["The 35-day return window ended on 2026-11-12."]
    assert late.rules_fired == [
        "Returns to the EU can be made within 30 days of delivery.",
        "We have no delivery date, so the window starts 7 days after the order was placed.",
        "As a gold member you get 5 extra days to return.",
        "This item can be returned for a refund or an exchange.",
        "Please add photos: they are needed when the item is too small.",
        "As a gold member you are refunded instantly.",
    ]
    waived = evaluate(POLICY, context(), [line("RF-1", ReturnReason.DEFECTIVE)], Resolution.EXCHANGE, SOON)
    assert waived.items[0].rules_fired == [
        "This item can be returned for a refund or an exchange.",
        "A restocking fee of 5.95 EUR per item applies.",
        "No restocking fee because the item is defective.",
    ]
    assert waived.rules_fired == [
        "Returns to the EU can be made within 30 days of delivery.",
        "This item can be returned for a refund or an exchange.",
        "A restocking fee of 5.95 EUR per item applies.",
        "No restocking fee because the item is defective.",
        "Free return shipping because the item is defective.",
    ]


@pytest.mark.parametrize("at", [SOON, LATE])
@pytest.mark.parametrize("resolution", list(Resolution))
def test_no_words_and_the_recorded_words_are_one_and_the_same(at, resolution):
    plain = evaluate(POLICY, context("gold"), TWO_LINES, resolution, at)
    assert evaluate(POLICY, context("gold"), TWO_LINES, resolution, at, words=RECORDED) == plain
    assert evaluate(POLICY, context("gold"), TWO_LINES, resolution, at, words=Words()) == plain


WORDED = {"reasons", "rules_fired"}


def _decisions(quote: Quote) -> dict:
    """The quote without its shopper sentences: every amount, flag and date."""
    out = quote.model_dump(exclude=WORDED)
    out["items"] = [item.model_dump(exclude=WORDED) for item in quote.items]
    return out


@pytest.mark.parametrize("lang", ["nl", "en", "de", "fr"])
@pytest.mark.parametrize("resolution", list(Resolution))
def test_a_language_changes_the_sentences_never_the_decision(words, lang, resolution):
    recorded = evaluate(POLICY, context("gold"), TWO_LINES, resolution, SOON)
    spoken = evaluate(POLICY, context("gold"), TWO_LINES, resolution, SOON, words=words[lang])
    assert _decisions(spoken) == _decisions(recorded)
    assert len(spoken.rules_fired) == len(recorded.rules_fired) and len(spoken.reasons) == len(recorded.reasons)
    if lang != "en":
        assert not set(spoken.rules_fired) & set(recorded.rules_fired)


# ---- what the portal shows, per language ----------------------------------------------------------

FINAL_SALE = {
    "nl": "FS-1 is uitgesloten van retourneren.",
    "en": "FS-1 is final sale and can't be returned.",
    "de": "FS-1 ist von der Rückgabe ausgeschlossen.",
    "fr": "FS-1 est vendu sans possibilité de retour.",
}


@pytest.mark.parametrize("lang", FINAL_SALE)
def test_a_final_sale_refusal(words, lang):
    quote = evaluate(POLICY, context(), [line("FS-1")], Resolution.REFUND, SOON, words=words[lang])
    assert not quote.eligible
    assert quote.items[0].reasons == [FINAL_SALE[lang]]
    assert quote.reasons == [FINAL_SALE[lang]]


WINDOW_ENDED = {
    "nl": "De retourtermijn van 30 dagen is op 3 november 2026 verlopen.",
    "en": "The 30-day return window ended on November 3, 2026.",
    "de": "Die Rückgabefrist von 30 Tagen ist am 3. November 2026 abgelaufen.",
    "fr": "Le délai de retour de 30 jours a pris fin le 3 novembre 2026.",
}


@pytest.mark.parametrize("lang", WINDOW_ENDED)
def test_a_window_ended_refusal_dates_the_end_as_the_language_writes_it(words, lang):
    quote = evaluate(POLICY, context(), [line("RF-1")], Resolution.REFUND, LATE, words=words[lang])
    assert quote.items[0].reasons == [WINDOW_ENDED[lang]]


def test_the_window_ends_on_the_merchants_day():
    """23:30 UTC on 3 November is already 4 November in Amsterdam; the recorded date stays UTC's."""
    delivered = datetime(2026, 10, 4, 23, 30, tzinfo=UTC)
    late = delivered + timedelta(days=40)
    amsterdam = Words(gettext_for("nl"), "nl", timezone="Europe/Amsterdam")
    utc = Words(gettext_for("nl"), "nl")
    ctx = context(delivered=delivered)
    assert (
        "op 4 november 2026"
        in evaluate(POLICY, ctx, [line("RF-1")], Resolution.REFUND, late, words=amsterdam).reasons[0]
    )
    assert "op 3 november 2026" in evaluate(POLICY, ctx, [line("RF-1")], Resolution.REFUND, late, words=utc).reasons[0]
    assert "2026-11-03" in evaluate(POLICY, ctx, [line("RF-1")], Resolution.REFUND, late).reasons[0]


RESTOCKING = {
    "nl": "We rekenen € 5,95 verwerkingskosten per artikel.",
    "en": "A restocking fee of €5.95 per item applies.",
    "de": "Es fällt eine Wiedereinlagerungsgebühr von 5,95 € pro Artikel an.",
    "fr": "Des frais de remise en stock de 5,95 € par article s'appliquent.",
}


@pytest.mark.parametrize("lang", RESTOCKING)
def test_a_restocking_fee_with_money_as_the_language_writes_it(words, lang):
    quote = evaluate(POLICY, context(), [line("RF-1")], Resolution.REFUND, SOON, words=words[lang])
    fired = [s.replace("\xa0", " ") for s in quote.items[0].rules_fired]
    assert RESTOCKING[lang] in fired
    assert money(Money(amount=595, currency="EUR"), lang) in quote.items[0].rules_fired[1]
    assert quote.items[0].restocking_fee == Money(amount=595, currency="EUR")


NOT_OFFERED = {
    "nl": "Tegoed is niet mogelijk voor RF-1; kies een terugbetaling of een omruiling.",
    "en": "Store credit is not available for RF-1; choose a refund or an exchange.",
    "de": "RF-1 kann nicht gegen ein Guthaben zurückgegeben werden; bitte wählen Sie eine Erstattung oder einen Umtausch.",
    "fr": "Un avoir n'est pas possible pour RF-1 ; choisissez un remboursement ou un échange.",
}


@pytest.mark.parametrize("lang", NOT_OFFERED)
def test_a_resolution_not_offered_names_the_others_in_the_language(words, lang):
    quote = evaluate(POLICY, context(), [line("RF-1")], Resolution.STORE_CREDIT, SOON, words=words[lang])
    assert [r.replace("\xa0", " ") for r in quote.reasons] == [NOT_OFFERED[lang]]


WAIVED = {
    "nl": ("Geen verwerkingskosten, omdat het artikel defect is.", "Gratis retourneren, omdat het artikel defect is."),
    "de": (
        "Keine Wiedereinlagerungsgebühr, weil der Artikel defekt ist.",
        "Kostenlose Rücksendung, weil der Artikel defekt ist.",
    ),
    "fr": (
        "Pas de frais de remise en stock, car l'article est défectueux.",
        "Retour gratuit, car l'article est défectueux.",
    ),
}


@pytest.mark.parametrize("lang", WAIVED)
def test_a_waiver_says_why_in_a_whole_sentence(words, lang):
    quote = evaluate(
        POLICY, context(), [line("RF-1", ReturnReason.DEFECTIVE)], Resolution.REFUND, SOON, words=words[lang]
    )
    no_fee, free_shipping = WAIVED[lang]
    assert no_fee in quote.items[0].rules_fired
    assert free_shipping in quote.rules_fired


LABELS = {
    "nl": ("Te klein", "Terugbetaling", "Tegoed", "Verwerkingskosten", "Artikel houden"),
    "en": ("Too small", "Refund", "Store credit", "Restocking fee", "Keep the item"),
    "de": ("Zu klein", "Erstattung", "Guthaben", "Wiedereinlagerungsgebühr", "Artikel behalten"),
    "fr": ("Trop petit", "Remboursement", "Avoir", "Frais de remise en stock", "Conserver l'article"),
}


@pytest.mark.parametrize("lang", LABELS)
def test_labels(lang):
    _ = gettext_for(lang)
    small, refund, credit, fee, keep = LABELS[lang]
    assert reason_label(ReturnReason.TOO_SMALL, _) == small
    assert resolution_label(Resolution.REFUND, _) == refund
    assert resolution_label(Resolution.STORE_CREDIT, _) == credit
    assert label(Label.RESTOCKING_FEE, _) == fee
    assert label(Label.KEEP_ITEM, _) == keep
    every = [reason_label(r, _) for r in ReturnReason] + [resolution_label(r, _) for r in Resolution]
    every += [label(x, _) for x in Label]
    assert len(set(every)) == len(every) and all(every)


def test_the_portal_note_of_a_returnable_line():
    ends = datetime(2026, 11, 3, 12, tzinfo=UTC)
    assert Words(gettext_for("de"), "de").returnable_until(ends) == "Rückgabe bis 3. November 2026 möglich"
    assert Words(gettext_for("fr"), "fr").returnable_until(ends) == "Retour possible jusqu'au 3 novembre 2026"
