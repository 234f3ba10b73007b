"""The periods exports are made for: a month (`2024-09`), a quarter (`2024-Q3`), a calendar year (`2024`) or
a financial year (`2024-25`, 1 April to 31 March), as docs/interfaces.md section 5 names them.

Periods are worked out from the date in London: beat fires in UTC (which has no clock changes), and the task
asks which period has just ended on the London calendar, so a clock change can neither skip nor repeat one.
Quarters are calendar quarters: 2024-Q1 is January to March 2024.
"""

from __future__ import annotations

import datetime
import re
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.utils import timezone

LONDON = zoneinfo.ZoneInfo("Europe/London")
MONTH_NAMES = [datetime.date(2000, month, 1).strftime("%B") for month in range(1, 13)]


class Frequency(models.TextChoices):
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly (January to March, April to June, ...)"
    YEARLY = "yearly", "Yearly (January to December)"
    FINANCIAL_YEARLY = "financial_yearly", "Yearly (financial year, April to March)"


class PeriodError(ValueError):
    """A period that cannot be read; the message says what forms are accepted."""


PERIOD_FORMS = "2024 (a year), 2024-25 (a financial year), 2024-Q3 (a quarter) or 2024-09 (a month)"
_PATTERNS = {
    Frequency.FINANCIAL_YEARLY: re.compile(r"^(\d{4})-(\d{2})$"),
    Frequency.QUARTERLY: re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE),
    Frequency.YEARLY: re.compile(r"^(\d{4})$"),
}


@dataclass(frozen=True, order=True)
class Period:
    """One period of one frequency: `number` is the month (1-12) or the quarter (1-4), 0 for years."""

    frequency: str
    year: int
    number: int = 0

    @classmethod
    def parse(cls, text: str) -> Period:
        text = str(text).strip()
        if match := _PATTERNS[Frequency.YEARLY].match(text):
            return cls(Frequency.YEARLY, int(match[1]))
        if match := _PATTERNS[Frequency.QUARTERLY].match(text):
            return cls(Frequency.QUARTERLY, int(match[1]), int(match[2]))
        if match := _PATTERNS[Frequency.FINANCIAL_YEARLY].match(text):
            year, second = int(match[1]), int(match[2])
            if second == (year + 1) % 100:
                return cls(Frequency.FINANCIAL_YEARLY, year)
            if 1 <= second <= 12:
                return cls(Frequency.MONTHLY, year, second)
            raise PeriodError(
                f"{text!r} is neither a month nor a financial year: did you mean {year}-{(year + 1) % 100:02d}?"
            )
        raise PeriodError(f"{text!r} is not a period: give {PERIOD_FORMS}.")

    @classmethod
    def containing(cls, frequency: str, day: datetime.date) -> Period:
        if frequency == Frequency.MONTHLY:
            return cls(frequency, day.year, day.month)
        if frequency == Frequency.QUARTERLY:
            return cls(frequency, day.year, (day.month - 1) // 3 + 1)
        if frequency == Frequency.YEARLY:
            return cls(frequency, day.year)
        if frequency == Frequency.FINANCIAL_YEARLY:
            return cls(frequency, day.year if day.month >= 4 else day.year - 1)
        raise PeriodError(f"Unknown frequency {frequency!r}.")

    @classmethod
    def last_complete(cls, frequency: str, now: datetime.datetime | None = None) -> Period:
        """The latest period of this frequency that has ended, on the London calendar at `now`."""
        today = timezone.localtime(now or timezone.now(), LONDON).date()
        return cls.containing(frequency, today).previous()

    @property
    def first_day(self) -> datetime.date:
        if self.frequency == Frequency.MONTHLY:
            return datetime.date(self.year, self.number, 1)
        if self.frequency == Frequency.QUARTERLY:
            return datetime.date(self.year, 3 * self.number - 2, 1)
        if self.frequency == Frequency.FINANCIAL_YEARLY:
            return datetime.date(self.year, 4, 1)
        return datetime.date(self.year, 1, 1)

    def next(self) -> Period:
        return self.containing(self.frequency, self.last_day + datetime.timedelta(days=1))

    def previous(self) -> Period:
        return self.containing(self.frequency, self.first_day - datetime.timedelta(days=1))

    @property
    def last_day(self) -> datetime.date:
        if self.frequency == Frequency.MONTHLY:
            following = datetime.date(self.year + self.number // 12, self.number % 12 + 1, 1)
        elif self.frequency == Frequency.QUARTERLY:
            following = datetime.date(self.year + self.number // 4, (3 * self.number) % 12 + 1, 1)
        elif self.frequency == Frequency.FINANCIAL_YEARLY:
            following = datetime.date(self.year + 1, 4, 1)
        else:
            following = datetime.date(self.year + 1, 1, 1)
        return following - datetime.timedelta(days=1)

    @property
    def label(self) -> str:
        """As docs/interfaces.md writes it: `2024-09`, `2024-Q3`, `2024` or `2024-25`."""
        if self.frequency == Frequency.MONTHLY:
            return f"{self.year}-{self.number:02d}"
        if self.frequency == Frequency.QUARTERLY:
            return f"{self.year}-Q{self.number}"
        if self.frequency == Frequency.FINANCIAL_YEARLY:
            return f"{self.year}-{(self.year + 1) % 100:02d}"
        return str(self.year)

    def describe(self) -> str:
        """In words: `September 2024`, `July to September 2024`, `2024`, `April 2024 to March 2025`."""
        if self.frequency == Frequency.MONTHLY:
            return f"{MONTH_NAMES[self.number - 1]} {self.year}"
        if self.frequency == Frequency.QUARTERLY:
            return f"{MONTH_NAMES[3 * self.number - 3]} to {MONTH_NAMES[3 * self.number - 1]} {self.year}"
        if self.frequency == Frequency.FINANCIAL_YEARLY:
            return f"April {self.year} to March {self.year + 1}"
        return str(self.year)

    @property
    def year_basis(self) -> str:
        """How a statistics scope for this period counts years."""
        return "financial" if self.frequency == Frequency.FINANCIAL_YEARLY else "calendar"

    def fires_at(self) -> datetime.datetime:
        """When beat asks for this period: the first day after it, at EXPORT_SCHEDULE_HOUR_UTC in UTC."""
        day = self.last_day + datetime.timedelta(days=1)
        return datetime.datetime(day.year, day.month, day.day, settings.EXPORT_SCHEDULE_HOUR_UTC, tzinfo=datetime.UTC)

    def __str__(self) -> str:
        return self.label
