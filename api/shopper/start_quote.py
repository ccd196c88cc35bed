"""The live quote of a draft, and what the shopper can get for it: the policy engine's answer
(`api.assessment.assess`, then `evaluate` per resolution) turned into what the pages show.

Store credit shows its bonus as an amount ("€ 141,90 credit instead of € 103,70"); an exchange
lists the returned item's other variants that a warehouse can ship (`domain.exchange.plan_exchange`,
the check the workflow makes), each with the price difference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pydantic import ValidationError
from sqlmodel import Session

from api.assessment import Assessment, assess
from api.shopper import start_words as words
from api.shopper.flow import Draft, quote_body
from api.shopper.start_facts import Shop, policy_words
from api.shopper.start_words import Gettext
from db.catalog import load_catalog, load_stock
from db.registry import load_registry
from domain.exchange import ExchangePlan, ExchangeRequest, plan_exchange
from domain.facilities import GeoPoint
from domain.geo import shopper_point
from domain.money import Money
from domain.policy import Quote, evaluate
from domain.returns import Resolution
from domain.shopper_locale import money


@dataclass
class QuotePanel:
    """The quote for the draft's resolution, line by line."""

    eligible: bool
    lines: list[dict]
    shipping_fee: str | None
    total: str
    keep_items: bool
    needs_review: bool
    notes: list[str]
    reasons: list[str]


@dataclass
class Option:
    resolution: Resolution
    label: str
    allowed: bool
    amount: str
    detail: str = ""
    why_not: list[str] = field(default_factory=list)


async def assess_draft(db, shop: Shop, draft: Draft, at: datetime) -> Assessment:
    return await assess(db, shop.merchant.id, quote_body(draft), at)


def _m(amount: int, currency: str, lang: str) -> str:
    return money(Money(amount=amount, currency=currency), lang)


def quotes_by_resolution(found: Assessment, shop: Shop, lang: str) -> dict[Resolution, Quote]:
    """The policy's quote for each resolution, worded in the shopper's language."""
    words = policy_words(shop, lang)
    return {r: evaluate(found.policy, found.context, found.lines, r, found.at, words=words) for r in Resolution}


def panel(shop: Shop, found: Assessment, quote: Quote, lang: str, _: Gettext) -> QuotePanel:
    currency = shop.order.currency
    lines = []
    for line, item in zip(found.lines, quote.items, strict=True):
        amount = item.store_credit_amount if quote.resolution == Resolution.STORE_CREDIT else item.refund_amount
        lines.append(
            {
                "title": shop.line(line.line_id).get("title") or line.sku,
                "quantity": line.quantity,
                "amount": money(amount, lang),
                "fee": money(item.restocking_fee, lang) if item.restocking_fee.amount else None,
                "keep": item.keep_item,
                "refused": list(item.reasons),
            }
        )
    total = quote.store_credit_total if quote.resolution == Resolution.STORE_CREDIT else quote.refund_total
    return QuotePanel(
        eligible=quote.eligible,
        lines=lines,
        shipping_fee=_m(quote.return_shipping_fee.amount, currency, lang) if quote.return_shipping_fee.amount else None,
        total=money(total, lang),
        keep_items=quote.keep_items,
        needs_review=quote.needs_review,
        notes=list(quote.rules_fired),
        reasons=list(quote.reasons),
    )


def options(quotes: dict[Resolution, Quote], lang: str, _: Gettext) -> list[Option]:
    """Every resolution, allowed or not (with why not)."""
    labels = words.resolution_labels(_)
    out = []
    for resolution, quote in quotes.items():
        option = Option(resolution, labels[resolution], quote.eligible, money(quote.settlement_amount, lang))
        if resolution == Resolution.STORE_CREDIT and quote.eligible:
            # against what the refund option pays (its return shipping fee included), as the shopper compares them
            credit, refund = quote.store_credit_total, quotes[Resolution.REFUND].refund_total
            if credit.amount > refund.amount:
                option.detail = _("%(credit)s credit instead of %(refund)s") % {
                    "credit": money(credit, lang),
                    "refund": money(refund, lang),
                }
        elif resolution == Resolution.EXCHANGE and quote.eligible:
            option.amount = money(quote.refund_total, lang)
            option.detail = _("A replacement worth up to %(amount)s, or pay the difference") % {
                "amount": money(quote.refund_total, lang)
            }
        if not quote.eligible:
            if not all(i.eligible for i in quote.items):
                option.why_not = [_("Not available: some items cannot be returned.")]
            else:  # the policy says why, in the shopper's language
                option.why_not = list(quote.reasons) or [_("Not available for these items.")]
        out.append(option)
    return out


def _exchange_sources(session: Session, merchant_id: str):
    return load_catalog(session, merchant_id), load_stock(session, merchant_id), load_registry(session, merchant_id)


async def exchange_variants(db, shop: Shop, found: Assessment, quote: Quote, lang: str, _: Gettext) -> dict:
    """line id -> the variants a warehouse can ship instead, each with its price difference (in stock only)."""
    catalog, stock, registry = await db.run(_exchange_sources, shop.merchant.id)
    point = shopper_point(shop.order.customer.get("address", {})) or GeoPoint(lat=0, lon=0)
    currency = shop.order.currency
    out: dict[str, list[dict]] = {}
    for line, item in zip(found.lines, quote.items, strict=True):
        returned = catalog.get(line.sku)
        variants = [v for v in catalog.variants if returned and v.product_id == returned.product_id]
        choices = []
        for v in variants:
            if v.discontinued:
                continue
            request = ExchangeRequest(
                line_id=line.line_id, replacement_sku=v.sku, quantity=line.quantity, fallback="refund"
            )
            try:
                plan = plan_exchange(
                    request,
                    item.refund_amount,
                    catalog,
                    stock,
                    registry.facilities,
                    point,
                    currency,
                    returned_quantity=line.quantity,
                )
            except ValidationError:
                continue
            if not isinstance(plan, ExchangePlan):
                continue  # out of stock at every warehouse that ships exchanges
            signed = v.price.amount * line.quantity - item.refund_amount.amount
            if signed > 0:
                difference = _("you pay %(amount)s more") % {"amount": _m(signed, currency, lang)}
            elif signed < 0:
                difference = _("you get %(amount)s back") % {"amount": _m(-signed, currency, lang)}
            else:
                difference = _("no price difference")
            options_text = ", ".join(v.options.values())
            choices.append(
                {
                    "sku": v.sku,
                    "label": f"{v.title or v.sku} – {options_text}" if options_text else (v.title or v.sku),
                    "price": money(v.price, lang),
                    "difference": difference,
                }
            )
        out[line.line_id] = choices
    return out
