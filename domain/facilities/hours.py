"""When a store is open to shoppers: a week of opening hours, as the store list shows it.

Each entry names some days and one opening span ("mon".."sun", "09:00" to "18:00", local time of
the store). A day may have several spans (a lunch break) but they may not overlap. Times are
24-hour HH:MM; a span closes after it opens, on the same day.
"""

from __future__ import annotations

from typing import Any, Literal

from babel.dates import get_day_names
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.validation import Loc, invalid, problem, repeats

__all__ = ["DAYS", "OpeningHours", "Weekday", "day_name", "overlaps", "week"]

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class OpeningHours(BaseModel):
    """One opening span on some days of the week."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    days: list[Weekday] = Field(min_length=1, max_length=7)
    opens: str = Field(pattern=_CLOCK, max_length=5, description="HH:MM, 24-hour, the store's local time")
    closes: str = Field(pattern=_CLOCK, max_length=5, description="HH:MM, after `opens`, the same day")

    @field_validator("days")
    @classmethod
    def _days(cls, v: list[str]) -> list[str]:
        problems: list[tuple[Loc, str, Any]] = [
            ((i,), f"{v[i]!r} is already days[{first}]", v[i]) for i, first in repeats(v).items()
        ]
        if problems:
            raise invalid("OpeningHours", problems)
        return sorted(v, key=DAYS.index)  # the week's order, so the list reads as a store front does

    @model_validator(mode="after")
    def _closes_after_opens(self) -> OpeningHours:
        if self.closes <= self.opens:  # HH:MM compares as text in time order
            raise problem(f"closes ({self.closes}) must be after opens ({self.opens})")
        return self


def overlaps(hours: list[OpeningHours]) -> list[tuple[Loc, str, Any]]:
    """Problems where two spans share a day and a moment, each at the later entry's `days`."""
    problems: list[tuple[Loc, str, Any]] = []
    for j, later in enumerate(hours):
        for i, earlier in enumerate(hours[:j]):
            shared = [d for d in later.days if d in earlier.days]
            if shared and later.opens < earlier.closes and earlier.opens < later.closes:
                problems.append(
                    (
                        (j, "days"),
                        f"{later.opens}-{later.closes} overlaps opening_hours[{i}] "
                        f"({earlier.opens}-{earlier.closes}) on {', '.join(shared)}",
                        later.days,
                    )
                )
    return problems


def week(hours: list[OpeningHours] | None) -> list[tuple[str, list[tuple[str, str]]]]:
    """Each day from Monday, with its (opens, closes) spans earliest first: [] on a day the store is closed.
    For a store list: one line per day, as a shop door shows it."""
    spans = {day: sorted((h.opens, h.closes) for h in hours or [] if day in h.days) for day in DAYS}
    return [(day, spans[day]) for day in DAYS]


def day_name(day: str, language: str) -> str:
    """The day's name in `language` (CLDR, through Babel): "maandag", "Monday", "Montag", "lundi"."""
    return str(get_day_names("wide", locale=language)[DAYS.index(day)])
