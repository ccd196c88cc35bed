"""What the shopper portal shows for one return, in plain shopper language.

`load` reads the facts (one return, scoped by merchant, with its merchant's name, its
order's item titles and its timeline); `view` turns them into the template's context.
The shopper sees their own first name at most: never an email, an address, a payment
reference, or the ops-facing text of the timeline (causes name facilities, grades, fraud
checks and key prefixes), only fixed sentences chosen by status and event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from activities.documents import live_label
from db.merchants import get_merchant
from db.orders import get_order
from db.returns import get_return, timeline
from db.tables import ReturnRecord, TimelineRecord
from domain.money import Money

# status -> (headline, sentence); {merchant} and {what} (refund, store credit, exchange) are filled in.
STATUS_WORDS: dict[str, tuple[str, str]] = {
    "requested": ("Return requested", "We have your return request and are preparing your label."),
    "pending_review": (
        "Under review",
        "{merchant} is reviewing your return. You get a label as soon as it is approved.",
    ),
    "rejected": ("Not accepted", "{merchant} could not accept this return."),
    "label_created": ("Label ready", "Your return label is ready. Pack your items and send the parcel."),
    "in_transit": ("On its way", "Your parcel is on its way to the returns centre."),
    "delivered": ("Delivered", "Your parcel has been delivered to the returns centre."),
    "received": ("Received", "The returns centre has your parcel and will check your items shortly."),
    "inspected": ("Items checked", "Your items have been checked."),
    "settling": ("{What} in progress", "We are processing your {what}."),
    "completed": ("Complete", "Your return is complete."),
    "cancelled": ("Cancelled", "This return was cancelled."),
    "expired": ("Expired", "This return expired: the parcel was not sent before the label ran out."),
}
RESOLUTION_WORDS = {"refund": "refund", "store_credit": "store credit", "exchange": "exchange"}
REASON_WORDS = {
    "too_small": "Too small",
    "too_large": "Too large",
    "defective": "Faulty",
    "not_as_described": "Not as described",
    "wrong_item": "Wrong item sent",
    "damaged_in_transit": "Damaged in delivery",
    "changed_mind": "Changed my mind",
    "arrived_late": "Arrived too late",
}
REPLACEMENT_WORDS = {
    "reserved": "set aside for you",
    "shipped": "shipped",
    "released": "not available: not sent",
    "voided": "shipment cancelled",
}
PICKUP_WORDS = {
    "scheduled": "A {carrier} pickup is booked at your address: {window}.",
    "picked_up": "The carrier picked up your parcel.",
    "cancelled": "The pickup was cancelled. Please drop the parcel off instead, with the label or the QR code.",
    "cancelled_by_carrier": "The carrier cancelled the pickup. Please drop the parcel off instead, with the label or the QR code.",
    "missed": "The carrier did not come in the pickup window. Please drop the parcel off instead, with the label or the QR code.",
}


@dataclass(frozen=True)
class Facts:
    row: ReturnRecord
    merchant_name: str  # the display name the merchant set (GET/PUT /v1/merchant), else its name
    support_email: str | None
    first_name: str
    titles: dict[str, str]  # order line id -> item title
    timeline: list[TimelineRecord]


def load(session: Session, merchant_id: str, return_id: str) -> Facts | None:
    row = get_return(session, merchant_id, return_id)
    if row is None:
        return None
    merchant = get_merchant(session, merchant_id)
    order = get_order(session, merchant_id, row.order_id)
    customer = (order.customer if order else None) or {}
    name = str(customer.get("name") or "").split()
    return Facts(
        row=row,
        merchant_name=(merchant.display_name or merchant.name) if merchant else merchant_id,
        support_email=merchant.support_email if merchant else None,
        first_name=name[0] if name else "",
        titles={str(line.get("id")): str(line.get("title") or "") for line in (order.lines if order else None) or []},
        timeline=timeline(session, return_id),
    )


def labels(row: ReturnRecord) -> list[dict[str, Any]]:
    """The return's usable labels, one per parcel (usually one); none once voided."""
    if live_label(row) is None:
        return []
    return list(row.parcels or []) or [row.label]


def view(facts: Facts, base: str) -> dict[str, Any]:
    """The template's context; `base` is the page's own path (/portal/<token>) for its links."""
    row, merchant = facts.row, facts.merchant_name
    what = RESOLUTION_WORDS.get(row.resolution, "return")
    kept = any(e.event == "keep_item" for e in facts.timeline)
    return {
        "merchant_name": merchant,
        "support_email": facts.support_email,
        "first_name": facts.first_name,
        "return_id": row.id,
        "order_id": row.order_id,
        "status": _status(row.status, merchant, what, kept),
        "rejected_reasons": _why_rejected(row.decision_reasons or [], merchant) if row.status == "rejected" else [],
        "items": [
            {
                "sku": item.get("sku", ""),
                "title": facts.titles.get(str(item.get("line_id")), ""),
                "quantity": item.get("quantity", 1),
                "reason": REASON_WORDS.get(
                    item.get("reason", ""), str(item.get("reason", "")).replace("_", " ").capitalize()
                ),
            }
            for item in row.items or []
        ],
        "shipping": _shipping(row, base),
        "no_label": None if labels(row) else _why_no_label(row.status, merchant, kept),
        "outcome": _outcome(row, merchant),
        "timeline": _timeline(facts.timeline, merchant, what),
    }


def _status(status: str, merchant: str, what: str, kept: bool) -> dict[str, str]:
    headline, sentence = STATUS_WORDS.get(status, (status.replace("_", " ").capitalize(), ""))
    if status == "settling" and kept:
        sentence = "You can keep your items. We are processing your {what}."
    fill = {"merchant": merchant, "what": what, "What": what.capitalize()}
    return {"code": status, "headline": headline.format(**fill), "sentence": sentence.format(**fill)}


def _why_rejected(reasons: list[str], merchant: str) -> list[str]:
    """The policy's reasons are written for shoppers; the others name internals, so say them plainly."""
    out = []
    for reason in reasons:
        if reason.startswith("no return label could be bought"):
            out.append("No return label could be made for this return.")
        elif reason.startswith("the exchange cannot be made"):
            out.append("The exchange you asked for cannot be made.")
        elif reason.startswith("rejected in review"):
            out.append(f"{merchant} reviewed the return and did not accept it.")
        else:
            out.append(reason)
    return list(dict.fromkeys(out))


def _why_no_label(status: str, merchant: str, kept: bool) -> str:
    if kept:
        return "You don't need to send anything back: keep the items."
    return {
        "requested": "Your label is being prepared. Refresh this page in a minute.",
        "pending_review": f"You get a label once {merchant} has approved the return.",
        "rejected": "This return was not accepted, so there is nothing to send.",
        "cancelled": "This return was cancelled: its label can no longer be used.",
        "expired": "The label has expired and can no longer be used.",
    }.get(status, "There is no label for this return.")


def _shipping(row: ReturnRecord, base: str) -> dict[str, Any] | None:
    found = labels(row)
    if not found:
        return None
    parcels = []
    for number, label in enumerate(found, start=1):
        query = "" if number == 1 else f"?parcel={number}"
        parcels.append(
            {
                "number": number,
                "carrier": label.get("carrier") or "the carrier",
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
        "pickup": _pickup(pickup) if pickup else None,
    }


def _pickup(pickup: dict[str, Any]) -> dict[str, Any]:
    window = pickup.get("window") or {}
    status = pickup.get("status") or "scheduled"
    sentence = PICKUP_WORDS.get(status, "Pickup: {status}.").format(
        carrier=pickup.get("carrier") or "carrier", window=_window(window), status=status.replace("_", " ")
    )
    return {
        "status": status,
        "sentence": sentence,
        "confirmation": pickup.get("confirmation") if status == "scheduled" else None,
        "instructions": window.get("instructions") or "",
    }


def _window(window: dict[str, Any]) -> str:
    try:
        start, end = _at(window["min_datetime"]), _at(window["max_datetime"])
    except (KeyError, TypeError, ValueError):
        return "see your confirmation"
    if start.date() == end.date():
        return f"{_day(start)}, {start:%H:%M}–{end:%H:%M} UTC"
    return f"{_day(start)} {start:%H:%M} – {_day(end)} {end:%H:%M} UTC"


def _at(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _day(at: datetime) -> str:
    return f"{at:%a} {at.day} {at:%b %Y}"


def _money(amount: dict[str, Any]) -> str:
    try:
        return Money(amount=amount["amount"], currency=amount["currency"]).display()
    except (KeyError, TypeError, ValueError):
        return ""


def _outcome(row: ReturnRecord, merchant: str) -> dict[str, Any] | None:
    """What the shopper gets: the refund, the store credit, the replacements."""
    sentences: list[str] = []
    replacements = []
    exchange = row.exchange or {}
    for r in exchange.get("replacements") or []:
        replacements.append(
            {
                "sku": r.get("sku", ""),
                "quantity": r.get("quantity", 1),
                "status": REPLACEMENT_WORDS.get(r.get("status", ""), str(r.get("status", "")).replace("_", " ")),
                "tracking_code": r.get("tracking_code") if r.get("status") == "shipped" else None,
            }
        )
    settlement = row.refund
    if settlement:
        money, status, method = (
            _money(settlement.get("amount") or {}),
            settlement.get("status"),
            settlement.get("method"),
        )
        difference = (
            " (the price difference)" if exchange.get("settle_difference") in ("refund", "store_credit") else ""
        )
        if status == "charged":
            sentences.append(f"The price difference of {money} was charged to your original payment method.")
        elif status == "charge_failed":
            sentences.append(
                f"The price difference of {money} could not be charged; {merchant} will contact you about it."
            )
        elif status in ("not_required", "exchanged"):
            if not replacements:
                sentences.append("Nothing is owed either way for this return.")
        elif method == "refund" and status == "succeeded":
            sentences.append(
                f"{money}{difference} has been refunded to your original payment method. "
                "It can take a few days to show on your statement."
            )
        elif method == "refund":
            sentences.append(f"A refund of {money}{difference} to your original payment method is on its way.")
        elif method == "store_credit" and status == "issued":
            sentences.append(f"{money}{difference} of store credit has been added for you at {merchant}.")
        elif method == "store_credit":
            sentences.append(f"{money}{difference} of store credit is on its way.")
    if not sentences and not replacements:
        return None
    return {"sentences": sentences, "replacements": replacements}


def _timeline(entries: list[TimelineRecord], merchant: str, what: str) -> list[dict[str, str]]:
    """Each change of status, and the few events a shopper acts on; oldest first."""
    out: list[dict[str, str]] = []
    previous: str | None = None
    for entry in entries:
        text = None
        if entry.status != previous:
            text = _status(entry.status, merchant, what, kept=False)["headline"]
        elif entry.event == "email" and entry.cause.endswith("emailed to the shopper"):
            text = "We emailed you the label and the drop-off QR code"
        elif entry.event == "relabel":
            text = "Your label was replaced: use the new one"
        elif entry.event == "pickup" and " booked for " in entry.cause:
            text = "Carrier pickup booked"
        elif entry.event == "pickup" and "drop the parcel off instead" in entry.cause:
            text = "The pickup did not happen: drop the parcel off instead"
        elif entry.event == "pickup" and " cancelled: " in entry.cause:
            text = "Carrier pickup cancelled"
        previous = entry.status
        if text:
            out.append({"at": f"{_day(entry.at)}, {entry.at:%H:%M} UTC", "text": text})
    return out
