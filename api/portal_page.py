"""What the shopper portal shows for one return, in the shopper's language.

`load` reads the facts (one return, scoped by merchant, with its merchant, its order's item titles, its
timeline and the shopper's choices: language and send method); `view` turns them into the template's context
through gettext (words: api/shopper/words.py) and Babel (money, dates in the merchant's time zone).
The shopper sees their own first name at most: never an email, an address, a payment reference, or the
ops-facing text of the timeline (causes name facilities, grades, fraud checks and key prefixes), only fixed
sentences chosen by status and event. What the shopper can change is in api/shopper/return_actions.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_time
from sqlmodel import Session

from activities.documents import live_label
from activities.translations import gettext_for
from api.shopper import words
from api.shopper.outcome import outcome
from api.shopper.start_send import store_choice
from db.merchants import get_merchant
from db.orders import get_order
from db.return_choices import choices_of
from db.returns import get_return, timeline
from db.shopper_emails import sent_times
from db.stores import store_of
from db.tables import Merchant, ReturnRecord, TimelineRecord
from domain.facilities import Facility
from domain.notifications import MailKind
from domain.rma import rma_code


@dataclass(frozen=True)
class Facts:
    row: ReturnRecord
    merchant: Merchant
    first_name: str
    titles: dict[str, str]  # order line id -> item title
    timeline: list[TimelineRecord]
    language: str | None  # the language the return was made in (return_choices), if recorded
    send_method: str | None  # label | qr | pickup | store, if recorded
    store: Facility | None  # the store the shopper hands the items in at (send method "store")
    # When the outbox mailed each label (returns since the workflow's Patch.LABEL_MAIL_OUTBOX; older ones have a line)
    labels_mailed: list[datetime] = field(default_factory=list)

    @property
    def merchant_name(self) -> str:
        return self.merchant.display_name or self.merchant.name

    @property
    def timezone(self) -> str:
        return self.merchant.timezone or "UTC"


def load(session: Session, merchant_id: str, return_id: str) -> Facts | None:
    row = get_return(session, merchant_id, return_id)
    merchant = get_merchant(session, merchant_id) if row is not None else None
    if row is None or merchant is None:
        return None
    order = get_order(session, merchant_id, row.order_id)
    customer = (order.customer if order else None) or {}
    name = str(customer.get("name") or "").split()
    choices = choices_of(session, merchant_id, return_id)
    store = store_of(session, merchant_id, choices.store_id) if choices and choices.store_id else None
    return Facts(
        row=row,
        merchant=merchant,
        first_name=name[0] if name else "",
        titles={str(line.get("id")): str(line.get("title") or "") for line in (order.lines if order else None) or []},
        timeline=timeline(session, return_id),
        language=choices.language if choices else None,
        send_method=choices.send_method if choices else None,
        store=store,
        labels_mailed=sent_times(session, merchant_id, return_id, MailKind.LABEL_READY),
    )


def labels(row: ReturnRecord) -> list[dict[str, Any]]:
    """The return's usable labels, one per parcel (usually one); none once voided."""
    if live_label(row) is None:
        return []
    return list(row.parcels or []) or [row.label]


def view(facts: Facts, base: str, lang: str) -> dict[str, Any]:
    """The template's context; `base` is the page's own path (/portal/<token>) for its links."""
    _ = gettext_for(lang)
    row, merchant = facts.row, facts.merchant_name
    kept = any(e.event == "keep_item" for e in facts.timeline)
    return {
        "merchant_name": merchant,
        "support_email": facts.merchant.support_email,
        "first_name": facts.first_name,
        "return_id": row.id,
        "order_id": row.order_id,
        "send_method": facts.send_method or "",
        "state": {  # not "status": that is render's HTTP status
            "code": row.status,
            "headline": words.status_headline(row.status, row.resolution, _),
            "sentence": words.status_sentence(row.status, row.resolution, merchant, kept, _),
        },
        "rejected_reasons": _why_rejected(row.decision_reasons or [], merchant, _) if row.status == "rejected" else [],
        "items": [
            {
                "sku": item.get("sku", ""),
                "title": facts.titles.get(str(item.get("line_id")), ""),
                "quantity": item.get("quantity", 1),
                "reason": words.reason(item.get("reason"), _),
            }
            for item in row.items or []
        ],
        "shipping": _shipping(row, base, lang, facts.timezone, _),
        "hand_in": _hand_in(facts, base, lang),
        "no_label": None if labels(row) else _why_no_label(row.status, merchant, kept, _),
        "outcome": outcome(row, merchant, lang, _),
        "timeline": _timeline(facts, lang, _),
    }


def _hand_in(facts: Facts, base: str, lang: str) -> dict[str, Any] | None:
    """For a return handed in at a store, until a store has it: the store and the RMA code to show there."""
    row = facts.row
    if facts.send_method != "store" or row.status not in ("requested", "awaiting_hand_in", "label_created"):
        return None
    try:
        code = rma_code(row.id)
    except ValueError:
        return None
    return {
        "code": code,
        "qr": f"{base}/rma-qr.svg",
        "store": store_choice(facts.store, lang) if facts.store is not None else None,
    }


def _why_rejected(reasons: list[str], merchant: str, _: Any) -> list[str]:
    """The policy's reasons are written for shoppers; the others name internals, so say them plainly."""
    out = []
    for reason in reasons:
        if reason.startswith("no return label could be bought"):
            out.append(_("No return label could be made for this return."))
        elif reason.startswith("the exchange cannot be made"):
            out.append(_("The exchange you asked for cannot be made."))
        elif reason.startswith("rejected in review"):
            out.append(_("%(merchant)s reviewed the return and did not accept it.") % {"merchant": merchant})
        else:
            out.append(_(reason))  # the policy's sentences have their own catalogue (policy.po)
    return list(dict.fromkeys(out))


def _why_no_label(status: str, merchant: str, kept: bool, _: Any) -> str:
    if kept:
        return _("You don't need to send anything back: keep the items.")
    text = words.NO_LABEL_WORDS.get(status)
    return _(text) % {"merchant": merchant} if text else _("There is no label for this return.")


def _shipping(row: ReturnRecord, base: str, lang: str, timezone: str, _: Any) -> dict[str, Any] | None:
    found = labels(row)
    if not found:
        return None
    parcels = []
    for number, label in enumerate(found, start=1):
        query = "" if number == 1 else f"?parcel={number}"
        parcels.append(
            {
                "number": number,
                "carrier": label.get("carrier") or _("the carrier"),
                "service": label.get("service") or "",
                "tracking_code": label.get("tracking_code") or "",
                "label_png": f"{base}/label.png{query}",
                "label_pdf": f"{base}/label.pdf{query}",
                "qr": f"{base}/dropoff-qr.svg{query}" if label.get("tracking_code") else None,
            }
        )
    pickup = (row.label or {}).get("pickup")
    return {
        "to_send": row.status == "label_created",  # later, the label is history: show the tracking code only
        "parcels": parcels,
        "pickup": _pickup(pickup, lang, timezone, _) if pickup else None,
    }


def _pickup(pickup: dict[str, Any], lang: str, timezone: str, _: Any) -> dict[str, Any]:
    window = pickup.get("window") or {}
    status = pickup.get("status") or "scheduled"
    text = words.PICKUP_WORDS.get(status)
    sentence = (
        _(text)
        % {"carrier": pickup.get("carrier") or _("the carrier"), "window": window_text(window, lang, timezone, _)}
        if text
        else status.replace("_", " ")
    )
    if status in ("cancelled", "cancelled_by_carrier", "missed"):
        sentence += " " + _(words.DROP_OFF_INSTEAD)
    return {
        "status": status,
        "sentence": sentence,
        "confirmation": pickup.get("confirmation") if status == "scheduled" else None,
        "instructions": window.get("instructions") or "",
    }


def window_text(window: dict[str, Any], lang: str, timezone: str, _: Any) -> str:
    """A pickup window as the language writes it, in the merchant's time zone: `vr 27 nov. 2026, 09:00–13:00`."""
    try:
        start, end = _at(window["min_datetime"]), _at(window["max_datetime"])
    except (KeyError, TypeError, ValueError):
        return _("see your confirmation")
    zone = ZoneInfo(timezone)
    start, end = start.astimezone(zone), end.astimezone(zone)
    if start.date() == end.date():
        day = format_datetime(start, "EEE d MMM y", locale=lang)
        return f"{day}, {format_time(start, 'HH:mm', locale=lang)}–{format_time(end, 'HH:mm', locale=lang)}"
    return f"{format_datetime(start, 'EEE d MMM y HH:mm', locale=lang)} – {format_datetime(end, 'EEE d MMM y HH:mm', locale=lang)}"


def _at(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _timeline(facts: Facts, lang: str, _: Any) -> list[dict[str, str]]:
    """Each change of status, and the few events a shopper acts on; oldest first."""
    said: list[tuple[datetime, str]] = []
    previous: str | None = None
    for entry in facts.timeline:
        text = None
        if entry.status != previous:
            text = words.status_headline(entry.status, facts.row.resolution, _)
        elif entry.event == "email" and entry.cause.endswith("emailed to the shopper"):
            text = _(words.TIMELINE_WORDS["emailed"])
        elif entry.event == "relabel":
            text = _(words.TIMELINE_WORDS["relabel"])
        elif entry.event == "pickup" and " booked for " in entry.cause:
            text = _(words.TIMELINE_WORDS["pickup_booked"])
        elif entry.event == "pickup" and "drop the parcel off instead" in entry.cause:
            text = _(words.TIMELINE_WORDS["pickup_failed"])
        elif entry.event == "pickup" and " cancelled: " in entry.cause:
            text = _(words.TIMELINE_WORDS["pickup_cancelled"])
        previous = entry.status
        if text:
            said.append((entry.at, text))
    emailed = _(words.TIMELINE_WORDS["emailed"])
    if not any(text == emailed for _at, text in said):  # the outbox mailed it: no line of the workflow's says so
        said.extend((at, emailed) for at in facts.labels_mailed)
    zone = ZoneInfo(facts.timezone)
    return [
        {"at": format_datetime(at, "EEE d MMM y, HH:mm", tzinfo=zone, locale=lang), "text": text}
        for at, text in sorted(said, key=lambda said: said[0])
    ]
