"""The dimensions hires can be broken down by: one entry each, so adding a dimension is adding an entry here.

An entry says everything the product needs to know about a dimension: its name (the API's `by`), the heading a
person reads (pack column headings), what the database groups by, how a grouped value is named and ordered, and
which categories a complete table lists. The breakdown service (breakdowns.py) counts by these entries, the
FOI pack takes its headings from them, and the statistics API checks `by` and documents its rows with them.

Years have their labels here too, both ways: `2023`, or `2023-24` on a financial basis.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Case, CharField, F, IntegerField, OuterRef, Q, Subquery, When
from django.db.models.functions import ExtractYear
from django.utils import timezone

from placements.choices import OutcomeCode
from placements.models import Outcome
from schemes.choices import GradeFramework, Region
from schemes.models import Grade, Location, Organisation, Scheme

if TYPE_CHECKING:
    from .breakdowns import Scope

YEAR_BASES = ("calendar", "financial")
NO_OUTCOME = "No outcome recorded"
NO_BUSINESS_UNIT = "Not recorded"

Category = tuple[str, tuple]  # a category's label and its place in report order


def year_label(year: int, year_basis: str) -> str:
    """`2023` on a calendar basis, `2023-24` on a financial basis (the financial year starting in 2023)."""
    return f"{year}-{(year + 1) % 100:02d}" if year_basis == "financial" else str(year)


def year_of(label: str) -> int:
    """The year a label names (the inverse of `year_label`): 2023 for `2023` and for `2023-24`."""
    return int(label[:4])


def year_of_date(day: datetime.date, year_basis: str) -> int:
    """The year a day falls in: its calendar year, or the first year of its financial year (2023 for 5 March 2024)."""
    return day.year - 1 if year_basis == "financial" and day.month < 4 else day.year


@dataclass(frozen=True)
class Dimension:
    """One way of splitting hires.

    `group_by(scope, as_at)` is what the GROUP BY groups by: a placement's own column where possible (reference
    data by its id: integer keys, no joins), named afterwards. `namer(scope)` returns a function from a grouped
    value to its category label and sort key (it may read one small reference table). `every_category` lists a
    complete table's categories in report order from the (label, sort key) pairs that occur in scope."""

    name: str
    label: str
    group_by: Callable[[Scope, datetime.date | None], Any]
    namer: Callable[[Scope], Callable[[Any], Category]]
    every_category: Callable[[dict[str, tuple], Scope], tuple[str, ...]]
    help_text: str | None = None  # for the statistics API's documentation


def categories_that_occur(observed: dict[str, tuple], scope: Scope) -> tuple[str, ...]:
    """The categories found among the hires in scope, in report order (a pack for ONS lists its own sites)."""
    return tuple(label for label, _ in sorted(observed.items(), key=lambda item: item[1]))


def every_year(observed: dict[str, tuple], scope: Scope) -> tuple[str, ...]:
    """Every year of the scope's range, or from the first to the last year with hires; a year with none is a 0.
    Hires are only counted from the scope's first counted year (breakdowns.Scope), so a start date typed as
    year 1 cannot stretch this to two thousand years."""
    years = [sort_key[0] for sort_key in observed.values()]
    first = scope.first_year if scope.first_year is not None else min(years, default=None)
    last = scope.last_year if scope.last_year is not None else max(years, default=None)
    if first is None or last is None:
        return ()
    return tuple(year_label(year, scope.year_basis) for year in range(first, last + 1))


def _year_expression(scope: Scope, as_at: datetime.date | None):
    """The start year, or (financial basis) the first calendar year of the financial year of the start."""
    year = ExtractYear("started_on")
    if scope.year_basis == "calendar":
        return year
    return Case(When(started_on__month__gte=4, then=year), default=year - 1, output_field=IntegerField())


def _latest_outcome_expression(scope: Scope, as_at: datetime.date | None):
    """The latest outcome code as at a date. For today (or later) that is the kept-up-to-date column. For a
    past date the column still answers for placements whose latest outcome was already recorded by then; only
    the others look in the outcome history.

    (Asking the history for today too would also ignore outcomes dated in the future, but its correlated
    subquery makes PostgreSQL switch on JIT compilation and run much slower: decision 0031. Outcomes are
    recorded when they happen.)"""
    if as_at is None or as_at >= timezone.localdate():
        return F("latest_outcome")
    latest = Outcome.objects.filter(placement=OuterRef("pk"), on__lte=as_at).order_by("-on", "-pk")
    return Case(
        When(Q(latest_outcome_on__isnull=True) | Q(latest_outcome_on__lte=as_at), then=F("latest_outcome")),
        default=Subquery(latest.values("code")[:1]),
        output_field=CharField(),
    )


def _column(name: str):
    return lambda scope, as_at: F(name)


OUTCOME_LABELS = dict(OutcomeCode.choices)
REGION_ORDER = {value: position for position, value in enumerate(Region.values)}
REGION_LABELS = dict(Region.choices)
FRAMEWORK_ORDER = {value: position for position, value in enumerate(GradeFramework.values)}


def _name_years(scope: Scope):
    return lambda year: (year_label(year, scope.year_basis), (year,))


def _name_outcomes(scope: Scope):
    return lambda code: (OUTCOME_LABELS.get(code, NO_OUTCOME) if code else NO_OUTCOME, ())


def _every_outcome(observed: dict[str, tuple], scope: Scope) -> tuple[str, ...]:
    """All ten outcomes and "No outcome recorded", always, in the order of docs/domain.md."""
    return (*OUTCOME_LABELS.values(), NO_OUTCOME)


def _name_business_units(scope: Scope):
    return lambda unit: (unit or NO_BUSINESS_UNIT, (not unit, unit.lower()))


def _name_locations(scope: Scope):
    names = dict(Location.objects.values_list("id", "name"))
    return lambda pk: (names[pk], (names[pk].lower(),))


def _name_regions(scope: Scope):
    regions = dict(Location.objects.values_list("id", "region"))
    return lambda pk: (REGION_LABELS.get(regions[pk], regions[pk]), (REGION_ORDER.get(regions[pk], 99),))


def _name_grades(scope: Scope):
    """An organisation's own grade is counted as the common band it maps to; grades in order of framework and
    rank (seniority), not of code."""
    columns = ("id", "code", "framework", "rank", "band__code", "band__framework", "band__rank")
    grades = {
        row["id"]: (
            row["band__code"] or row["code"],
            (
                FRAMEWORK_ORDER.get(row["band__framework"] or row["framework"], 99),
                row["band__rank"] if row["band__code"] else row["rank"],
                row["band__code"] or row["code"],
            ),
        )
        for row in Grade.objects.values(*columns)
    }
    return grades.__getitem__


def _name_by_code(model):
    def namer(scope: Scope):
        codes = dict(model.objects.values_list("id", "code"))
        return lambda pk: (codes[pk], (codes[pk].lower(),))

    return namer


DIMENSIONS: dict[str, Dimension] = {
    dimension.name: dimension
    for dimension in (
        Dimension(
            "year",
            "Year",
            _year_expression,
            _name_years,
            every_year,
            help_text="`2023`, or `2023-24` on a financial basis.",
        ),
        Dimension("location", "Location", _column("location_id"), _name_locations, categories_that_occur),
        Dimension("region", "Region", _column("location_id"), _name_regions, categories_that_occur),
        Dimension(
            "grade",
            "Grade",
            _column("grade_id"),
            _name_grades,
            categories_that_occur,
            help_text="Common grade code (organisation grades as their band).",
        ),
        Dimension("scheme", "Scheme", _column("scheme_id"), _name_by_code(Scheme), categories_that_occur),
        Dimension(
            "organisation",
            "Organisation",
            _column("organisation_id"),
            _name_by_code(Organisation),
            categories_that_occur,
        ),
        Dimension(
            "business_unit", "Business unit", _column("business_unit"), _name_business_units, categories_that_occur
        ),
        Dimension(
            "outcome",
            "Outcome",
            _latest_outcome_expression,
            _name_outcomes,
            _every_outcome,
            help_text="Latest outcome, as in the FOI pack.",
        ),
    )
}
