"""The one breakdown service: hires and outcomes counted by up to three dimensions, in the database.

Every count is a single GROUP BY query over placements (whatever their number); Python only arranges the
grouped rows into a `Breakdown` whose categories are complete and in report order, so a zero cell is a real
zero. The dimensions are those of reporting/dimensions.py. Breakdowns are true counts: what is published
(FOI packs, statistics for API clients) is counted here and then protected by the one publication path,
reporting/publication.py; only staff asking for their own organisation's exact counts read a breakdown as is.

Definitions (repeated in the FOI pack's Notes sheet):
- a *hire* is a placement with a start date on or before the day of counting (offers not yet started and
  offers withdrawn before start are not hires), and on or after the first day of the first year counted
  (setting PUBLISHED_FIRST_YEAR, decision 0065: an earlier start date is taken to be a mistake in the record);
- a hire's *year* is the calendar year, or the financial year (1 April to 31 March, `2023-24`), of its start;
- a hire's *outcome* is its latest recorded outcome as at the report date; hires with none recorded count
  under "No outcome recorded" (distinct from the recorded outcome "Not known");
- a hire's *grade* is its common grade: an organisation's own pay-scale grade counts as the band it maps to.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from placements.models import Placement
from schemes.models import Organisation, Scheme
from schemes.reference import snapshot

from .dimensions import DIMENSIONS, YEAR_BASES, year_label

MAX_DIMENSIONS = 3
LAST_POSSIBLE_YEAR = 2100  # no range of years asked for may go beyond it (nor before PUBLISHED_FIRST_YEAR)


class BreakdownError(ValueError):
    """A breakdown that cannot be counted as asked; the message names the bad parameter."""

    def __init__(self, parameter: str, message: str):
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter


@dataclass(frozen=True)
class Scope:
    """What a pack or an API call is about. Codes are matched without regard to case (see `resolve`).

    Years asked for must lie between PUBLISHED_FIRST_YEAR and LAST_POSSIBLE_YEAR; without a first year, hires
    are counted from PUBLISHED_FIRST_YEAR. So no count, and no table, covers more than that window of years,
    whatever start dates are stored."""

    scheme: str | None = None  # scheme code, e.g. "CLIS"
    organisation: str | None = None  # organisation code; includes organisations nested under it
    year_basis: str = "calendar"  # or "financial" (2023-24 = 1 Apr 2023 .. 31 Mar 2024)
    first_year: int | None = None  # calendar year, or the first year of a financial year
    last_year: int | None = None

    def __post_init__(self):
        if self.year_basis not in YEAR_BASES:
            raise BreakdownError("year_basis", f"{self.year_basis!r} is not one of {', '.join(YEAR_BASES)}.")
        for parameter, year in (("from", self.first_year), ("to", self.last_year)):
            if year is not None and not settings.PUBLISHED_FIRST_YEAR <= year <= LAST_POSSIBLE_YEAR:
                earliest = settings.PUBLISHED_FIRST_YEAR
                raise BreakdownError(
                    parameter,
                    f"{year} is not a year from {earliest} to {LAST_POSSIBLE_YEAR}; hires are counted from "
                    f"{year_label(earliest, self.year_basis)}.",
                )
        if self.first_year is not None and self.last_year is not None and self.first_year > self.last_year:
            raise BreakdownError("from", f"the first year {self.first_year} is after the last year {self.last_year}.")

    @property
    def first_counted_year(self) -> int:
        """The first year counted: the one asked for, else PUBLISHED_FIRST_YEAR."""
        return self.first_year if self.first_year is not None else settings.PUBLISHED_FIRST_YEAR

    def date_range(self) -> tuple[datetime.date, datetime.date | None]:
        """First and last start dates the scope's years cover (the last is None where open)."""
        start_month = 4 if self.year_basis == "financial" else 1
        first = datetime.date(self.first_counted_year, start_month, 1)
        last = None
        if self.last_year is not None:
            last = datetime.date(self.last_year + 1, start_month, 1) - datetime.timedelta(days=1)
        return first, last

    def all_years(self) -> Scope:
        """The same scope over every year counted."""
        return replace(self, first_year=None, last_year=None)

    def describe(self) -> str:
        """The scope in plain English, for the pack's Cover sheet."""
        parts = [f"Scheme: {self.scheme or 'all schemes'}"]
        parts.append(f"Organisation: {self.organisation or 'all organisations'}")
        basis = "financial years (1 April to 31 March)" if self.year_basis == "financial" else "calendar years"
        first = year_label(self.first_counted_year, self.year_basis)
        if self.last_year is not None:
            parts.append(f"Years: {first} to {year_label(self.last_year, self.year_basis)}, {basis}")
        elif self.first_year is not None:
            parts.append(f"Years: {first} to the latest, {basis}")
        else:
            parts.append(f"Years: all from {first}, by {basis}")
        return "; ".join(parts)


@dataclass(frozen=True)
class ResolvedScope(Scope):
    """A scope whose codes have been looked up (`resolve`): codes as stored, and the ids a count filters by.
    Made once per request and passed on, so nothing looks the same code up again."""

    scheme_id: int | None = None
    organisation_id: int | None = None

    @cached_property
    def organisation_ids(self) -> list[int]:
        """The organisation's id and those of the organisations nested under it."""
        return organisation_and_units(self.organisation) if self.organisation else []

    @cached_property
    def parent_organisation(self) -> str | None:
        """The code of the organisation this one is nested in (None for a whole organisation, or no organisation)."""
        return snapshot().parent_code(self.organisation) if self.organisation else None


def resolve(scope: Scope) -> ResolvedScope:
    """The scope with its scheme and organisation looked up, ignoring case; a BreakdownError names an unknown
    code. The one place a scope's codes are looked up (from the process's reference data, without a query)."""
    if isinstance(scope, ResolvedScope):
        return scope
    reference = snapshot()
    scheme, scheme_id = None, None
    if scope.scheme:
        scheme = reference.scheme_code(scope.scheme)
        if scheme is None:
            raise BreakdownError("scheme", f"unknown scheme {scope.scheme!r}.")
        scheme_id = next(pk for pk, code in reference.codes(Scheme).items() if code == scheme)
    organisation, organisation_id = None, None
    if scope.organisation:
        organisation = reference.organisation_code(scope.organisation)
        if organisation is None:
            raise BreakdownError("organisation", f"unknown organisation {scope.organisation!r}.")
        organisation_id = reference.organisations.id_of(organisation)
    return ResolvedScope(
        scheme=scheme,
        organisation=organisation,
        year_basis=scope.year_basis,
        first_year=scope.first_year,
        last_year=scope.last_year,
        scheme_id=scheme_id,
        organisation_id=organisation_id,
    )


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


def organisation_and_units(code: str) -> list[int]:
    """The ids of the organisation with this code (matched ignoring case) and of those nested under it, to any
    depth, from the organisation tree (`Organisation.objects.tree`). Raises a BreakdownError if the code is
    unknown."""
    tree = Organisation.objects.tree()
    organisation = tree.id_of(code)
    if organisation is None:
        raise BreakdownError("organisation", f"unknown organisation {code!r}.")
    return sorted(tree.descendant_ids([organisation]))


def _placements_of(scope: ResolvedScope):
    """The placements of the scope's scheme and organisation (filtered by ids, written into the query as
    literals: PostgreSQL then filters inside an index scan, decision 0031)."""
    queryset = Placement.objects.all()
    if scope.scheme_id is not None:
        queryset = queryset.filter(scheme_id=scope.scheme_id)
    if scope.organisation_id is not None:
        queryset = queryset.filter(organisation_id__in=scope.organisation_ids)
    return queryset


def hires(scope: Scope, as_at: datetime.date | None = None):
    """The placements a scope counts as hires: started on or before `as_at` (today by default), in the scope's
    years (never before PUBLISHED_FIRST_YEAR)."""
    scope = resolve(scope)
    as_at = as_at or timezone.localdate()
    first_day, last_day = scope.date_range()
    return _placements_of(scope).filter(started_on__gte=first_day, started_on__lte=min(as_at, last_day or as_at))


def starts_before(scope: Scope) -> int:
    """How many placements of the scope's scheme and organisation start before PUBLISHED_FIRST_YEAR: they are
    counted nowhere (decision 0065), and such a date is most likely a mistake worth correcting."""
    scope = resolve(scope)
    first_day, _ = scope.all_years().date_range()
    return _placements_of(scope).filter(started_on__lt=first_day).count()


def check_dimensions(by: Sequence[str]) -> tuple[str, ...]:
    """`by` as a tuple of known dimensions, none repeated, at most MAX_DIMENSIONS; else a BreakdownError."""
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
    dimensions = [DIMENSIONS[name] for name in by]
    aliases = {f"dim_{dimension.name}": dimension.group_by(scope, as_at) for dimension in dimensions}
    grouped = list(queryset.values(**aliases).annotate(hires=Count("*")).order_by().values_list(*aliases, "hires"))
    # Name each distinct grouped value once (there are far fewer values than grouped rows).
    names = [
        {value: namer(value) for value in {row[position] for row in grouped}}
        for position, namer in enumerate(dimension.namer(scope) for dimension in dimensions)
    ]
    named_rows = [(tuple(names[i][value][0] for i, value in enumerate(row[:-1])), row[-1]) for row in grouped]
    categories = {
        dimension.name: dimension.every_category(dict(names[position].values()), scope)
        for position, dimension in enumerate(dimensions)
    }
    counts: dict[Key, int] = dict.fromkeys(itertools.product(*(categories[dim] for dim in by)), 0)
    for key, hires_counted in named_rows:
        counts[key] = counts.get(key, 0) + hires_counted
    return Breakdown(by, categories, counts, scope, measure)


def _measure(as_at: datetime.date | None) -> str:
    return "hires" if as_at is None or as_at >= timezone.localdate() else f"hires as at {as_at:%Y-%m-%d}"


def count_hires(scope: Scope, by: Sequence[str]) -> Breakdown:
    """Placements that started (hires), by up to three dimensions."""
    by, scope = check_dimensions(by), resolve(scope)
    return _count(hires(scope), scope, by, None, "hires")


def count_tables(scope: Scope, tables: Sequence[Sequence[str]], as_at: datetime.date | None = None) -> list[Breakdown]:
    """Several breakdowns of the same hires (as at `as_at`, today by default) from ONE GROUP BY over all their
    dimensions, each summed down from the grouped rows: the tables of a pack in one query, agreeing exactly.

    Each table may have up to three dimensions; the grouped rows number at most the product of the categories
    (years x locations x grades x outcomes), never the number of placements."""
    tables, scope = [check_dimensions(by) for by in tables], resolve(scope)
    every = tuple(dict.fromkeys(dim for by in tables for dim in by))
    finest = _count(hires(scope, as_at), scope, every, as_at, _measure(as_at))
    return [finest.margin(by) for by in tables]


def count_outcomes(scope: Scope, by: Sequence[str], as_at: datetime.date | None = None) -> Breakdown:
    """Hires (started on or before `as_at`) by their latest outcome as at `as_at` (today by default).

    `by` may include "outcome" anywhere; it is counted like any other dimension."""
    by, scope = check_dimensions(by), resolve(scope)
    return _count(hires(scope, as_at), scope, by, as_at, _measure(as_at))
