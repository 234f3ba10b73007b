"""The validation rules for placements and outcomes, as pure functions over plain values.

One set of rules serves the model forms (`Placement.clean`, `Outcome.clean`, `Candidate.clean`), the spreadsheet
importer (placements/importing.py) and the API serializers, so a record refused in one place is refused
everywhere with the same words. Each function returns {model field name: plain-English message}; an empty dict
means the values are fine. Between them they cover every CheckConstraint on Placement and Outcome, so a caller
that checks them first never meets an IntegrityError from those constraints.

The date windows (docs/decisions/0017) are rules too: a record's dates run from its scheme's first year (or
RECORD_DATES_EARLIEST_YEAR) to a short way ahead of today, and a candidate is AGE_AT_OFFER_MIN to
AGE_AT_OFFER_MAX years old at the offer, so `01/01/0024` for 2024 is caught wherever it is typed, and
`manage.py check_data` lists the stored records outside them.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from schemes.spreadsheets import formula_problem, nul_problem

from .choices import OUTCOMES_BEFORE_START, OutcomeCode

OUTCOME_LABELS = dict(OutcomeCode.choices)


def _iso(day: datetime.date) -> str:
    return day.isoformat()  # strftime's %Y drops the zeros of year 24


@dataclass(frozen=True)
class DateWindows:
    """How far back and ahead a record's dates may run, and how old a candidate may be at the offer."""

    today: datetime.date
    earliest_year: int
    days_ahead: int
    planned_end_days_ahead: int
    min_age: int
    max_age: int

    @classmethod
    def from_settings(cls, today: datetime.date | None = None) -> DateWindows:
        return cls(
            today=today or timezone.localdate(),
            earliest_year=settings.RECORD_DATES_EARLIEST_YEAR,
            days_ahead=settings.RECORD_DATES_DAYS_AHEAD,
            planned_end_days_ahead=settings.PLANNED_END_DAYS_AHEAD,
            min_age=settings.AGE_AT_OFFER_MIN,
            max_age=settings.AGE_AT_OFFER_MAX,
        )

    def first_year(self, scheme_first_year: int | None) -> int:
        """The earliest year a date may have on a scheme: its first intake's, else the product's."""
        return scheme_first_year or self.earliest_year

    def latest(self, field: str) -> datetime.date:
        ahead = self.planned_end_days_ahead if field == "planned_end_on" else self.days_ahead
        return self.today + datetime.timedelta(days=ahead)


def _years_typed_short(year: int, windows: DateWindows) -> str:
    """A hint for a year typed with two digits (`0024`, `24`): the year it most likely stands for."""
    if year >= 100:
        return ""
    meant = 2000 + year if 2000 + year <= windows.today.year + 1 else 1900 + year
    return f"; did you mean {meant}?"


def date_window_problems(
    dates: Mapping[str, datetime.date | None],
    *,
    scheme_first_year: int | None = None,
    scheme: str = "",
    windows: DateWindows | None = None,
    shown: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Problems with a record's dates (keyed by field) outside their window: before the
    scheme's first year, or further ahead of today than RECORD_DATES_DAYS_AHEAD (PLANNED_END_DAYS_AHEAD for a
    planned end). `shown` gives a date as the user wrote it, for the message (`01/01/0024`)."""
    windows = windows or DateWindows.from_settings()
    shown = shown or {}
    first_year = windows.first_year(scheme_first_year)
    problems: dict[str, str] = {}
    for name, day in dates.items():
        if day is None:
            continue
        text = shown.get(name) or _iso(day)
        if day.year < first_year:
            whose = f", the first year of {scheme}" if scheme_first_year and scheme else ""
            hint = _years_typed_short(day.year, windows)
            problems[name] = f"{text}: year {day.year} is before {first_year}{whose}{hint}"
        elif day > (latest := windows.latest(name)):
            problems[name] = (
                f"{text}: is after {_iso(latest)}, the latest date accepted "
                f"({(latest - windows.today).days} days from today)"
            )
    return problems


def age_on(date_of_birth: datetime.date, day: datetime.date) -> int:
    """Completed years between a date of birth and a day."""
    return day.year - date_of_birth.year - ((day.month, day.day) < (date_of_birth.month, date_of_birth.day))


def date_of_birth_problems(
    date_of_birth: datetime.date | None,
    *,
    offered_on: datetime.date | None,
    started_on: datetime.date | None,
    windows: DateWindows | None = None,
    shown: str = "",
) -> str | None:
    """Why a date of birth is implausible for a candidate offered (or, with no offer date, started) a placement
    on the given dates: it must make them AGE_AT_OFFER_MIN to AGE_AT_OFFER_MAX years old then."""
    day, which = (offered_on, "offer") if offered_on else (started_on, "start")
    if date_of_birth is None or day is None:
        return None
    windows = windows or DateWindows.from_settings()
    text = shown or _iso(date_of_birth)
    if date_of_birth >= day:
        return f"{text} is not before the {which} date {_iso(day)}{_years_typed_short(date_of_birth.year, windows)}"
    age = age_on(date_of_birth, day)
    if windows.min_age <= age <= windows.max_age:
        return None
    return (
        f"{text}: the candidate would be {age} at the {which} on {_iso(day)}; a candidate is "
        f"{windows.min_age} to {windows.max_age} at the offer{_years_typed_short(date_of_birth.year, windows)}"
    )


def placement_date_problems(
    *,
    referred_on: datetime.date | None = None,
    applied_on: datetime.date | None = None,
    offered_on: datetime.date | None = None,
    clearance_requested_on: datetime.date | None = None,
    clearance_granted_on: datetime.date | None = None,
    started_on: datetime.date | None = None,
    planned_end_on: datetime.date | None = None,
    ended_on: datetime.date | None = None,
) -> dict[str, str]:
    """Problems with a placement's pipeline dates, keyed by the field that is wrong."""
    problems: dict[str, str] = {}
    if not any((referred_on, applied_on, offered_on, started_on)):
        problems["started_on"] = (
            "a placement needs a start date, or an offer, application or referral date if it has not started"
        )
    if ended_on is not None:
        if started_on is None:
            problems["ended_on"] = "an end date needs a start date"
        elif ended_on < started_on:
            problems["ended_on"] = f"{_iso(ended_on)} is before the start date {_iso(started_on)}"
    if planned_end_on is not None and started_on is not None and planned_end_on < started_on:
        problems["planned_end_on"] = f"{_iso(planned_end_on)} is before the start date {_iso(started_on)}"
    if offered_on is not None and started_on is not None and started_on < offered_on:
        problems["started_on"] = f"{_iso(started_on)} is before the offer date {_iso(offered_on)}"
    if applied_on is not None and offered_on is not None and offered_on < applied_on:
        problems["offered_on"] = f"{_iso(offered_on)} is before the application date {_iso(applied_on)}"
    if clearance_requested_on and clearance_granted_on and clearance_granted_on < clearance_requested_on:
        problems["clearance_granted_on"] = (
            f"{_iso(clearance_granted_on)} is before the date security clearance was requested "
            f"{_iso(clearance_requested_on)}"
        )
    return problems


def outcome_problems(
    *,
    code: str,
    on: datetime.date | None,
    started_on: datetime.date | None,
    has_destination: bool = False,
) -> dict[str, str]:
    """Problems with an outcome for a placement that started on `started_on` (None: never started)."""
    problems: dict[str, str] = {}
    label = OUTCOME_LABELS.get(code, code)
    if started_on is None:
        if code not in OUTCOMES_BEFORE_START:
            problems["code"] = (
                f"'{label}' cannot be recorded for a placement that never started; "
                "only 'Withdrew before start' fits an offer that has not started"
            )
    elif on is not None and on < started_on:
        problems["on"] = f"{_iso(on)} is before the start date {_iso(started_on)}"
    if has_destination and code != OutcomeCode.TRANSFERRED:
        problems["destination_organisation"] = (
            f"a destination organisation is only recorded for transfers, not for '{label}'"
        )
    return problems


def text_problems(**values: str) -> dict[str, str]:
    """Free text that a spreadsheet would run as a formula once exported, or that holds a NUL character the
    database cannot store (imports, forms and the API refuse both)."""
    return {
        name: problem
        for name, value in values.items()
        if value and (problem := nul_problem(value) or formula_problem(value))
    }


def as_sentences(problems: dict[str, str]) -> dict[str, str]:
    """The same problems written as form messages (capital letter, full stop) for `ValidationError`."""
    return {
        field: f"{message[0].upper()}{message[1:]}{'' if message.endswith(('.', '?')) else '.'}"
        for field, message in problems.items()
    }
