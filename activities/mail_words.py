"""What each of the shopper's emails says, in their language: a subject, paragraphs, a list of facts and links,
rendered into the shared layout (`activities/templates/shopper_mail.{txt,html}.j2`) with the shop's branding.

Facts in (activities/mail_facts.py), text out: no database, no network. Money as the language writes it,
times in the shop's time zone (domain.shopper_locale), like the label email (activities/email_content.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from babel.dates import get_day_names

from activities.email_content import (
    _COLOUR,
    DEFAULT_COLOUR,
    LabelEmailContent,
    _environments,
    _rma,
    _with_language,
)
from activities.mail_facts import MailFacts
from activities.translations import gettext_for
from domain.facilities import Facility
from domain.facilities.hours import DAYS
from domain.notifications import MailKind
from domain.shopper_locale import moment, money
from domain.validation import one_line


def N_(message: str) -> str:
    """Marks a string for the catalogue; it is translated where it is used."""
    return message


SUBJECTS = {
    MailKind.HAND_IN_READY: N_("Your return of order %(order)s at %(merchant)s: how to hand it in"),
    MailKind.HELD_FOR_REVIEW: N_("Your return of order %(order)s is being reviewed"),
    MailKind.REVIEW_APPROVED: N_("Your return of order %(order)s is approved"),
    MailKind.REJECTED: N_("Your return of order %(order)s was not accepted"),
    MailKind.LABEL_REMINDER: N_("Reminder: your return label for order %(order)s expires soon"),
    MailKind.PICKUP_BOOKED: N_("Your pickup for order %(order)s is booked"),
    MailKind.PICKUP_REMINDER: N_("Tomorrow: the carrier collects your return of order %(order)s"),
    MailKind.PICKUP_MISSED: N_("The pickup of your return of order %(order)s was missed"),
    MailKind.IN_TRANSIT: N_("Your return of order %(order)s is on its way"),
    MailKind.RECEIVED: N_("We received your return of order %(order)s"),
    MailKind.REFUND_SENT: N_("Your refund for order %(order)s has been sent"),
    MailKind.STORE_CREDIT_ISSUED: N_("Your store credit for order %(order)s at %(merchant)s"),
    MailKind.EXCHANGE_SHIPPED: N_("Your exchange for order %(order)s has shipped"),
    MailKind.MONEY_OWED: N_("Payment needed for your exchange of order %(order)s"),
    MailKind.CANCELLED: N_("Your return of order %(order)s is cancelled"),
    MailKind.EXPIRED: N_("Your return of order %(order)s has expired"),
}


@dataclass
class Body:
    paragraphs: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)  # shown as a list
    links: list[tuple[str, str]] = field(default_factory=list)  # (text, url)


class Say:
    """The shopper's language, and the facts as it writes them."""

    def __init__(self, facts: MailFacts) -> None:
        self.f = facts
        self.lang = facts.audience.language
        self.gettext = gettext_for(self.lang)

    def __call__(self, message: str, **values: object) -> str:
        return self.gettext(message) % values if values else self.gettext(message)

    def money(self, amount) -> str:
        return money(amount, self.lang) if amount is not None else ""

    def at(self, when) -> str:
        return moment(when, self.lang, self.f.audience.timezone, "short")

    def ids(self) -> dict[str, str]:
        return {"return_id": self.f.return_id, "order_id": one_line(self.f.order_id)}

    def carrier(self) -> str:
        return self.f.carrier or self("the carrier")

    def window(self) -> dict[str, str]:
        start, end = self.f.window
        return {"carrier": self.carrier(), "start": self.at(start), "end": self.at(end)}


def _days(days: list[str], lang: str) -> str:
    names = get_day_names("abbreviated", locale=lang)
    index = sorted(DAYS.index(d) for d in days)
    if len(index) >= 3 and index == list(range(index[0], index[-1] + 1)):
        return f"{names[index[0]]}–{names[index[-1]]}"
    return ", ".join(names[i] for i in index)


def _store(store: Facility, lang: str) -> str:
    a = store.address
    where = ", ".join(p for p in (" ".join(x for x in (a.street1, a.street2) if x), f"{a.zip} {a.city}") if p)
    hours = "; ".join(f"{_days(h.days, lang)} {h.opens}–{h.closes}" for h in store.opening_hours or [])
    return f"{store.name}, {where}" + (f" ({hours})" if hours else "")


# Emails that say two things about the return and nothing else (placeholders: return_id, order_id).
NO_LONGER = N_(
    "If your label was not used, it no longer works. You can start a new return while the return period lasts."
)
PLAIN = {
    MailKind.HELD_FOR_REVIEW: (
        N_("We have received your return request %(return_id)s for order %(order_id)s."),
        N_("Our team reviews it and lets you know the outcome by email, usually within two business days."),
    ),
    MailKind.REVIEW_APPROVED: (
        N_("Good news: your return %(return_id)s for order %(order_id)s is approved after review."),
        N_("You will receive the next steps by email shortly."),
    ),
    MailKind.RECEIVED: (
        N_("Your return %(return_id)s has arrived."),
        N_("We now check the items and let you know the outcome."),
    ),
    MailKind.CANCELLED: (N_("Your return %(return_id)s for order %(order_id)s is cancelled."), NO_LONGER),
    MailKind.EXPIRED: (
        N_("Your return %(return_id)s for order %(order_id)s has expired: the parcel was not sent in time."),
        NO_LONGER,
    ),
}


def _plain(_: Say, f: MailFacts) -> Body:
    return Body([_(sentence, **_.ids()) for sentence in PLAIN[f.kind]])


def _hand_in_ready(_: Say, f: MailFacts) -> Body:
    ids = _.ids() | {"merchant": one_line(f.audience.merchant_name)}
    body = Body([_("Your return %(return_id)s for order %(order_id)s at %(merchant)s is approved.", **ids)])
    body.paragraphs.append(
        _(
            "Bring the parcel to one of our stores and hand it in at the counter with your return code %(code)s.",
            code=_rma(f.return_id),
        )
    )
    if f.until:
        body.paragraphs.append(_("Please hand it in before %(date)s.", date=_.at(f.until)))
    if f.stores:
        body.paragraphs.append(_("Where, with the opening hours:"))
        body.facts = [_store(s, _.lang) for s in f.stores]
    return body


def _rejected(_: Say, f: MailFacts) -> Body:
    body = Body([_("We are sorry: your return %(return_id)s for order %(order_id)s could not be accepted.", **_.ids())])
    if f.reasons:
        body.paragraphs.append(_("The reasons:"))
        # The policy's sentences, translated where the catalogue has them.
        body.facts = [_.gettext(r) for r in f.reasons]
    return body


def _label_reminder(_: Say, f: MailFacts) -> Body:
    body = Body([_("The return label for your return %(return_id)s has not been used yet.", **_.ids())])
    if f.until:
        body.paragraphs.append(
            _(
                "It expires on %(date)s: please hand the parcel to %(carrier)s before then.",
                date=_.at(f.until),
                carrier=_.carrier(),
            )
        )
    if f.label_url:
        body.links.append((_("Download the label"), f.label_url))
    return body


def _pickup(reminder: bool) -> Callable[[Say, MailFacts], Body]:
    def words(_: Say, f: MailFacts) -> Body:
        if f.window is None:
            first = _("%(carrier)s collects the parcel at your address in the window you booked.", carrier=_.carrier())
        elif reminder:
            first = _(
                "Tomorrow %(carrier)s collects your parcel at your address between %(start)s and %(end)s.", **_.window()
            )
        else:
            first = _("%(carrier)s collects the parcel at your address between %(start)s and %(end)s.", **_.window())
        return Body([first, _("Please have the parcel packed, with the label on it, ready at the door.")])

    return words


def _pickup_missed(_: Say, f: MailFacts) -> Body:
    body = Body(
        [
            _("%(carrier)s did not collect your parcel in the booked window.", carrier=_.carrier()),
            _(
                "You can still send it: take the parcel to a %(carrier)s drop-off point and show the label or the QR code on your return page.",
                carrier=_.carrier(),
            ),
        ]
    )
    if f.label_url:
        body.links.append((_("Download the label"), f.label_url))
    return body


def _tracked(_: Say, f: MailFacts) -> list[str]:
    return [_("Tracking code:") + " " + f.tracking_code] if f.tracking_code else []


def _in_transit(_: Say, f: MailFacts) -> Body:
    return Body([_("Your parcel is on its way to us with %(carrier)s.", carrier=_.carrier())], _tracked(_, f))


def _refund_sent(_: Say, f: MailFacts) -> Body:
    method = f.payment_method or _("the original payment method")
    return Body(
        [
            _("We have sent your refund of %(amount)s to %(method)s.", amount=_.money(f.amount), method=method),
            _("Depending on your bank, you can expect it on your account within 5–10 business days."),
        ]
    )


def _store_credit(_: Say, f: MailFacts) -> Body:
    merchant = one_line(f.audience.merchant_name)
    body = Body(
        [
            _(
                "We have added %(amount)s in store credit for you at %(merchant)s.",
                amount=_.money(f.amount),
                merchant=merchant,
            )
        ]
    )
    if f.balance is not None:
        body.paragraphs.append(_("Your store credit balance is now %(balance)s.", balance=_.money(f.balance)))
    body.paragraphs.append(
        _(
            "To spend it, shop at %(merchant)s with this email address: the credit is taken off at checkout.",
            merchant=merchant,
        )
    )
    return body


def _exchange_shipped(_: Say, f: MailFacts) -> Body:
    body = Body([_("Your replacement is on its way.")])
    for s in f.shipped:
        body.facts.append(_("%(item)s: tracking code %(code)s", item=one_line(s.title), code=s.tracking_code))
        if s.link:
            body.links.append((_("Track %(item)s", item=one_line(s.title)), s.link))
    return body


def _money_owed(_: Say, f: MailFacts) -> Body:
    return Body(
        [
            _(
                "We could not charge the price difference of %(amount)s for the exchange of order %(order_id)s.",
                amount=_.money(f.amount),
                order_id=one_line(f.order_id),
            ),
            _("Please reply to this email so we can settle it with you."),
        ]
    )


BODIES: dict[MailKind, Callable[[Say, MailFacts], Body]] = {
    MailKind.HAND_IN_READY: _hand_in_ready,
    MailKind.HELD_FOR_REVIEW: _plain,
    MailKind.REVIEW_APPROVED: _plain,
    MailKind.REJECTED: _rejected,
    MailKind.LABEL_REMINDER: _label_reminder,
    MailKind.PICKUP_BOOKED: _pickup(reminder=False),
    MailKind.PICKUP_REMINDER: _pickup(reminder=True),
    MailKind.PICKUP_MISSED: _pickup_missed,
    MailKind.IN_TRANSIT: _in_transit,
    MailKind.RECEIVED: _plain,
    MailKind.REFUND_SENT: _refund_sent,
    MailKind.STORE_CREDIT_ISSUED: _store_credit,
    MailKind.EXCHANGE_SHIPPED: _exchange_shipped,
    MailKind.MONEY_OWED: _money_owed,
    MailKind.CANCELLED: _plain,
    MailKind.EXPIRED: _plain,
}


def mail_content(facts: MailFacts, portal_url: str | None) -> LabelEmailContent:
    _ = Say(facts)
    audience = facts.audience
    merchant = one_line(audience.merchant_name)
    body = BODIES[facts.kind](_, facts)
    context = {
        "subject": _(SUBJECTS[facts.kind], order=one_line(facts.order_id), merchant=merchant),
        "shopper_name": one_line(facts.shopper_name),
        "merchant_name": merchant,
        "logo_url": audience.logo_url if (audience.logo_url or "").startswith("https://") else None,
        "brand_color": audience.brand_color if _COLOUR.fullmatch(audience.brand_color or "") else DEFAULT_COLOUR,
        "support_email": audience.support_email,
        "paragraphs": body.paragraphs,
        "facts": body.facts,
        "links": body.links,
        "portal_url": _with_language(portal_url, _.lang) if portal_url else None,
    }
    env = _environments()[_.lang]
    return LabelEmailContent(
        subject=context["subject"],
        text=env.get_template("shopper_mail.txt.j2").render(context),
        html=env.get_template("shopper_mail.html.j2").render(context),
    )
