"""What a quote says to the shopper (`ItemQuote.reasons`, `Quote.reasons`, `rules_fired`), in a language.

`Words` is the policy's voice: `evaluate` words every sentence through the one it is given.

    from activities.translations import gettext_for           # or the portal's own `_`
    from domain.policy import Words, evaluate

    words = Words(gettext_for(lang), lang, timezone=merchant.timezone)
    quote = evaluate(policy, ctx, lines, resolution, at, words=words)
    quote.items[0].reasons  # ["De retourtermijn van 30 dagen is op 3 november 2026 verlopen."]
    quote.reasons           # every item's reasons, and a resolution not offered, in `lang`
    quote.rules_fired       # ["Retourneren kan binnen 30 dagen na levering (Europese Unie).", ...]

- `Words(gettext, language, timezone=None)`: `gettext` translates a msgid of the `policy` domain
  (locale/<lang>/LC_MESSAGES/policy.po); `language` ("nl", "en", "de", "fr") formats dates with
  Babel (the window's end: nl "3 november 2026", de "3. November 2026", fr "3 novembre 2026", en
  "November 3, 2026"), money with `domain.shopper_locale.money` (nl "€ 141,90") and lists ("a, b of
  c"); `timezone` (IANA, the merchant's) is the zone the window's last day is read in (default: UTC).
- `RECORDED` (the default of `evaluate`): the English a workflow records, byte for byte as it always
  was (ISO dates, "5.95 EUR"). A recorded quote's wording never changes: replayed histories depend on it.
- What is not translated: a rule's `description` (the merchant's own words, shown as written), SKUs,
  tier names and currency codes, and `Quote.review_reasons` (English, for the reviewer:
  `review_wording`).
- Short labels live in `phrases`: `reason_label(reason, gettext)`, `resolution_label(resolution,
  gettext)`, `label(Label.RESTOCKING_FEE, gettext)`, ...

Every template is a msgid marked with `N_` (found by `pybabel extract -F babel.cfg`), translated by
`gettext` when used, then filled with `% {name: value}`. Only sentences live here; what is decided
is `evaluation`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date
from babel.lists import format_list

from domain.money import Money, money_text
from domain.policy.parts import EU_STATUTORY_WITHDRAWAL_DAYS, LoyaltyTier, Market
from domain.policy.phrases import N_, PLACE_NAMES, REASON_PHRASE, RESOLUTION_PHRASE, Gettext, english, or_list
from domain.returns import Resolution, ReturnReason
from domain.shopper_locale import money

__all__ = ["RECORDED", "Waiver", "Words"]

Waiver = ReturnReason | Resolution | LoyaltyTier  # why a fee is waived: the line's reason, the resolution, the tier


@dataclass(frozen=True)
class Words:
    """The shopper's sentences in `gettext`'s language; `language` None: the recorded English."""

    gettext: Gettext = english
    language: str | None = None
    timezone: str | None = None

    # ---- formatting ----------------------------------------------------------------------------

    def _say(self, template: str, **params: object) -> str:
        text = self.gettext(template)
        return text % params if params else text

    @property
    def _recorded(self) -> bool:
        return self.language is None

    def money(self, amount: int, currency: str) -> str:
        if self._recorded:
            return money_text(amount, currency)
        return money(Money(amount=amount, currency=currency), self.language)  # type: ignore[arg-type]

    def date(self, at: datetime) -> str:
        """The day `at` falls on: ISO when recorded, else long form in the language and zone."""
        if self._recorded:
            return at.date().isoformat()
        local = at.astimezone(ZoneInfo(self.timezone or "UTC"))
        return format_date(local.date(), "long", locale=self.language)

    def place(self, code: str) -> str:
        if self.language in (None, "en"):
            return PLACE_NAMES.get(code, code)
        return Locale.parse(self.language).territories.get(code, code)

    def either(self, items: list[str]) -> str:
        """ "a refund, store credit or an exchange"."""
        if self.language in (None, "en"):
            return or_list(items)
        return format_list(items, style="or", locale=self.language)

    def reason(self, reason: ReturnReason) -> str:
        return self.gettext(REASON_PHRASE[reason])

    def resolution(self, resolution: Resolution) -> str:
        return self.gettext(RESOLUTION_PHRASE[resolution])

    def resolutions(self, resolutions: list[Resolution]) -> str:
        return self.either([self.resolution(r) for r in resolutions])

    # ---- one item --------------------------------------------------------------------------------

    def final_sale_waived(self, reason: ReturnReason) -> str:
        return self._say(N_("Final-sale terms don't apply because %(reason)s."), reason=self.reason(reason))

    def final_sale(self) -> str:
        return self._say(N_("This item is final sale and can't be returned."))

    def final_sale_reason(self, sku: str) -> str:
        return self._say(N_("%(sku)s is final sale and can't be returned."), sku=sku)

    def rule_window(self, days: int) -> str:
        return self._say(N_("Items like this one can be returned within %(days)s days."), days=days)

    def eu_minimum(self) -> str:
        return self._say(
            N_("EU law gives you at least %(days)s days to return this item."), days=EU_STATUTORY_WITHDRAWAL_DAYS
        )

    def window_ended(self, days: int, ends: datetime) -> str:
        return self._say(N_("The %(days)s-day return window ended on %(date)s."), days=days, date=self.date(ends))

    def returnable_until(self, ends: datetime) -> str:
        """Not in a quote: the portal's note on a returnable line."""
        return self._say(N_("Returnable until %(date)s"), date=self.date(ends))

    def rule_resolutions(self, resolutions: list[Resolution]) -> str:
        return self._say(
            N_("This item can be returned for %(resolutions)s."), resolutions=self.resolutions(resolutions)
        )

    def exchange_only(self) -> str:
        return self._say(N_("This item can only be exchanged."))

    def inspected(self) -> str:
        return self._say(N_("This item is inspected when it arrives, before the return is settled."))

    def photos_needed(self, reason: ReturnReason) -> str:
        return self._say(N_("Please add photos: they are needed when %(reason)s."), reason=self.reason(reason))

    def percent_restocking_fee(self, percent: int) -> str:
        return self._say(N_("A %(percent)s%% restocking fee applies to this item."), percent=percent)

    def flat_restocking_fee(self, amount: int, currency: str) -> str:
        return self._say(N_("A restocking fee of %(amount)s per item applies."), amount=self.money(amount, currency))

    def no_restocking_fee(self, why: Waiver) -> str:
        if isinstance(why, ReturnReason):
            return self._say(N_("No restocking fee because %(reason)s."), reason=self.reason(why))
        if isinstance(why, Resolution):
            return self._say(N_("No restocking fee because you chose %(resolution)s."), resolution=self.resolution(why))
        return self._say(N_("No restocking fee as a %(tier)s member."), tier=why.name)

    def restocking_fee_not_charged(self, amounts_currency: str | None, currency: str) -> str:
        """A flat restocking fee priced in another currency than the order's (or in none)."""
        if amounts_currency is None:
            template = N_(
                "No restocking fee: the policy does not say which currency it is in, and this order is in %(currency)s."
            )
            return self._say(template, currency=currency)
        template = N_("No restocking fee: it is priced in %(fee_currency)s, and this order is in %(currency)s.")
        return self._say(template, fee_currency=amounts_currency, currency=currency)

    def keep_below(self, amount: int, currency: str) -> str:
        return self._say(
            N_("Keep this item: items under %(amount)s don't need to be sent back."),
            amount=self.money(amount, currency),
        )

    def keep_below_label_cost(self) -> str:
        return self._say(N_("Keep this item: sending it back would cost more than it is worth."))

    # ---- the whole return ------------------------------------------------------------------------

    def no_items(self) -> str:
        return self._say(N_("The return has no items."))

    def window_days(self, market: Market | None, days: int) -> str:
        if market is None:
            return self._say(N_("Returns can be made within %(days)s days of delivery."), days=days)
        return self._say(
            # TRANSLATORS: %(place)s is a country or the EU, without article ("Nederland", "Europese Unie").
            N_("Returns to %(place)s can be made within %(days)s days of delivery."),
            place=self.place(market.code),
            days=days,
        )

    def no_delivery_date(self, allowance: int) -> str:
        return self._say(
            N_("We have no delivery date, so the window starts %(days)s days after the order was placed."),
            days=allowance,
        )

    def tier_extra_days(self, tier: LoyaltyTier) -> str:
        return self._say(
            N_("As a %(tier)s member you get %(days)s extra days to return."),
            tier=tier.name,
            days=tier.extra_window_days,
        )

    def resolution_not_offered(self, resolution: Resolution, sku: str, allowed: list[Resolution]) -> str:
        if allowed:
            text = self._say(
                # TRANSLATORS: the first letter of the sentence is capitalized after filling it in.
                N_("%(resolution)s is not available for %(sku)s; choose %(choices)s."),
                resolution=self.resolution(resolution),
                sku=sku,
                choices=self.resolutions(allowed),
            )
            return text[0].upper() + text[1:]  # the sentence starts with a phrase ("a refund")
        return self._say(
            N_("%(sku)s can't be returned here: no refund, store credit or exchange is offered for it."), sku=sku
        )

    def free_return_shipping(self, why: Waiver) -> str:
        if isinstance(why, ReturnReason):
            return self._say(N_("Free return shipping because %(reason)s."), reason=self.reason(why))
        if isinstance(why, Resolution):
            return self._say(
                N_("Free return shipping because you chose %(resolution)s."), resolution=self.resolution(why)
            )
        return self._say(N_("Free return shipping as a %(tier)s member."), tier=why.name)

    def percent_return_shipping(self, percent: int) -> str:
        return self._say(
            N_("Return shipping costs %(percent)s%% of the items' price, taken off what you get back."), percent=percent
        )

    def flat_return_shipping(self, amount: int, currency: str) -> str:
        return self._say(
            N_("Return shipping costs %(amount)s, taken off what you get back."), amount=self.money(amount, currency)
        )

    def shipping_fee_not_charged(self, amounts_currency: str | None, currency: str) -> str:
        """A flat return shipping fee priced in another currency than the order's (or in none)."""
        if amounts_currency is None:
            template = N_(
                "No return shipping fee: the policy does not say which currency it is in, "
                "and this order is in %(currency)s."
            )
            return self._say(template, currency=currency)
        template = N_("No return shipping fee: it is priced in %(fee_currency)s, and this order is in %(currency)s.")
        return self._say(template, fee_currency=amounts_currency, currency=currency)

    def store_credit_bonus(self, percent: int) -> str:
        return self._say(N_("Store credit comes with a %(percent)s%% bonus."), percent=percent)

    def instant_refund(self, tier: LoyaltyTier) -> str:
        return self._say(N_("As a %(tier)s member you are refunded instantly."), tier=tier.name)


RECORDED = Words()  # what workflows record: English, ISO dates, "5.95 EUR"
