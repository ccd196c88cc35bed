"""How the shopper can send the parcel: the carrier pickup's windows and the merchant's stores (db.stores).

Pickup windows: the next five weekdays after today, 09:00–13:00 and 13:00–17:00 in the merchant's time
zone, each named as the shopper's language writes a day and a time (Babel). A window is chosen by its
start (UTC, ISO 8601) and checked again against the windows offered now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_day_names

from api.schemas.returns import PickupWindowIn
from db.stores import stores_of
from domain.facilities import Facility
from domain.facilities.hours import DAYS

WINDOWS = ((time(9), time(13)), (time(13), time(17)))
PICKUP_DAYS = 5


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
    while len(days) < PICKUP_DAYS:
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
    hours: list[str]  # "ma–za 10:00–18:00"


def _days(days: list[str], lang: str) -> str:
    """Days of the week in the language, a run of three or more as a range: "ma–za", "Mo, Mi, Fr"."""
    names = get_day_names("abbreviated", locale=lang)
    index = sorted(DAYS.index(d) for d in days)  # babel numbers the days from Monday = 0, as DAYS
    runs: list[list[int]] = []
    for i in index:
        if runs and i == runs[-1][-1] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    parts = [f"{names[r[0]]}–{names[r[-1]]}" if len(r) >= 3 else ", ".join(names[i] for i in r) for r in runs]
    return ", ".join(parts)


def store_choice(store: Facility, lang: str) -> StoreChoice:
    a = store.address
    address = ", ".join(p for p in (" ".join(x for x in (a.street1, a.street2) if x), f"{a.zip} {a.city}") if p)
    hours = [f"{_days(h.days, lang)} {h.opens}–{h.closes}" for h in store.opening_hours or []]
    return StoreChoice(store.id, store.name, address, hours)


async def stores(db, merchant_id: str, lang: str) -> list[StoreChoice]:
    """The merchant's stores a shopper can hand the parcel in at, with address and opening hours."""
    return [store_choice(s, lang) for s in await db.run(stores_of, merchant_id)]
