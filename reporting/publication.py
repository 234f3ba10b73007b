"""The one publication path: count -> protect -> audit -> a published family, which every output reads.

Every number that leaves the product (an FOI pack, a statistics API answer, and the dashboards and exports to
come) is read off a `PublishedFamily`: the tables of the FOI pack for one scope (`FAMILY_TABLES`), counted in
one GROUP BY (`breakdowns.count_tables`), protected together (`disclosure.protect`) and audited
(`disclosure.audit`); a family that fails its audit is never made. A family keeps only what it shows: each
cell's published number, or None where the count is hidden, so neither the cache nor any reader holds a
hidden count.

A `Slice` answers "by these dimensions, over these years" from a family's published numbers alone: a table of
the family or one of its margins; a figure over some of the years is the sum of the published yearly figures,
or the all-years figure less the published years outside, and is hidden otherwise. Nothing in a slice says
more than the family already says (decision 0050), so all the slices of one family together are as safe as
the family.

packs.py writes a family into a workbook; the statistics API (reporting/api/statistics.py) answers with
slices of a scope's all-years family. Families are cached under the records version (caching.py, 0052).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from .breakdowns import Breakdown, BreakdownError, Key, ResolvedScope, Scope, count_tables, resolve, starts_before
from .caching import cached
from .dimensions import year_label, year_of
from .disclosure import TOTAL, CellKey, Rule, audit, protect

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FamilyTable:
    """One table of every family: what it counts, by what."""

    title: str
    dimensions: tuple[str, ...]


FAMILY_TABLES = (
    FamilyTable("Hires by year", ("year",)),
    FamilyTable("Hires by year and location", ("year", "location")),
    FamilyTable("Hires by year and grade", ("year", "grade")),
    FamilyTable("Hires by location and grade", ("location", "grade")),
    FamilyTable("Hires by year and latest outcome", ("year", "outcome")),
)


def family_table_for(dimensions: Iterable[str]) -> FamilyTable | None:
    """The smallest table of a family whose dimensions include `dimensions` (its margins are published too)."""
    wanted = set(dimensions)
    fitting = [table for table in FAMILY_TABLES if wanted <= set(table.dimensions)]
    return min(fitting, key=lambda table: len(table.dimensions)) if fitting else None


@dataclass(frozen=True)
class PublishedTable:
    """A table as published: its categories in report order and, for every cell and total (keys as in
    disclosure.py: a category or TOTAL per dimension), the number shown, or None where it is hidden."""

    title: str
    dimensions: tuple[str, ...]
    categories: dict[str, tuple[str, ...]]
    shown: dict[CellKey, int | None] = field(repr=False)

    def value(self, key: CellKey) -> int | None:
        return self.shown[tuple(key)]

    @property
    def hidden_count(self) -> int:
        return sum(value is None for value in self.shown.values())


def published_number(count: int | None) -> dict:
    """A number as readers of data get it: {"count": 7}, or {"count": None, "suppressed": True} where hidden."""
    return {"count": count} if count is not None else {"count": None, "suppressed": True}


@dataclass(frozen=True)
class Slice:
    """Numbers by some dimensions: one cell per combination of categories, in report order, and the total. A
    count is None where it is hidden."""

    dimensions: tuple[str, ...]
    cells: tuple[tuple[Key, int | None], ...]
    total: int | None

    @classmethod
    def exact(cls, breakdown: Breakdown) -> Slice:
        """True counts, for those allowed them (staff asking about their own organisation's hires)."""
        cells = tuple((key, breakdown.count(*key)) for key in breakdown.cells())
        return cls(breakdown.dimensions, cells, breakdown.total)

    def rows(self) -> list[dict]:
        """The cells as rows, e.g. {"year": "2023-24", "location": "Newport", "count": 7}, or with
        "count": None and "suppressed": True (the statistics API's shape)."""
        return [
            {**dict(zip(self.dimensions, key, strict=True)), **published_number(count)} for key, count in self.cells
        ]

    def total_row(self) -> dict:
        return published_number(self.total)


@dataclass(frozen=True)
class PublishedFamily:
    """What is published for a scope: the protected tables of `FAMILY_TABLES`, in that order, having passed
    the audit, which found each of `hidden_values_audited` hidden numbers safe."""

    scope: Scope
    rule: Rule
    tables: tuple[PublishedTable, ...]
    hidden_values_audited: int

    @cached_property
    def categories(self) -> dict[str, tuple[str, ...]]:
        """Every dimension's categories (tables that share a dimension list the same ones)."""
        return {dim: table.categories[dim] for table in self.tables for dim in table.dimensions}

    @cached_property
    def years(self) -> tuple[int, ...]:
        return tuple(year_of(label) for label in self.categories["year"])

    def table(self, dimensions: Iterable[str]) -> PublishedTable | None:
        """The smallest table whose dimensions include `dimensions`."""
        spec = family_table_for(dimensions)
        return self.tables[FAMILY_TABLES.index(spec)] if spec else None

    def value(self, fixed: Mapping[str, str]) -> int | None:
        """The published number with some categories fixed (the other dimensions totalled); None if hidden."""
        if "year" in fixed and fixed["year"] not in self.categories["year"]:
            if self.scope.first_year is not None or self.scope.last_year is not None:
                raise ValueError(f"{fixed['year']} is outside the years of this family ({self.scope.describe()}).")
            return 0  # a family over all years lists every year from its first hire to its last: a true zero
        table = self.table(fixed)
        return table.value(tuple(fixed.get(dim, TOTAL) for dim in table.dimensions))

    def slice(self, by: Sequence[str], first_year: int | None = None, last_year: int | None = None) -> Slice:
        """The published numbers by `by` (a table of the family or a margin of one, in any order) over the
        years `first_year` to `last_year` (all by default; either end may be open). Raises a BreakdownError
        naming `by` or `from` for what the family does not publish."""
        by = tuple(by)
        if family_table_for(by) is None:
            raise BreakdownError("by", f"{','.join(by)} is not a published table or a total of one.")
        restricted = first_year is not None or last_year is not None
        first = first_year if first_year is not None else min(self.years, default=last_year)
        last = last_year if last_year is not None else max(self.years, default=first_year)
        years = range(first, last + 1) if restricted and first is not None and last is not None else range(0)
        labels = [year_label(year, self.scope.year_basis) for year in years]
        asked = set(labels)
        outside = [label for label in self.categories["year"] if label not in asked]
        # A range that leaves out some of the family's years: figures over it come from published yearly figures.
        slicing = restricted and bool(outside)
        if slicing and "year" not in by and family_table_for({*by, "year"}) is None:
            raise BreakdownError(
                "from", f"{','.join(by)} is only published over all years; add year to by, or drop from/to."
            )

        def figure(fixed: dict[str, str]) -> int | None:
            if not slicing or "year" in fixed:
                return self.value(fixed)
            inside = [self.value({**fixed, "year": label}) for label in labels]
            if None not in inside:
                return sum(inside)
            # Equally derived from published numbers: the all-years figure less the years outside the range.
            every_year = self.value(fixed)
            left_out = [self.value({**fixed, "year": label}) for label in outside]
            return None if every_year is None or None in left_out else every_year - sum(left_out)

        categories = [labels if dim == "year" and restricted else self.categories[dim] for dim in by]
        cells = tuple((key, figure(dict(zip(by, key, strict=True)))) for key in itertools.product(*categories))
        return Slice(by, cells, figure({}))


def published_family(scope: Scope, rule: Rule | None = None) -> PublishedFamily:
    """The published family for a scope (over its range of years, if it has one), cached until records change.
    Raises a BreakdownError for an unknown code, a DisclosureError if the tables fail their audit."""
    rule = rule or Rule.from_settings()
    scope = resolve(scope)
    parts = (scope.scheme, scope.organisation, scope.year_basis, scope.first_year, scope.last_year)
    key = ":".join(str(part) for part in ("family", *parts, rule.threshold, rule.rounding_base, rule.symbol))
    return cached(key, lambda: _publish(scope, rule))


def _publish(scope: ResolvedScope, rule: Rule) -> PublishedFamily:
    breakdowns = count_tables(scope, [table.dimensions for table in FAMILY_TABLES])
    protected = protect(breakdowns, rule)
    result = audit(breakdowns, protected)
    result.raise_if_failed()
    if scope.first_year is None and (early := starts_before(scope)):
        logger.warning(
            "%s: %d placements start before %s and are not counted; check their start dates.",
            scope.describe(),
            early,
            year_label(scope.first_counted_year, scope.year_basis),
        )
    tables = tuple(
        PublishedTable(
            spec.title, table.dimensions, table.breakdown.categories, {key: table.value(key) for key in table.cells()}
        )
        for spec, table in zip(FAMILY_TABLES, protected, strict=True)
    )
    return PublishedFamily(scope, rule, tables, len(result.hidden_cells))
