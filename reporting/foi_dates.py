"""Statutory FOI deadlines: the 20th working day after receipt, on a calendar of the whole UK.

A working day is any day but a Saturday, a Sunday, Christmas Day, Good Friday or a bank holiday in ANY
part of the UK (Freedom of Information Act 2000, s.10(6)). A request answered from Cardiff may be about
Belfast, so we take the union of England, Wales, Scotland and Northern Ireland from the `holidays` package
(offline, so no network call at run time), corrected by the `HolidayOverride` table for one-off proclaimed
holidays the package does not know yet (or days it lists that did not happen).

The functions here are pure (dates in, dates out) so the rule can be tested on real calendars by hand;
`HolidayOverride.objects.calendar()` (models.py) is the one place that reads the override table.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import holidays

STATUTORY_WORKING_DAYS = 20
MAX_EXTENSION_WORKING_DAYS = 20
UK_SUBDIVISIONS = ("ENG", "WLS", "SCT", "NIR")
# Twenty working days never span fewer calendar days than this (received on a Sunday: Monday is day 1,
# day 20 is the Friday of the fourth week, 26 days later). A cheap database bound for "due by" filters.
MIN_CALENDAR_DAYS_TO_DEADLINE = 26


@lru_cache(maxsize=64)
def uk_holidays(year: int) -> dict[datetime.date, str]:
    """Every holiday in any part of the UK in `year`, with its name(s)."""
    found: dict[datetime.date, set[str]] = {}
    for subdivision in UK_SUBDIVISIONS:
        for day, name in holidays.country_holidays("GB", subdiv=subdivision, years=year).items():
            found.setdefault(day, set()).update(part.strip() for part in name.split(";"))
    return {day: "; ".join(sorted(names)) for day, names in sorted(found.items())}


@dataclass(frozen=True)
class WorkingCalendar:
    """UK working days, with one-off additions (`extra_holidays`) and removals (`not_holidays`)."""

    extra_holidays: frozenset[datetime.date] = field(default_factory=frozenset)
    not_holidays: frozenset[datetime.date] = field(default_factory=frozenset)

    def is_working_day(self, day: datetime.date) -> bool:
        if day.weekday() >= 5 or day in self.extra_holidays:
            return False
        return day in self.not_holidays or day not in uk_holidays(day.year)


@dataclass(frozen=True)
class Pause:
    """A clarification: the clock stops at the end of `asked_on` and starts again the day after
    `answered_on` (still open when `answered_on` is None). Working days in between do not count."""

    asked_on: datetime.date
    answered_on: datetime.date | None = None

    def covers(self, day: datetime.date) -> bool:
        return self.asked_on < day and (self.answered_on is None or day <= self.answered_on)


def due_date(
    received_on: datetime.date,
    *,
    working_days: int = STATUTORY_WORKING_DAYS,
    extension_days: int = 0,
    pauses: Iterable[Pause] = (),
    calendar: WorkingCalendar | None = None,
) -> datetime.date | None:
    """The day the answer is due: `working_days` (+ a public-interest extension) counted working days after
    receipt, skipping days while the clock is paused. None while a clarification is still outstanding,
    because the deadline then depends on when the requester replies."""
    if not 0 <= extension_days <= MAX_EXTENSION_WORKING_DAYS:
        raise ValueError(f"An extension is 0 to {MAX_EXTENSION_WORKING_DAYS} working days, not {extension_days}.")
    pauses = list(pauses)
    if any(pause.answered_on is None for pause in pauses):
        return None
    calendar = calendar or WorkingCalendar()
    remaining = working_days + extension_days
    day = received_on
    while remaining > 0:
        day += datetime.timedelta(days=1)
        if calendar.is_working_day(day) and not any(pause.covers(day) for pause in pauses):
            remaining -= 1
    return day


def working_days_between(first: datetime.date, last: datetime.date, calendar: WorkingCalendar) -> int:
    """Working days after `first` up to and including `last` (negative when `last` is earlier)."""
    if last < first:
        return -working_days_between(last, first, calendar)
    days = (first + datetime.timedelta(days=offset) for offset in range(1, (last - first).days + 1))
    return sum(calendar.is_working_day(day) for day in days)
