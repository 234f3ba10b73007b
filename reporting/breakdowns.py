"""The one breakdown service: hires and outcomes counted by up to three dimensions, in the database.

Every count is a single GROUP BY query over placements (whatever their number); Python only arranges the
grouped rows into a `Breakdown` whose categories are complete and in report order, so a zero cell is a real
zero. The FOI pack, the statistics API and the dashboards all count through here, so they always agree.

Definitions (repeated in the FOI pack's Notes sheet):
- a *hire* is a placement with a start date on or before the day of counting (offers not yet started and
  offers withdrawn before start are not hires);
- a hire's *year* is the calendar year, or the financial year (1 April to 31 March, `2023-24`), of its start;
- a hire's *outcome* is its latest recorded outcome as at the report date; hires with none recorded count
  under "No outcome recorded" (distinct from the recorded outcome "Not known");
- a hire's *grade* is its common grade: an organisation's own pay-scale grade counts as the band it maps to.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import Case, CharField, Count, F, IntegerField, OuterRef, Q, Subquery, When
from django.db.models.functions import ExtractYear
from django.utils import timezone

from placements.choices import OutcomeCode
from placements.models import Outcome, Placement
from schemes.choices import GradeFramework, Region
from schemes.models import Grade, Location, Organisation, Scheme

DIMENSIONS = ("year", "location", "region", "grade", "scheme", "organisation", "business_unit", "outcome")
MAX_DIMENSIONS = 3
YEAR_BASES = ("calendar", "financial")
NO_OUTCOME = "No outcome recorded"
NO_BUSINESS_UNIT = "Not recorded"

# Headings a person reads (pack column headings, API documentation).
DIMENSION_LABELS = {
    "year": "Year",
    "location": "Location",
    "region": "Region",
    "grade": "Grade",
    "scheme": "Scheme",
    "organisation": "Organisation",
    "business_unit": "Business unit",
    "outcome": "Outcome",
}


class BreakdownError(ValueError):
    """A breakdown that cannot be counted as asked; the message names the bad parameter."""

    def __init__(self, parameter: str, message: str):
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter


@dataclass(frozen=True)
class Scope:
    """What a pack or an API call is about. Codes are matched without regard to case."""

    scheme: str | None = None  # scheme code, e.g. "CLIS"
    organisation: str | None = None  # organisation code; includes organisations nested under it
    business_unit: str | None = None
    year_basis: str = "calendar"  # or "financial" (2023-24 = 1 Apr 2023 .. 31 Mar 2024)
    first_year: int | None = None  # calendar year, or the first year of a financial year
    last_year: int | None = None

    def __post_init__(self):
        if self.year_basis not in YEAR_BASES:
            raise BreakdownError("year_basis", f"{self.year_basis!r} is not one of {', '.join(YEAR_BASES)}.")
        if self.first_year is not None and self.last_year is not None and self.first_year > self.last_year:
            raise BreakdownError("from", f"the first year {self.first_year} is after the last year {self.last_year}.")

    def year_label(self, year: int) -> str:
        """`2023` on a calendar basis, `2023-24` on a financial basis."""
        return f"{year}-{(year + 1) % 100:02d}" if self.year_basis == "financial" else str(year)

    def date_range(self) -> tuple[datetime.date | None, datetime.date | None]:
        """First and last start dates the scope's years cover (None where open)."""
        start_month = 4 if self.year_basis == "financial" else 1
        first = datetime.date(self.first_year, start_month, 1) if self.first_year is not None else None
        last = None
        if self.last_year is not None:
            last = datetime.date(self.last_year + 1, start_month, 1) - datetime.timedelta(days=1)
        return first, last

    def describe(self) -> str:
        """The scope in plain English, for the pack's Cover sheet."""
        parts = [f"Scheme: {self.scheme or 'all schemes'}"]
        parts.append(f"Organisation: {self.organisation or 'all organisations'}")
        if self.business_unit:
            parts.append(f"Business unit: {self.business_unit}")
        basis = "financial years (1 April to 31 March)" if self.year_basis == "financial" else "calendar years"
        if self.first_year is not None or self.last_year is not None:
            first = self.year_label(self.first_year) if self.first_year is not None else "the first record"
            last = self.year_label(self.last_year) if self.last_year is not None else "the latest"
            parts.append(f"Years: {first} to {last}, {basis}")
        else:
            parts.append(f"Years: all, by {basis}")
        return "; ".join(parts)


Key = tuple[str, ...]
TOTAL = None  # in a key, "all categories of this dimension": ("2023", TOTAL) is the 2023 row total


@dataclass(frozen=True)
class Breakdown:
    """Counts by some dimensions, every combination of categories present (zeros included).

    `categories[dim]` lists the categories of each dimension in report order; `counts` maps a tuple of
    categories (one per dimension, in `dimensions` order) to the number of hires."""

    dimensions: tuple[str, ...]
    categories: dict[str, tuple[str, ...]]
    counts: dict[Key, int] = field(repr=False)
    scope: Scope = field(default_factory=Scope)
    measure: str = "hires"

    def cells(self) -> Iterator[Key]:
        """Every combination of categories, in report order."""
        return itertools.product(*(self.categories[dim] for dim in self.dimensions))

    def count(self, *key: str) -> int:
        return self.counts.get(tuple(key), 0)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def margin(self, dimensions: Sequence[str]) -> Breakdown:
        """The same counts summed down to some of the dimensions (a sub-table)."""
        positions = [self.dimensions.index(dim) for dim in dimensions]
        summed: dict[Key, int] = dict.fromkeys(itertools.product(*(self.categories[dim] for dim in dimensions)), 0)
        for key, value in self.counts.items():
            if value:
                sub = tuple(key[i] for i in positions)
                summed[sub] = summed.get(sub, 0) + value
        return Breakdown(
            tuple(dimensions), {dim: self.categories[dim] for dim in dimensions}, summed, self.scope, self.measure
        )

    @cached_property
    def with_totals(self) -> dict[tuple, int]:
        """Every cell and every total: keys have a category or TOTAL for each dimension (one pass)."""
        totals: dict[tuple, int] = dict.fromkeys(
            itertools.product(*((*self.categories[dim], TOTAL) for dim in self.dimensions)), 0
        )
        masks = list(itertools.product((False, True), repeat=len(self.dimensions)))
        for key, value in self.counts.items():
            for mask in masks:
                cell = tuple(TOTAL if summed else category for category, summed in zip(key, mask, strict=True))
                totals[cell] = totals.get(cell, 0) + value
        return totals

    def rows(self) -> list[dict]:
        """One dict per combination, e.g. {"year": "2023-24", "location": "Newport", "count": 7}."""
        return [dict(zip(self.dimensions, key, strict=True), count=self.count(*key)) for key in self.cells()]


# How deep organisations may nest under the one a scope names (department > agency > directorate > team...).
NESTING_LEVELS = 6


def organisation_and_units(code: str) -> list[int]:
    """The ids of the organisation with this code (matched ignoring case) and of those nested under it, to any
    depth, from the organisation tree (`Organisation.objects.tree`). Raises a BreakdownError if the code is
    unknown."""
    tree = Organisation.objects.tree()
    organisation = tree.id_of(code)
    if organisation is None:
        raise BreakdownError("organisation", f"unknown organisation {code!r}.")
    return sorted(tree.descendant_ids([organisation]))


def hires(scope: Scope, as_at: datetime.date | None = None):
    """The placements a scope counts as hires: started on or before `as_at` (today by default).

    The scheme and organisations are looked up first (two small queries): literal ids let PostgreSQL filter
    inside an index scan, which measured twice as fast as matching the codes in a subquery."""
    as_at = as_at or timezone.localdate()
    queryset = Placement.objects.filter(started_on__isnull=False, started_on__lte=as_at)
    if scope.scheme:
        scheme_id = Scheme.objects.filter(code__iexact=scope.scheme).values_list("pk", flat=True).first()
        if scheme_id is None:
            raise BreakdownError("scheme", f"unknown scheme {scope.scheme!r}.")
        queryset = queryset.filter(scheme_id=scheme_id)
    if scope.organisation:
        queryset = queryset.filter(organisation_id__in=organisation_and_units(scope.organisation))
    if scope.business_unit:
        queryset = queryset.filter(business_unit__iexact=scope.business_unit)
    first_day, last_day = scope.date_range()
    if first_day:
        queryset = queryset.filter(started_on__gte=first_day)
    if last_day:
        queryset = queryset.filter(started_on__lte=last_day)
    return queryset


def _year_expression(scope: Scope):
    """The start year, or (financial basis) the first calendar year of the financial year of the start."""
    year = ExtractYear("started_on")
    if scope.year_basis == "calendar":
        return year
    return Case(When(started_on__month__gte=4, then=year), default=year - 1, output_field=IntegerField())


def _latest_outcome_expression(as_at: datetime.date | None):
    """The latest outcome code as at a date. For today (or later) that is the kept-up-to-date column. For a
    past date the column still answers for placements whose latest outcome was already recorded by then; only
    the others look in the outcome history.

    (Asking the history for today too would also ignore outcomes dated in the future, but its correlated
    subquery makes PostgreSQL's cost estimate jump and switch on JIT compilation: 4-5x slower for one
    department, measured in bench/bench_reporting.py. Outcomes are recorded when they happen.)"""
    if as_at is None or as_at >= timezone.localdate():
        return F("latest_outcome")
    latest = Outcome.objects.filter(placement=OuterRef("pk"), on__lte=as_at).order_by("-on", "-pk")
    return Case(
        When(Q(latest_outcome_on__isnull=True) | Q(latest_outcome_on__lte=as_at), then=F("latest_outcome")),
        default=Subquery(latest.values("code")[:1]),
        output_field=CharField(),
    )


def _group_expression(dimension: str, scope: Scope, as_at: datetime.date | None):
    """What to GROUP BY for a dimension. Reference data is grouped by its id (no joins, integer keys: the
    same GROUP BY one would write by hand) and named afterwards from the small reference tables."""
    if dimension == "year":
        return _year_expression(scope)
    if dimension in ("location", "region"):
        return F("location_id")
    if dimension == "grade":
        return F("grade_id")
    if dimension == "scheme":
        return F("scheme_id")
    if dimension == "organisation":
        return F("organisation_id")
    if dimension == "business_unit":
        return F("business_unit")
    if dimension == "outcome":
        return _latest_outcome_expression(as_at)
    raise BreakdownError("by", f"unknown dimension {dimension!r}: choose from {', '.join(DIMENSIONS)}.")


OUTCOME_LABELS = dict(OutcomeCode.choices)
REGION_ORDER = {value: position for position, value in enumerate(Region.values)}
REGION_LABELS = dict(Region.choices)
FRAMEWORK_ORDER = {value: position for position, value in enumerate(GradeFramework.values)}

Category = tuple[str, tuple]  # a category's label and its place in report order


def _namer(dimension: str, scope: Scope) -> Callable[[object], Category]:
    """Turns a grouped value into its category label and sort key (one small reference query at most)."""
    if dimension == "year":
        return lambda year: (scope.year_label(year), (year,))
    if dimension == "outcome":
        return lambda code: (OUTCOME_LABELS.get(code, NO_OUTCOME) if code else NO_OUTCOME, ())
    if dimension == "business_unit":
        return lambda unit: (unit or NO_BUSINESS_UNIT, (not unit, unit.lower()))
    if dimension == "location":
        names = dict(Location.objects.values_list("id", "name"))
        return lambda pk: (names[pk], (names[pk].lower(),))
    if dimension == "region":
        regions = dict(Location.objects.values_list("id", "region"))
        return lambda pk: (REGION_LABELS.get(regions[pk], regions[pk]), (REGION_ORDER.get(regions[pk], 99),))
    if dimension == "grade":
        # An organisation's own grade is counted as the common band it maps to.
        grades = {
            row["id"]: (
                row["band__code"] or row["code"],
                (
                    FRAMEWORK_ORDER.get(row["band__framework"] or row["framework"], 99),
                    row["band__rank"] if row["band__code"] else row["rank"],
                    row["band__code"] or row["code"],
                ),
            )
            for row in Grade.objects.values(
                "id", "code", "framework", "rank", "band__code", "band__framework", "band__rank"
            )
        }
        return grades.__getitem__
    model = Scheme if dimension == "scheme" else Organisation
    codes = dict(model.objects.values_list("id", "code"))
    return lambda pk: (codes[pk], (codes[pk].lower(),))


def _categories(dimension: str, observed: dict[str, tuple], scope: Scope) -> tuple[str, ...]:
    """Every category of a dimension in scope, in report order: all years in the range (or from the first to the
    last hire), every outcome, and the other dimensions' categories that occur in scope."""
    if dimension == "outcome":
        return (*OUTCOME_LABELS.values(), NO_OUTCOME)
    if dimension == "year":
        years = [sort_key[0] for sort_key in observed.values()]
        first = scope.first_year if scope.first_year is not None else min(years, default=None)
        last = scope.last_year if scope.last_year is not None else max(years, default=None)
        if first is None or last is None:
            return ()
        return tuple(scope.year_label(year) for year in range(first, last + 1))
    return tuple(label for label, _ in sorted(observed.items(), key=lambda item: item[1]))


def _check_dimensions(by: Sequence[str]) -> tuple[str, ...]:
    by = tuple(by)
    for dimension in by:
        if dimension not in DIMENSIONS:
            raise BreakdownError("by", f"unknown dimension {dimension!r}: choose from {', '.join(DIMENSIONS)}.")
    if len(set(by)) != len(by):
        raise BreakdownError("by", "a dimension is repeated.")
    if len(by) > MAX_DIMENSIONS:
        raise BreakdownError("by", f"at most {MAX_DIMENSIONS} dimensions, not {len(by)}.")
    return by


def _count(queryset, scope: Scope, by: tuple[str, ...], as_at: datetime.date | None, measure: str) -> Breakdown:
    """One GROUP BY query, then the grouped rows (one per combination, never one per placement) named and
    arranged into a complete table. Grouped rows that share a name (local grades and their band; locations
    in one region) are added together."""
    aliases = {f"dim_{dimension}": _group_expression(dimension, scope, as_at) for dimension in by}
    grouped = list(queryset.values(**aliases).annotate(hires=Count("*")).order_by().values_list(*aliases, "hires"))
    # Name each distinct grouped value once (there are far fewer values than grouped rows).
    names = [
        {value: namer(value) for value in {row[position] for row in grouped}}
        for position, namer in enumerate(_namer(dimension, scope) for dimension in by)
    ]
    named_rows = [(tuple(names[i][value][0] for i, value in enumerate(row[:-1])), row[-1]) for row in grouped]
    categories = {
        dimension: _categories(dimension, dict(names[position].values()), scope)
        for position, dimension in enumerate(by)
    }
    counts: dict[Key, int] = dict.fromkeys(itertools.product(*(categories[dim] for dim in by)), 0)
    for key, hires_counted in named_rows:
        counts[key] = counts.get(key, 0) + hires_counted
    return Breakdown(by, categories, counts, scope, measure)


def count_hires(scope: Scope, by: Sequence[str]) -> Breakdown:
    """Placements that started (hires), by up to three dimensions."""
    by = _check_dimensions(by)
    return _count(hires(scope), scope, by, None, "hires")


def count_tables(scope: Scope, tables: Sequence[Sequence[str]], as_at: datetime.date | None = None) -> list[Breakdown]:
    """Several breakdowns of the same hires (as at `as_at`, today by default) from ONE GROUP BY over all their
    dimensions, each summed down from the grouped rows: the tables of a pack in one query, agreeing exactly.

    Each table may have up to three dimensions; the grouped rows number at most the product of the categories
    (years x locations x grades x outcomes), never the number of placements."""
    tables = [_check_dimensions(by) for by in tables]
    every = tuple(dict.fromkeys(dim for by in tables for dim in by))
    measure = "hires" if as_at is None or as_at >= timezone.localdate() else f"hires as at {as_at:%Y-%m-%d}"
    finest = _count(hires(scope, as_at), scope, every, as_at, measure)
    return [finest.margin(by) for by in tables]


def count_outcomes(scope: Scope, by: Sequence[str], as_at: datetime.date | None = None) -> Breakdown:
    """Hires (started on or before `as_at`) by their latest outcome as at `as_at` (today by default).

    `by` may include "outcome" anywhere; it is counted like any other dimension."""
    by = _check_dimensions(by)
    measure = "hires" if as_at is None or as_at >= timezone.localdate() else f"hires as at {as_at:%Y-%m-%d}"
    return _count(hires(scope, as_at), scope, by, as_at, measure)
