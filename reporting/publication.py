"""The one publication path: count -> protect -> audit -> a published family, which every output reads.

Every number that leaves the product (an FOI pack, a statistics API answer, a scheduled export, and the
dashboards to come) is read off a `PublishedFamily`: the tables of the FOI pack for one scope (`FAMILY_TABLES`),
counted in one GROUP BY (`breakdowns.count_tables`), protected together (`disclosure.protect`) and audited
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

import datetime
import itertools
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

from django.db import transaction
from django.utils import timezone

from schemes.models import Scheme

from .breakdowns import Breakdown, BreakdownError, Key, ResolvedScope, Scope, count_tables, resolve, starts_before
from .caching import cached
from .dimensions import year_label, year_of, year_of_date
from .disclosure import TOTAL, CellKey, Rule, audit, protect
from .models import Release, ReleaseKind
from .releases import JointResult, ReleaseRead, content_hash, joint_audit, tables_as_json, with_hidden

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
    disclosure.py: a category or TOTAL per dimension), the number shown, or None where it is hidden. Its totals
    count the hires of `years` (the first and last year, of the family's year basis)."""

    title: str
    dimensions: tuple[str, ...]
    categories: dict[str, tuple[str, ...]]
    shown: dict[CellKey, int | None] = field(repr=False)
    years: tuple[int, int] = (0, 0)

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
    the audit, which found each of `hidden_values_audited` hidden numbers safe. The hires counted are those
    recorded by `counted_at` and started by its date."""

    scope: Scope
    rule: Rule
    tables: tuple[PublishedTable, ...]
    hidden_values_audited: int
    counted_at: datetime.datetime

    @property
    def as_at(self) -> datetime.date:
        return timezone.localdate(self.counted_at)

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

    def figure(self, fixed: Mapping[str, str], years: Sequence[str] | None = None) -> int | None:
        """The published number with some categories fixed (the other dimensions totalled) over the years
        labelled `years` (all the family's by default): the family's own number, or the sum of its published
        yearly numbers, or its all-years number less the published years outside. None where the family does
        not determine it, and where what it determines is a small count: a number worked out this way is
        never shown below the threshold (the family's audit protects its own cells, not every sum of them)."""
        outside = [label for label in self.categories["year"] if years is not None and label not in years]
        if "year" in fixed or not outside:
            return self.value(fixed)
        inside = [self.value({**fixed, "year": label}) for label in years]
        if None not in inside:
            derived = sum(inside)
        else:
            every_year = self.value(fixed)
            left_out = [self.value({**fixed, "year": label}) for label in outside]
            if every_year is None or None in left_out:
                return None
            derived = every_year - sum(left_out)
        return None if self.rule.is_primary(derived) else derived

    def year_labels(self, first_year: int | None, last_year: int | None) -> list[str] | None:
        """The labels of the years from `first_year` to `last_year` (either end open: the family's first or
        last year); None for all the family's years."""
        if first_year is None and last_year is None:
            return None
        first = first_year if first_year is not None else min(self.years, default=last_year)
        last = last_year if last_year is not None else max(self.years, default=first_year)
        return [year_label(year, self.scope.year_basis) for year in range(first, last + 1)]

    def slice(self, by: Sequence[str], first_year: int | None = None, last_year: int | None = None) -> Slice:
        """The published numbers by `by` (a table of the family or a margin of one, in any order) over the
        years `first_year` to `last_year` (all by default; either end may be open). Raises a BreakdownError
        naming `by` or `from` for what the family does not publish."""
        by = tuple(by)
        if family_table_for(by) is None:
            raise BreakdownError("by", f"{','.join(by)} is not a published table or a total of one.")
        labels = self.year_labels(first_year, last_year)
        slicing = labels is not None and any(label not in labels for label in self.categories["year"])
        if slicing and "year" not in by and family_table_for({*by, "year"}) is None:
            raise BreakdownError(
                "from", f"{','.join(by)} is only published over all years; add year to by, or drop from/to."
            )
        categories = [labels if dim == "year" and labels is not None else self.categories[dim] for dim in by]
        cells = tuple(
            (key, self.figure(dict(zip(by, key, strict=True)), labels)) for key in itertools.product(*categories)
        )
        return Slice(by, cells, self.figure({}, labels))

    def tables_over(self, first_year: int | None, last_year: int | None) -> tuple[PublishedTable, ...]:
        """The family's tables over a range of years, as a ranged FOI pack shows them (decision 0070): a row
        for each year asked for and totals over those years, every number one the family determines
        (`figure`), hidden otherwise; so two ranges of the same scope, read together, say nothing the family
        does not. Location by grade has no year to slice by: it is over the range when the years left out have
        no hires (the same table), and otherwise over all the family's years, and titled so."""
        labels = self.year_labels(first_year, last_year)
        if labels is None:
            return self.tables
        first, last = year_of(labels[0]), year_of(labels[-1])
        tables = []
        for table in self.tables:
            if "year" not in table.dimensions:
                if all(self.value({"year": label}) == 0 for label in self.categories["year"] if label not in labels):
                    tables.append(replace(table, years=(first, last)))
                else:
                    span = f"{self.categories['year'][0]} to {self.categories['year'][-1]}"
                    tables.append(replace(table, title=f"{table.title}, all years ({span}), not only those asked for"))
                continue
            categories = {**table.categories, "year": tuple(labels)}
            keys = itertools.product(*((*categories[dim], TOTAL) for dim in table.dimensions))
            shown = {
                key: self.figure(
                    {
                        dim: category
                        for dim, category in zip(table.dimensions, key, strict=True)
                        if category is not TOTAL
                    },
                    labels,
                )
                for key in keys
            }
            tables.append(PublishedTable(table.title, table.dimensions, categories, shown, (first, last)))
        return tuple(tables)


@dataclass(frozen=True)
class Released:
    """Tables as released (after the joint audit), the family they are a slice of, the register's record of
    them and what the joint audit decided."""

    scope: ResolvedScope
    tables: tuple[PublishedTable, ...]
    family: PublishedFamily
    record: Release
    joint: JointResult

    @property
    def hidden_count(self) -> int:
        return sum(table.hidden_count for table in self.tables)


def release(
    kind: str,
    scope: ResolvedScope,
    family: PublishedFamily,
    tables: Sequence[PublishedTable],
    *,
    by=None,
    foi_request=None,
    reference: str = "",
) -> Released:
    """Release `tables` (a slice of `family`, the scope's protected all-years family) as `kind`: audited
    together with every earlier release they could be read with (reporting/releases.py), more of their cells
    hidden where that audit asks (never an earlier release's), and recorded in the register, all or nothing.
    FOI packs come here (`release_pack`), and so do scheduled exports (`release_pack` and `release_tables` as
    ReleaseKind.EXPORT); dashboards' tables shown across organisations are to come here too, with their kind.
    Releases are made one at a time: each takes the scheme rows' locks, so two made at once cannot each miss
    the other."""
    organisations = frozenset(scope.organisation_ids) if scope.organisation_id is not None else None
    new = ReleaseRead(
        "this release",
        scope.scheme_id,
        organisations,
        scope.year_basis,
        family.counted_at,
        family.as_at,
        family.rule,
        tuple(tables),
    )
    with transaction.atomic():
        list(Scheme.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
        earlier = list(
            Release.objects.related_to(scope.scheme_id, scope.organisation_id).select_related("scheme", "organisation")
        )
        joint = joint_audit(new, [ReleaseRead.of(earlier_release) for earlier_release in earlier])
        released = with_hidden(tables, joint.hidden)
        audited = {
            "extra_hidden": [{"cell": extra.cell, "reason": extra.reason} for extra in joint.extra],
            "already_known": list(joint.already_known),
            "changed_cells": {str(pk): cells for pk, cells in joint.changed_cells.items()},
            "counts_checked": joint.counts_checked,
        }
        record = _record(
            kind, scope, family, released, by=by, foi_request=foi_request, reference=reference, audit=audited
        )
        record.checked_against.set(earlier)
    return Released(scope, released, family, record, joint)


def release_pack(
    scope: Scope,
    *,
    rule: Rule | None = None,
    by=None,
    foi_request=None,
    reference: str = "",
    kind: str = ReleaseKind.PACK,
) -> Released:
    """An FOI pack's tables for a scope and range of years: a slice of the scope's all-years family
    (`PublishedFamily.tables_over`, decision 0070), released through the register's joint audit (as `kind`:
    the FOI pages' and the command's packs are packs, a scheduled export's pack is an export)."""
    return release_tables(kind, scope, None, rule=rule, by=by, foi_request=foi_request, reference=reference)


def release_tables(
    kind: str,
    scope: Scope,
    dimensions: Sequence[tuple[str, ...]] | None,
    *,
    rule: Rule | None = None,
    by=None,
    foi_request=None,
    reference: str = "",
) -> Released:
    """Some of the family's tables (those by `dimensions`; every one for None) over the scope's range of years,
    released as `kind` through the joint audit: what an output that shows less than a whole pack (the progress
    report's hires by outcome for one year) releases. Read the numbers it shows off the result's tables: the
    joint audit may have hidden more of them."""
    scope = resolve(scope)
    family = published_family(scope.all_years(), rule)
    tables = family.tables_over(scope.first_year, scope.last_year)
    if dimensions is not None:
        wanted = [tuple(dims) for dims in dimensions]
        unknown = [dims for dims in wanted if dims not in [table.dimensions for table in tables]]
        if unknown:
            raise ValueError(f"The family has no table by {unknown[0]}.")
        tables = tuple(table for table in tables if table.dimensions in wanted)
    return release(kind, scope, family, tables, by=by, foi_request=foi_request, reference=reference)


def release_family(kind: str, scope: Scope, *, by=None) -> PublishedFamily:
    """The scope's all-years family as released to pages that show figures across organisations (a dashboard,
    `kind`), at most once per calendar quarter (decision 0081): the first page view of a quarter releases the
    family as it then stands through the joint audit (`release`, which may hide more of its cells), and every
    later view that quarter reads that release back from the register, whatever has changed since. A release
    per change of records would put a new, slightly different family beside the last one every few minutes:
    each would hide more and audit longer (BENCHMARKS.md, "Release register"), and the differences between
    them are exactly what the register exists to keep hidden. Returns the family with the tables as released;
    its `counted_at` says when its hires were counted."""
    scope = resolve(scope.all_years())
    rule = Rule.from_settings()
    today = timezone.localdate()
    quarter_began = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
    key = f"released:{kind}:{scope.scheme_id}:{scope.organisation_id}:{scope.year_basis}:{quarter_began}"

    def compute() -> PublishedFamily:
        known = (
            Release.objects.filter(kind=kind, scheme_id=scope.scheme_id, organisation_id=scope.organisation_id)
            .filter(year_basis=scope.year_basis, first_year=None, last_year=None)
            .filter(threshold=rule.threshold, rounding_base=rule.rounding_base)
            .filter(released_at__gte=_local_midnight(quarter_began))
            .order_by("pk")
            .first()
        )
        if known is None:
            family = published_family(scope, rule)
            return replace(family, tables=release(kind, scope, family, family.tables, by=by).tables)
        return PublishedFamily(
            scope,
            rule,
            tuple(_published_table(table) for table in known.tables),
            hidden_values_audited=int(known.audit.get("counts_checked", 0)),
            counted_at=known.counted_at,
        )

    return cached(key, compute)


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def _published_table(stored: Mapping) -> PublishedTable:
    """A table as the register stores it (`releases.tables_as_json`), back as a PublishedTable."""
    return PublishedTable(
        stored["title"],
        tuple(stored["dimensions"]),
        {dim: tuple(categories) for dim, categories in stored["categories"].items()},
        {tuple(key): value for key, value in stored["cells"]},
        tuple(stored["years"]),
    )


def record_answered(family: PublishedFamily, by=None) -> None:
    """Record that a statistics client was given slices of `family`. Every slice says no more than the family,
    so the family is the release: recorded once for each family as published (the first client given it is
    kept), checked once per records version and day."""
    scope = family.scope
    key = ":".join(str(part) for part in ("released", scope.scheme, scope.organisation, scope.year_basis))
    cached(f"{key}:{family.rule.threshold}:{family.rule.rounding_base}", lambda: _record_once(family, by))


def _record_once(family: PublishedFamily, by) -> int:
    digest = content_hash(family.scope, family.rule, tables_as_json(family.tables))
    known = Release.objects.filter(kind=ReleaseKind.API, content_hash=digest).values_list("pk", flat=True).first()
    return known or _record(ReleaseKind.API, family.scope, family, family.tables, by=by).pk


def _record(
    kind, scope: ResolvedScope, family: PublishedFamily, tables, *, by=None, foi_request=None, reference="", audit=None
) -> Release:
    tables_json = tables_as_json(tables)
    return Release.objects.create(
        kind=kind,
        counted_at=family.counted_at,
        as_at=family.as_at,
        released_by=by if by is not None and by.is_authenticated else None,
        foi_request=foi_request,
        reference=reference[:40],
        scheme_id=scope.scheme_id,
        organisation_id=scope.organisation_id,
        year_basis=scope.year_basis,
        first_year=scope.first_year,
        last_year=scope.last_year,
        threshold=family.rule.threshold,
        rounding_base=family.rule.rounding_base,
        tables=tables_json,
        content_hash=content_hash(scope, family.rule, tables_json),
        audit=audit or {},
    )


def published_family(scope: Scope, rule: Rule | None = None) -> PublishedFamily:
    """The published family for a scope (over its range of years, if it has one), cached until records change.
    Raises a BreakdownError for an unknown code, a DisclosureError if the tables fail their audit."""
    rule = rule or Rule.from_settings()
    scope = resolve(scope)
    parts = (scope.scheme, scope.organisation, scope.year_basis, scope.first_year, scope.last_year)
    key = ":".join(str(part) for part in ("family", *parts, rule.threshold, rule.rounding_base, rule.symbol))
    return cached(key, lambda: _publish(scope, rule))


def _publish(scope: ResolvedScope, rule: Rule) -> PublishedFamily:
    counted_at = timezone.now()
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
    years = (
        scope.first_counted_year,
        scope.last_year or year_of_date(timezone.localdate(counted_at), scope.year_basis),
    )
    tables = tuple(
        PublishedTable(
            spec.title,
            table.dimensions,
            table.breakdown.categories,
            {key: table.value(key) for key in table.cells()},
            years,
        )
        for spec, table in zip(FAMILY_TABLES, protected, strict=True)
    )
    return PublishedFamily(scope, rule, tables, len(result.hidden_cells), counted_at)
