"""What the pick-items step shows of the shopper's order: each line, how many units are still
returnable (units held by other returns are not), and whether the policy refuses it, and why.

A line is refused (greyed) when no reason the merchant offers makes it returnable (a closed window); a
line the policy takes back only for some reasons (final sale still lets a faulty item back) offers just
those, with the policy's sentence saying why. The policy itself is asked, through
`api.assessment.assess` (the same order, context and policy as creating the return) and
`domain.policy.evaluate` per line and reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from activities.translations import gettext_for
from api.assessment import Assessment, assess
from api.schemas.returns import ReturnCreate, ReturnItemIn
from db import return_units
from db.merchants import get_merchant
from db.orders import get_order
from db.tables import Merchant, Order
from domain.money import Money
from domain.policy import Words, evaluate
from domain.returns import Resolution, ReturnLine, ReturnReason
from domain.shopper_locale import money


@dataclass(frozen=True)
class Shop:
    """The session's order as it is now, with its merchant and the units still free to return."""

    order: Order
    merchant: Merchant
    returnable: dict[str, int]  # line id -> units not held by another return

    @property
    def timezone(self) -> str:
        return self.merchant.timezone or "UTC"

    @property
    def reasons(self) -> list[ReturnReason]:
        return [ReturnReason(r) for r in (self.merchant.return_reasons or list(ReturnReason))]

    def line(self, line_id: str) -> dict:
        return next(l for l in self.order.lines if l["id"] == line_id)


def _load(session: Session, merchant_id: str, order_id: str) -> Shop | None:
    order = get_order(session, merchant_id, order_id)
    merchant = get_merchant(session, merchant_id)
    if order is None or merchant is None:
        return None
    held = return_units.held_quantities(session, merchant_id, order_id)
    return Shop(order, merchant, {l["id"]: max(l["quantity"] - held.get(l["id"], 0), 0) for l in order.lines})


async def load_shop(db, merchant_id: str, order_id: str) -> Shop | None:
    return await db.run(_load, merchant_id, order_id)


@dataclass
class LineChoice:
    """One order line on the pick-items step."""

    line_id: str
    title: str
    sku: str
    image_url: str | None
    price: str
    returnable: int
    refused: list[str] = field(default_factory=list)  # why not, in the shopper's language; empty: selectable
    reasons: list[str] = field(default_factory=list)  # the reasons (values) the policy accepts for this line
    limits: list[str] = field(default_factory=list)  # why the other reasons are not accepted (final sale)
    photo_reasons: list[str] = field(default_factory=list)  # reasons (values) for which the policy wants photos

    @property
    def selectable(self) -> bool:
        return self.returnable > 0 and not self.refused


def policy_words(shop: Shop, lang: str) -> Words:
    """The policy speaks the shopper's language (dates in the shop's time zone)."""
    return Words(gettext_for(lang), lang, shop.timezone)


async def line_choices(db, shop: Shop, lang: str, at: datetime, _) -> list[LineChoice]:
    currency = shop.order.currency
    open_lines = [l for l in shop.order.lines if shop.returnable[l["id"]] > 0]
    found: Assessment | None = None
    if open_lines:
        probe = ReturnCreate(
            order_id=shop.order.id,
            items=[ReturnItemIn(line_id=l["id"], quantity=1, reason=ReturnReason.CHANGED_MIND) for l in open_lines],
            resolution=Resolution.REFUND,
        )
        found = await assess(db, shop.merchant.id, probe, at)
    spoken = policy_words(shop, lang)
    choices = []
    for l in shop.order.lines:
        image = l.get("image_url")
        choice = LineChoice(
            line_id=l["id"],
            title=l.get("title") or l["sku"],
            sku=l["sku"],
            image_url=image if isinstance(image, str) and image.startswith(("https://", "/")) else None,
            price=money(Money(amount=l["unit_price"], currency=currency), lang),
            returnable=shop.returnable[l["id"]],
        )
        if choice.returnable == 0:
            choice.refused = [_("Already returned.")]
        elif found is not None:
            quotes = {
                r: evaluate(
                    found.policy, found.context, [_return_line(l, r)], Resolution.REFUND, at, words=spoken
                ).items[0]
                for r in shop.reasons
            }
            refused = [q for q in quotes.values() if not q.eligible]
            choice.reasons = [r.value for r, q in quotes.items() if q.eligible]
            if refused:
                sentences = list(refused[0].reasons)
                if choice.reasons:  # final sale still takes back what the merchant got wrong
                    choice.limits = sentences
                else:
                    choice.refused = sentences
            choice.photo_reasons = [r.value for r, q in quotes.items() if q.eligible and q.photos_required]
        choices.append(choice)
    return choices


def _return_line(line: dict, reason: ReturnReason) -> ReturnLine:
    return ReturnLine(
        line_id=line["id"],
        sku=line["sku"],
        quantity=1,
        unit_price=line["unit_price"],
        category=line.get("category") or "",
        reason=reason,
    )
