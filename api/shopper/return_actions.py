"""What a shopper can change on their return's page: cancel it before the first carrier scan, book a carrier
pickup in one of the offered windows, or cancel a booked pickup.

Each goes through api/returns_gateway.py exactly as the merchant API's `POST /v1/returns/{id}/cancel`,
`/pickup` and `/pickup/cancel` do; a refusal (already scanned, pickup refused by the carrier, Temporal away)
is a sentence on the page in the shopper's language, never a 500.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import get_timezone_name

from api import portal_page
from api.errors import ApiError
from api.returns_gateway import ReturnsGateway
from api.shopper.start_send import WINDOWS as PICKUP_HOURS
from api.shopper.start_send import pickup_slots
from api.shopper.words import N_
from domain.status import ReturnStatus
from workflows.messages import CancelPickup, CancelRequest, PickupWindow

MAX_INSTRUCTIONS = 200
SHOPPER_REASON = "cancelled by the shopper in the portal"

# ?done=<key> after a change went through (the page is shown again by a redirect: a reload does not repeat it)
DONE_WORDS = {
    "cancelled": N_("Your return is cancelled."),
    "pickup_booked": N_("Your pickup is booked."),
    "pickup_cancelled": N_("Your pickup is cancelled."),
}
REFUSAL_WORDS = {
    "cancel": N_("This return can no longer be cancelled: the carrier already has the parcel, or it is closed."),
    "book": N_("A pickup can no longer be booked for this return."),
    "book_refused": N_(
        "The carrier could not book a pickup at that time. Choose another time, or drop the parcel off."
    ),
    "too_many_pickups": N_(
        "This return has had as many pickups as we can book. Please drop the parcel off with the label or the QR code."
    ),
    "unpick": N_("This pickup can no longer be cancelled."),
    "busy": N_("We could not reach our service just now. Please try again in a minute."),
    "no_window": N_("Choose a time for the pickup."),
    "not_confirmed": N_("Tick the box to confirm that you want to cancel this return."),
}


@dataclass(frozen=True)
class Window:
    key: str  # 2026-12-07-1: the day and the slot, as the form sends it back
    label: str
    start: datetime  # UTC
    end: datetime


def pickup_windows(now: datetime, timezone: str, lang: str) -> list[Window]:
    """The windows the start flow offers (`start_send.pickup_slots`, one home for them), keyed by their day in the
    merchant's zone and slot number, as the return page's form sends them back."""
    zone, per_day = ZoneInfo(timezone), len(PICKUP_HOURS)
    return [
        Window(
            f"{s.start.astimezone(zone).date().isoformat()}-{i % per_day + 1}", f"{s.day}, {s.hours}", s.start, s.end
        )
        for i, s in enumerate(pickup_slots(now, timezone, lang))
    ]


def zone_name(timezone: str, lang: str) -> str:
    return get_timezone_name(ZoneInfo(timezone), "long", locale=lang)


def _pickup_status(row: Any) -> str | None:
    pickup = (row.label or {}).get("pickup")
    return (pickup.get("status") or "scheduled") if isinstance(pickup, dict) else None


def changes(facts: portal_page.Facts, now: datetime, lang: str) -> dict[str, Any]:
    """Which changes the page offers now (the workflow still has the last word on each)."""
    row = facts.row
    try:
        cancellable = ReturnStatus(row.status).is_cancellable
    except ValueError:
        cancellable = False
    sendable = row.status == "label_created" and bool(portal_page.labels(row))
    pickup = _pickup_status(row)
    book = sendable and pickup != "scheduled" and facts.send_method != "store"
    return {
        "cancel": cancellable,
        "cancel_pickup": sendable and pickup == "scheduled",
        "book_pickup": book,
        "pickup_first": facts.send_method == "pickup",
        "windows": pickup_windows(now, facts.timezone, lang) if book else [],
        "zone": zone_name(facts.timezone, lang),
    }


def instructions_of(value: Any) -> str:
    """The driver's note: one line of printable text, at most MAX_INSTRUCTIONS characters."""
    text = value if isinstance(value, str) else ""
    text = "".join(c for c in text if unicodedata.category(c)[0] != "C" or c == " ")
    return " ".join(text.split())[:MAX_INSTRUCTIONS]


def _refusal(err: ApiError, kind: str) -> str:
    if err.status >= 500:
        return "busy"
    if kind == "book" and err.code in ("pickup_refused", "invalid_pickup"):
        return "book_refused"
    if kind == "book" and err.code == "too_many_pickups":  # domain.carrier.MOST_PICKUPS_PER_RETURN
        return "too_many_pickups"
    return kind


async def cancel(workflows: ReturnsGateway, row: Any) -> str | None:
    """None when the return is cancelled; else the REFUSAL_WORDS key."""
    try:
        status = ReturnStatus(row.status)
    except ValueError:
        return "cancel"
    if not status.is_cancellable:
        return "cancel"
    try:
        await workflows.cancel(row.id, CancelRequest(reason=SHOPPER_REASON), status.value)
    except ApiError as err:
        return _refusal(err, "cancel")
    return None


async def book_pickup(workflows: ReturnsGateway, row: Any, window: Window, instructions: str) -> str | None:
    booking = PickupWindow(min_datetime=window.start, max_datetime=window.end, instructions=instructions)
    try:
        await workflows.schedule_pickup(row.id, booking, row.status)
    except ApiError as err:
        return _refusal(err, "book")
    return None


async def cancel_pickup(workflows: ReturnsGateway, row: Any) -> str | None:
    try:
        await workflows.cancel_pickup(row.id, CancelPickup(reason=SHOPPER_REASON), row.status)
    except ApiError as err:
        return _refusal(err, "unpick")
    return None
