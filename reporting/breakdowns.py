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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from django.db.models import Case, CharField, Count, F, IntegerField, OuterRef, Subquery, When
from django.db.models.functions import Coalesce, ExtractYear
from django.utils import timezone

from placements.choices import OutcomeCode
from placements.models import Outcome, Placement
from schemes.choices import GradeFramework, Region
from schemes.models import Organisation, Scheme

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
        summed: dict[Key, int] = {}
        for key, value in self.counts.items():
            sub = tuple(key[i] for i in positions)
            summed[sub] = summed.get(sub, 0) + value
        return Breakdown(
            tuple(dimensions), {dim: self.categories[dim] for dim in dimensions}, summed, self.scope, self.measure
        )

    def rows(self) -> list[dict]:
        """One dict per combination, e.g. {"year": "2023-24", "location": "Newport", "count": 7}."""
        return [dict(zip(self.dimensions, key, strict=True), count=self.count(*key)) for key in self.cells()]


def hires(scope: Scope, as_at: datetime.date | None = None):
    """The placements a scope counts as hires: started on or before `as_at` (today by default)."""
    as_at = as_at or timezone.localdate()
    queryset = Placement.objects.filter(started_on__isnull=False, started_on__lte=as_at)
    if scope.scheme:
        scheme = Scheme.objects.filter(code__iexact=scope.scheme).first()
        if scheme is None:
            raise BreakdownError("scheme", f"unknown scheme {scope.scheme!r}.")
        queryset = queryset.filter(scheme=scheme)
    if scope.organisation:
        organisation = Organisation.objects.filter(code__iexact=scope.organisation).first()
        if organisation is None:
            raise BreakdownError("organisation", f"unknown organisation {scope.organisation!r}.")
        queryset = queryset.filter(organisation_id__in=Organisation.objects.descendant_ids([organisation]))
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
    """The latest outcome code as at a date: the kept-up-to-date column for today, the history otherwise."""
    if as_at is None or as_at >= timezone.localdate():
        return F("latest_outcome")
    latest = Outcome.objects.filter(placement=OuterRef("pk"), on__lte=as_at).order_by("-on", "-pk")
    return Subquery(latest.values("code")[:1], output_field=CharField())


def _dimension_expressions(dimension: str, scope: Scope, as_at: datetime.date | None) -> dict:
    """SQL expressions to group by for one dimension: the value, plus what orders its categories."""
    if dimension == "year":
        return {"year": _year_expression(scope)}
    if dimension == "location":
        return {"location": F("location__name")}
    if dimension == "region":
        return {"region": F("location__region")}
    if dimension == "grade":
        return {
            "grade": Coalesce(F("grade__band__code"), F("grade__code")),
            "grade_framework": Coalesce(F("grade__band__framework"), F("grade__framework")),
            "grade_rank": Coalesce(F("grade__band__rank"), F("grade__rank")),
        }
    if dimension == "scheme":
        return {"scheme": F("scheme__code")}
    if dimension == "organisation":
        return {"organisation": F("organisation__code")}
    if dimension == "business_unit":
        return {"business_unit": F("business_unit")}
    if dimension == "outcome":
        return {"outcome": _latest_outcome_expression(as_at)}
    raise BreakdownError("by", f"unknown dimension {dimension!r}: choose from {', '.join(DIMENSIONS)}.")


OUTCOME_LABELS = dict(OutcomeCode.choices)
REGION_ORDER = {value: position for position, value in enumerate(Region.values)}
REGION_LABELS = dict(Region.choices)
FRAMEWORK_ORDER = {value: position for position, value in enumerate(GradeFramework.values)}


def _label(dimension: str, row: dict, scope: Scope) -> str:
    value = row[dimension]
    if dimension == "year":
        return scope.year_label(value)
    if dimension == "region":
        return REGION_LABELS.get(value, value)
    if dimension == "outcome":
        return OUTCOME_LABELS.get(value, NO_OUTCOME) if value else NO_OUTCOME
    if dimension == "business_unit":
        return value or NO_BUSINESS_UNIT
    return value


def _sort_key(dimension: str, row: dict):
    """Report order of an observed category: grades by rank, regions in ITL1 order, the rest by name."""
    value = row[dimension]
    if dimension == "grade":
        return (FRAMEWORK_ORDER.get(row["grade_framework"], 99), row["grade_rank"], value)
    if dimension == "region":
        return (REGION_ORDER.get(value, 99), value)
    if dimension == "business_unit":
        return (not value, value.lower())
    return (str(value).lower(),)


def _categories(dimension: str, grouped: list[dict], scope: Scope) -> tuple[str, ...]:
    """Every category of a dimension in scope, in report order."""
    if dimension == "outcome":
        return (*OUTCOME_LABELS.values(), NO_OUTCOME)
    if dimension == "year":
        observed = {row["year"] for row in grouped}
        first = scope.first_year if scope.first_year is not None else min(observed, default=None)
        last = scope.last_year if scope.last_year is not None else max(observed, default=None)
        if first is None or last is None:
            return ()
        return tuple(scope.year_label(year) for year in range(first, last + 1))
    ordered = sorted(
        {_label(dimension, row, scope): _sort_key(dimension, row) for row in grouped}.items(), key=lambda item: item[1]
    )
    return tuple(label for label, _ in ordered)


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
    """One GROUP BY query, then the grouped rows arranged into a complete table."""
    expressions: dict = {}
    for dimension in by:
        expressions.update(_dimension_expressions(dimension, scope, as_at))
    # Annotations are prefixed: "location", "grade"... are also the names of the placement's foreign keys.
    prefixed = {f"dim_{name}": expression for name, expression in expressions.items()}
    rows = queryset.annotate(**prefixed).values(*prefixed).annotate(hires=Count("pk")).order_by()
    grouped = [{name.removeprefix("dim_"): value for name, value in row.items()} for row in rows]
    categories = {dimension: _categories(dimension, grouped, scope) for dimension in by}
    counts: dict[Key, int] = dict.fromkeys(itertools.product(*(categories[dim] for dim in by)), 0)
    for row in grouped:
        key = tuple(_label(dimension, row, scope) for dimension in by)
        counts[key] = counts.get(key, 0) + row["hires"]
    return Breakdown(by, categories, counts, scope, measure)


def count_hires(scope: Scope, by: Sequence[str]) -> Breakdown:
    """Placements that started (hires), by up to three dimensions."""
    by = _check_dimensions(by)
    return _count(hires(scope), scope, by, None, "hires")


def count_outcomes(scope: Scope, by: Sequence[str], as_at: datetime.date | None = None) -> Breakdown:
    """Hires (started on or before `as_at`) by their latest outcome as at `as_at` (today by default).

    `by` may include "outcome" anywhere; it is counted like any other dimension."""
    by = _check_dimensions(by)
    measure = "hires" if as_at is None or as_at >= timezone.localdate() else f"hires as at {as_at:%Y-%m-%d}"
    return _count(hires(scope, as_at), scope, by, as_at, measure)
