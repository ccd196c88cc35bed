"""How the shopper can send the parcel: the carrier pickup's windows and the merchant's stores.

Pickup windows: the next five weekdays after today, 09:00–13:00 and 13:00–17:00 in the merchant's time
zone, each named as the shopper's language writes a day and a time (Babel). A window is chosen by its
start (UTC, ISO 8601) and checked again against the windows offered now.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

from api.schemas.returns import PickupWindowIn

WINDOWS = ((time(9), time(13)), (time(13), time(17)))
DAYS = 5


@dataclass(frozen=True)
class PickupSlot:
    start: datetime  # UTC
    end: datetime
    day: str  # "vrijdag 11 december"
    hours: str  # "09:00–13:00"

    @property
    def value(self) -> str:
        return self.start.astimezone(UTC).isoformat()

    def window(self) -> PickupWindowIn:
        return PickupWindowIn(min_datetime=self.start, max_datetime=self.end)


def pickup_slots(now: datetime, timezone: str, lang: str) -> list[PickupSlot]:
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    days: list[date] = []
    day = today
    while len(days) < DAYS:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    slots = []
    for d in days:
        for opens, closes in WINDOWS:
            start = datetime.combine(d, opens, zone)
            end = datetime.combine(d, closes, zone)
            slots.append(
                PickupSlot(
                    start=start.astimezone(UTC),
                    end=end.astimezone(UTC),
                    day=format_date(d, "EEEE d MMMM", locale=lang),
                    hours=f"{format_time(start, 'short', locale=lang)}–{format_time(end, 'short', locale=lang)}",
                )
            )
    return slots


def slot_of(value: str | None, slots: list[PickupSlot]) -> PickupSlot | None:
    return next((s for s in slots if value and s.value == value), None)


@dataclass(frozen=True)
class StoreChoice:
    id: str
    name: str
    address: str
    hours: list[str]


def _stores_module():
    """H-store's queries (db/stores.py), once they exist; until then a merchant has no stores to offer."""
    try:
        return importlib.import_module("db.stores")
    except ModuleNotFoundError:
        return None


async def stores(db, merchant_id: str) -> list[StoreChoice]:
    module = _stores_module()
    if module is None or not hasattr(module, "stores_of"):
        return []
    found = await db.run(module.stores_of, merchant_id)
    out = []
    for s in found:
        address = getattr(s, "address", None) or {}
        if not isinstance(address, dict):
            address = address.model_dump() if hasattr(address, "model_dump") else {}
        parts = [address.get(k) for k in ("street1", "street2", "zip", "city")]
        hours = [
            f"{', '.join(h.days)} {h.opens}–{h.closes}" if hasattr(h, "days") else str(h)
            for h in getattr(s, "opening_hours", None) or []
        ]
        out.append(StoreChoice(s.id, getattr(s, "name", None) or s.id, " ".join(p for p in parts if p), hours))
    return out
