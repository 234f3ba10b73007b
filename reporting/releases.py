"""The release register, and the joint audit of a new release against what was released before it.

Every disclosure-controlled output that leaves the product is a `Release` in the register (reporting/models.py):
its scope, when its hires were counted, and every cell it showed (its number, or None where it showed the
symbol). `publication.release` records packs and exports (and, to come, dashboards) after a joint audit;
`publication.record_answered` records the statistics API's answers, one release per scope and published family.

The joint audit (`JointAudit`, decision 0071) reads a new release together with every earlier release it could
be combined with (`Release.objects.related_to`) as one system of linear equations, and hides more cells of
the new release, never of an earlier one, until nothing hidden in any of them, and no count of 1 to 4 that no
release shows, can be worked out from all of them together:

- **Atoms.** Every released number is a sum over the same finest cells: scheme class x organisation class x
  start period x entry epoch x location x grade (and, for outcome tables, the latest outcome as at each
  release's date in a block of its own, tied to the hires by its totals, as in disclosure.py). Classes are the
  finest the releases tell apart: the schemes they name and "every other scheme"; the organisations their
  scopes split (a unit, the rest of its parent, everyone else); start periods cut where a calendar or a
  financial year of any release begins or ends (quarters at the finest). The *entry epoch* of a hire is the
  first release that counted it (its start date recorded by then, as the record's history says, and falling by
  its date), so an earlier release's cells are sums of today's records, and a start date recorded late, or a
  month's new hires, is an atom of its own.
- **What the reader knows**: every number shown by a release whose records still give it (a cell whose count
  has changed since, from corrections or deletions, is left out: it is about records as they were); every
  zero shown; that a category a table does not list has no hires; and (assumed, to keep the system small)
  which combinations of scheme, organisation, period and epoch have no hires at all. Assuming the reader knows
  more than they do can only hide more, never less.
- **What must stay unknown**, checked by linear programming as in disclosure.py (`range_is_safe`): each hidden
  cell of every release (it may not be worked out exactly, nor, if small, be known to be small); and the counts
  no release shows that two releases read together give (what one cell of the new release counts and one cell
  of any release with the same location, grade and outcome does not, and what both count) and the new
  release's year x location x grade cells: none of those of 1 to 4 may be pinned or known to be small.

Identical released cells (the same atoms and number) are one row, so releases of the same data cost little more
than one. `joint_audit` chooses the cells to hide against the latest few releases first, then audits the
release, so hidden, with all of them (decision 0088): choosing is most of an audit's programmes. Every audit
checks every count afresh against all the releases together, and nothing is carried from one audit to the
next: feasible points of the system (the truth, random and directed points, every solution found) show most
counts' ranges wide enough without a programme of their own (decision 0086). Hidden counts
are never kept: the register holds only what was shown.
"""

from __future__ import annotations

import datetime
import hashlib
import itertools
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, ExtractQuarter, ExtractYear
from django.db.models.lookups import LessThanOrEqual

from placements.models import Outcome, Placement
from schemes.models import Organisation

from .breakdowns import TOTAL, Scope
from .dimensions import DIMENSIONS, year_of
from .disclosure import EPSILON, CellKey, DisclosureError, RangeModel, Rule, range_is_safe

CANDIDATES_TRIED = 8  # as disclosure.py: candidates tried in order of preference for one that clears a count
RANDOM_POINTS = 6  # feasible points found at the start, which clear most counts without a programme of their own
NEAREST_RELEASES = 3  # the latest earlier releases the cells to hide are chosen against, before all (`joint_audit`)


@dataclass(frozen=True)
class RegisterTable:
    """A released table as the register keeps it (the shape of publication.PublishedTable)."""

    title: str
    dimensions: tuple[str, ...]
    categories: dict[str, tuple[str, ...]]
    shown: dict[CellKey, int | None]
    years: tuple[int, int]


def tables_as_json(tables: Iterable) -> list[dict]:
    """Released tables as the register stores them: each cell's key (None for a total) and number (None where
    the symbol was shown)."""
    return [
        {
            "title": table.title,
            "dimensions": list(table.dimensions),
            "categories": {dim: list(categories) for dim, categories in table.categories.items()},
            "years": list(table.years),
            "cells": [[list(key), value] for key, value in table.shown.items()],
        }
        for table in tables
    ]


def tables_from_json(data: list[dict]) -> tuple[RegisterTable, ...]:
    return tuple(
        RegisterTable(
            table["title"],
            tuple(table["dimensions"]),
            {dim: tuple(categories) for dim, categories in table["categories"].items()},
            {tuple(key): value for key, value in table["cells"]},
            tuple(table["years"]),
        )
        for table in data
    )


def content_hash(scope: Scope, rule: Rule, tables_json: list[dict]) -> str:
    """What a release showed, as a digest: two releases with the same digest told a reader the same things."""
    parts = [scope.scheme, scope.organisation, scope.year_basis, rule.threshold, rule.rounding_base, tables_json]
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class ReleaseRead:
    """A release as the joint audit reads it: an earlier one from the register (`release`), or the new one."""

    label: str
    scheme_id: int | None
    organisation_ids: frozenset[int] | None  # the organisation and its units; None: every organisation
    year_basis: str
    counted_at: datetime.datetime
    as_at: datetime.date
    rule: Rule
    tables: tuple
    release: object | None = None

    @classmethod
    def of(cls, release) -> ReleaseRead:
        organisations = None
        if release.organisation_id is not None:
            organisations = frozenset(Organisation.objects.tree().descendant_ids([release.organisation_id]))
        return cls(
            release.describe(),
            release.scheme_id,
            organisations,
            release.year_basis,
            release.counted_at,
            release.as_at,
            Rule(threshold=release.threshold, rounding_base=release.rounding_base),
            tables_from_json(release.tables),
            release,
        )


def _quarters(year: int, year_basis: str) -> tuple[int, int]:
    """The first and last quarter (numbered year * 4 + quarter - 1) of a calendar or financial year."""
    return (year * 4, year * 4 + 3) if year_basis == "calendar" else (year * 4 + 1, year * 4 + 4)


def table_categories(release: ReleaseRead, dim: str) -> tuple[str, ...]:
    """The categories of a dimension that a release's tables list."""
    return next((table.categories[dim] for table in release.tables if dim in table.dimensions), ())


def _cell_words(table, key: CellKey) -> str:
    parts = [
        f"{'all ' + dim + 's' if category is TOTAL else category}"
        for dim, category in zip(table.dimensions, key, strict=True)
    ]
    return f"{table.title}: {', '.join(parts)}"


@dataclass
class _Cell:
    """One released number or one count to protect, as atoms: a set of strata and a key (the location and grade
    of a hires cell, or the outcome block and outcome of an outcome cell)."""

    mask: np.ndarray
    key: tuple
    words: str
    sources: list[tuple[int, int, CellKey]] = field(default_factory=list)  # (release, table, key)

    @property
    def identity(self) -> tuple:
        return self.mask.tobytes(), self.key


@dataclass
class _Row:
    mask: np.ndarray
    variables: np.ndarray
    low: float
    high: float
    truth: int
    words: str
    specificity: int
    sources: list[tuple[int, int, CellKey]]
    earlier: bool = False  # shown by an earlier release: hiding it in the new one would not unsay it
    new: bool = False
    hidden: bool = False  # hidden in the new release by the joint audit


@dataclass
class _Target:
    variables: np.ndarray
    truth: int
    words: str  # the cell, or the count no release shows
    hidden_in: list[str]  # the releases that hid it, in words (empty: a count no release shows)
    primary: bool
    mask: np.ndarray  # its strata

    def reason(self, sources: list[str], exactly: bool) -> str:
        """Why a cell of the new release is hidden to protect this count, in words (never its value)."""
        given = "be worked out exactly" if exactly else "be known to be a small number (1 to 4)"
        if self.hidden_in and "this release" not in self.hidden_in:
            return f"Hidden because {' and '.join(self.hidden_in)} hid {self.words}: showing it would let that {given}."
        with_what = f"read together with {', '.join(sources)}" if sources else "read with the other cells shown"
        hidden = " (hidden in this release)" if self.hidden_in else ""
        return f"Hidden because, {with_what}, it would let {self.words}{hidden} {given}."


@dataclass(frozen=True)
class ExtraHidden:
    """A cell of the new release hidden by the joint audit, and why, in words."""

    table: int
    key: CellKey
    cell: str
    reason: str


@dataclass(frozen=True)
class JointResult:
    """What the joint audit decided for the new release."""

    hidden: dict[int, frozenset]  # table index -> keys of the new release hidden by the joint audit
    extra: tuple[ExtraHidden, ...]
    already_known: tuple[str, ...]  # counts earlier releases already give away, whatever this one shows
    changed_cells: dict[int, int]  # an earlier release's id -> how many of its cells the records no longer give
    counts_checked: int


class JointAudit:
    """A new release read together with earlier ones, over the atoms of all their scopes (module docstring)."""

    def __init__(self, new: ReleaseRead, earlier: Sequence[ReleaseRead]):
        self.releases = [*sorted(earlier, key=lambda release: release.counted_at), new]
        self.new = len(self.releases) - 1
        self._by_stratum: dict[tuple, np.ndarray] = {}
        self._masks: dict = {}
        self._atoms_of: dict[tuple, tuple[np.ndarray, int]] = {}
        self._classes()
        self._count()
        self._cells()

    # -- the classes of each dimension --------------------------------------------------------------------

    def _classes(self) -> None:
        releases = self.releases
        named = sorted({r.scheme_id for r in releases if r.scheme_id is not None})
        every_scheme = any(r.scheme_id is None for r in releases)
        self.scheme_class = {scheme: position for position, scheme in enumerate(named)}
        self.other_scheme = len(named) if every_scheme else None
        all_scheme_classes = set(range(len(named) + every_scheme))
        self.release_schemes = [
            all_scheme_classes if r.scheme_id is None else {self.scheme_class[r.scheme_id]} for r in releases
        ]

        sets = list(dict.fromkeys(r.organisation_ids for r in releases if r.organisation_ids is not None))
        every_organisation = any(r.organisation_ids is None for r in releases)
        universe = set().union(*sets) if sets else set()
        if every_organisation:
            universe |= set(Organisation.objects.tree().codes)
        signatures: dict[tuple, int] = {}
        self.organisation_class: dict[int, int] = {}
        for organisation in sorted(universe):
            signature = tuple(organisation in members for members in sets)
            self.organisation_class[organisation] = signatures.setdefault(signature, len(signatures))
        self.release_organisations = [
            set(signatures.values())
            if r.organisation_ids is None
            else {index for signature, index in signatures.items() if signature[sets.index(r.organisation_ids)]}
            for r in releases
        ]

        cuts = set()
        for release in releases:
            for table in release.tables:
                for first, last in self._periods_of(release, table):
                    cuts |= {first, last + 1}
        self.cuts = np.array(sorted(cuts), dtype=np.int64)

    def _periods_of(self, release: ReleaseRead, table) -> list[tuple[int, int]]:
        """The quarter spans a table's numbers cover: its years, each year it lists, and the years it lists."""
        basis = release.year_basis
        spans = [(_quarters(table.years[0], basis)[0], _quarters(table.years[1], basis)[1])]
        if "year" in table.dimensions and table.categories["year"]:
            years = [year_of(label) for label in table.categories["year"]]
            spans += [_quarters(year, basis) for year in years]
            spans.append((_quarters(years[0], basis)[0], _quarters(years[-1], basis)[1]))
        return spans

    def period_classes(self, first: int, last: int) -> tuple[int, int]:
        """The first and last period class of a span of quarters (both ends are cuts)."""
        return int(np.searchsorted(self.cuts, first)), int(np.searchsorted(self.cuts, last + 1)) - 1

    # -- the hires of every scope, by atom ------------------------------------------------------------------

    def _scope_filter(self) -> Q:
        union = Q(pk__in=[])
        for scheme, organisations in {(r.scheme_id, r.organisation_ids) for r in self.releases}:
            if scheme is None and organisations is None:
                return Q()  # every hire (`Q(pk__in=[]) | Q()` would be the empty Q on the left: no hire)
            part = Q()
            if scheme is not None:
                part &= Q(scheme_id=scheme)
            if organisations is not None:
                part &= Q(organisation_id__in=sorted(organisations))
            union |= part
        return union

    def _epoch(self) -> Coalesce:
        """The first release (in order of counting) that counted a placement: its start date recorded by then
        (when it first had one: a placement is usually recorded at the offer and its start date entered when it
        happens, sometimes late; rows written without history count from their creation) and falling by its
        date; -1 for none. The new release counts every record there is. The record's history is read once for
        each placement, with the releases' dates compared inside that one subquery: comparing a `recorded_at`
        annotation release by release would repeat the subquery for every earlier release."""

        def first_counted(recorded: str, started) -> Case:
            earlier = [
                When(
                    LessThanOrEqual(F(recorded), Value(r.counted_at)) & LessThanOrEqual(started, Value(r.as_at)),
                    then=Value(position),
                )
                for position, r in enumerate(self.releases[:-1])
            ]
            latest = When(LessThanOrEqual(started, Value(self.releases[-1].as_at)), then=Value(self.new))
            return Case(*earlier, latest, default=Value(-1), output_field=IntegerField())

        from_history = (
            Placement.history.model.objects.filter(id=OuterRef("pk"), started_on__isnull=False)
            .order_by("history_date")
            .annotate(epoch=first_counted("history_date", OuterRef("started_on")))
            .values("epoch")[:1]
        )
        return Coalesce(Subquery(from_history), first_counted("created_at", F("started_on")))

    def _placements(self):
        """The placements of every scope over the releases' periods, started by the latest release's date (each
        query drops those no release counted: `_stratum`)."""
        first = datetime.date(int(self.cuts[0]) // 4, int(self.cuts[0]) % 4 * 3 + 1, 1)
        end = int(self.cuts[-1])
        last = datetime.date(end // 4, end % 4 * 3 + 1, 1)
        latest = max(release.as_at for release in self.releases)
        return Placement.objects.filter(
            self._scope_filter(), started_on__gte=first, started_on__lt=last, started_on__lte=latest
        ).annotate(year=ExtractYear("started_on"), quarter=ExtractQuarter("started_on"), epoch=self._epoch())

    def _stratum(self, scheme: int, organisation: int, year: int, quarter: int, epoch: int) -> tuple | None:
        scheme_class = self.scheme_class.get(scheme, self.other_scheme)
        organisation_class = self.organisation_class.get(organisation)
        if scheme_class is None or organisation_class is None or epoch < 0:  # in no scope, or counted by none
            return None
        period = int(np.searchsorted(self.cuts, year * 4 + quarter - 1, side="right")) - 1
        return scheme_class, organisation_class, period, epoch

    def _count(self) -> None:
        """Every hire of the scopes by stratum, location and grade, and by its latest outcome as at each outcome
        block's date, in one pass over the placements."""
        groups = self._outcome_groups()
        latest = {
            f"latest_{group}": DIMENSIONS["outcome"].group_by(Scope(), self.releases[members[0]].as_at)
            for group, members in enumerate(groups)
        }
        grouped = list(
            self._placements()
            .annotate(**latest)
            .values_list("scheme_id", "organisation_id", "year", "quarter", "epoch", "location_id", "grade_id", *latest)
            .annotate(hires=Count("*"))
            .order_by()
        )
        location_name = DIMENSIONS["location"].namer(Scope())
        grade_name = DIMENSIONS["grade"].namer(Scope())
        rows = []
        for scheme, organisation, year, quarter, epoch, location, grade, *outcomes, hires in grouped:
            stratum = self._stratum(scheme, organisation, year, quarter, epoch)
            if stratum is not None:
                rows.append((stratum, location_name(location)[0], grade_name(grade)[0], outcomes, hires))
        self.strata = sorted({stratum for stratum, *_ in rows})
        columns = np.array(self.strata, dtype=np.int64).reshape(-1, 4)
        self.st_scheme, self.st_organisation, self.st_period, self.st_epoch = columns.T
        index = {stratum: position for position, stratum in enumerate(self.strata)}
        listed = {
            dim: {c for r in self.releases for t in r.tables for c in t.categories.get(dim, ())}
            for dim in ("location", "grade")
        }
        self.locations = sorted(listed["location"] | {location for _, location, *_ in rows})
        self.grades = sorted(listed["grade"] | {grade for _, _, grade, *_ in rows})
        self.location_index = {name: i for i, name in enumerate(self.locations)}
        self.grade_index = {name: i for i, name in enumerate(self.grades)}
        self.truth = np.zeros((len(self.strata), len(self.locations), len(self.grades)), dtype=np.int64)
        for stratum, location, grade, _, hires in rows:
            self.truth[index[stratum], self.location_index[location], self.grade_index[grade]] += hires
        self.stratum_index = index
        self._outcome_blocks(groups, [(index[stratum], outcomes, hires) for stratum, _, _, outcomes, hires in rows])

    def _outcome_groups(self) -> list[list[int]]:
        """Releases whose latest outcomes are the same for every hire (no outcome dated between their dates)
        share one outcome block."""
        dates = [release.as_at for release in self.releases]
        changes = set(
            Outcome.objects.filter(
                placement__in=self._placements().values("pk"), on__gt=min(dates), on__lte=max(dates)
            ).values_list("on", flat=True)
        )
        self.group_of: list[int] = []
        groups: list[list[int]] = []
        for position, day in enumerate(dates):
            if groups and not any(dates[groups[-1][-1]] < change <= day for change in changes):
                groups[-1].append(position)
            else:
                groups.append([position])
            self.group_of.append(len(groups) - 1)
        return groups

    def _outcome_blocks(self, groups: list[list[int]], counted: list[tuple[int, list, int]]) -> None:
        """Each block's variables are its strata, merged over the epochs between its releases (exact for the
        linear relaxation: its tables only sum epochs up to one of them); `counted` holds each stratum's hires
        by their latest outcome as at each block's date."""
        self.outcomes = list(DIMENSIONS["outcome"].every_category({}, Scope()))
        outcome_name = DIMENSIONS["outcome"].namer(Scope())
        self.blocks = []
        for group, members in enumerate(groups):
            interval = np.searchsorted(np.array(members), self.st_epoch)  # the first member counting each stratum
            keys = {}
            superstratum = np.full(len(self.strata), -1, dtype=np.int64)
            for position, stratum in enumerate(self.strata):
                if interval[position] < len(members):
                    key = (*stratum[:3], int(interval[position]))
                    superstratum[position] = keys.setdefault(key, len(keys))
            truth = np.zeros((len(keys), len(self.outcomes)), dtype=np.int64)
            for position, outcomes, hires in counted:
                if superstratum[position] >= 0:
                    truth[superstratum[position], self.outcomes.index(outcome_name(outcomes[group])[0])] += hires
            self.blocks.append((superstratum, truth))

    # -- released cells as atoms ----------------------------------------------------------------------------

    def _mask(self, position: int, first: int, last: int) -> np.ndarray:
        """The strata a release counts over a span of quarters (kept: many cells share one)."""
        key = (position, first, last)
        if key not in self._masks:
            if position not in self._masks:
                self._masks[position] = (
                    np.isin(self.st_scheme, list(self.release_schemes[position]))
                    & np.isin(self.st_organisation, list(self.release_organisations[position]))
                    & (self.st_epoch <= position)
                )
            low, high = self.period_classes(first, last)
            self._masks[key] = self._masks[position] & (self.st_period >= low) & (self.st_period <= high)
        return self._masks[key]

    def _cell(self, position: int, table_index: int, key: CellKey) -> _Cell:
        release = self.releases[position]
        table = release.tables[table_index]
        fixed = dict(zip(table.dimensions, key, strict=True))
        if fixed.get("year") is not TOTAL and "year" in fixed:
            first, last = _quarters(year_of(fixed["year"]), release.year_basis)
        else:
            first, last = (
                _quarters(table.years[0], release.year_basis)[0],
                _quarters(table.years[1], release.year_basis)[1],
            )
        mask = self._mask(position, first, last)
        if fixed.get("outcome") is not None:
            cell_key = ("outcome", self.group_of[position], self.outcomes.index(fixed["outcome"]))
        else:
            cell_key = ("hires", fixed.get("location"), fixed.get("grade"))
        return _Cell(mask, cell_key, _cell_words(table, key), [(position, table_index, tuple(key))])

    def _selection(self, cell: _Cell) -> tuple:
        """The atoms of a hires cell, as an index into (stratum, location, grade)."""
        _, location, grade = cell.key
        locations = range(len(self.locations)) if location is None else [self.location_index[location]]
        grades = range(len(self.grades)) if grade is None else [self.grade_index[grade]]
        return np.ix_(np.flatnonzero(cell.mask), locations, grades)

    def _members(self, group: int, mask: np.ndarray) -> np.ndarray:
        """The block variables' strata (merged over epochs) that an outcome cell's strata make up."""
        members = np.unique(self.blocks[group][0][mask])
        return members[members >= 0]

    def _atoms(self, cell: _Cell) -> tuple[np.ndarray, int]:
        """A cell's variables (atoms not known to be zero) and its true count (kept: releases of the same data
        repeat the same cells)."""
        if cell.identity not in self._atoms_of:
            self._atoms_of[cell.identity] = self._atoms_afresh(cell)
        return self._atoms_of[cell.identity]

    def _atoms_afresh(self, cell: _Cell) -> tuple[np.ndarray, int]:
        if cell.key[0] == "hires":
            selection = self._selection(cell)
            columns, truth = self.core_column[selection], int(self.truth[selection].sum())
        else:
            _, group, outcome = cell.key
            members = self._members(group, cell.mask)
            columns, truth = (
                self.block_column[group][members, outcome],
                int(self.blocks[group][1][members, outcome].sum()),
            )
        columns = np.asarray(columns).ravel()
        return columns[columns >= 0], truth

    def _truth_by_stratum(self, key: tuple) -> np.ndarray:
        """Each stratum's true count for a key (cached): what a mask of strata counts is a sum of these."""
        if key not in self._by_stratum:
            if key[0] == "hires":
                _, location, grade = key
                part = self.truth
                part = part if location is None else part[:, [self.location_index[location]]]
                part = part if grade is None else part[:, :, [self.grade_index[grade]]]
                self._by_stratum[key] = part.sum(axis=(1, 2))
            else:
                _, group, outcome = key
                superstratum, truth = self.blocks[group]
                self._by_stratum[key] = np.where(superstratum >= 0, truth[superstratum, outcome], 0)
        return self._by_stratum[key]

    def _cells(self) -> None:
        """Every released cell as atoms; what the reader knows to be zero fixed; the rows of the programme."""
        self.changed_cells: dict[int, int] = {}
        known_zero = np.zeros(self.truth.shape, dtype=bool)
        self.zero_source = np.full(self.truth.shape, -1, dtype=np.int64)  # the first release that showed it 0
        block_zero = [np.zeros(truth.shape, dtype=bool) for _, truth in self.blocks]
        cells = []
        for position, release in enumerate(self.releases):
            for table_index, table in enumerate(release.tables):
                for key, shown in table.shown.items():
                    cells.append((self._cell(position, table_index, key), shown))
                self._unlisted_zeros(position, table, known_zero)
        for cell, shown in cells:  # earlier releases' zeros, where the records still have none (the new release's
            position = cell.sources[0][0]  # are rows, which the joint audit may hide)
            if shown is None or position == self.new or self.releases[position].rule.possible_values(shown) != (0, 0):
                continue
            if cell.key[0] == "hires":
                selection = self._selection(cell)
                if not self.truth[selection].any():
                    self._known_zero(known_zero, selection, position)
            else:
                _, group, outcome = cell.key
                members = self._members(group, cell.mask)
                if not self.blocks[group][1][members, outcome].any():
                    block_zero[group][members, outcome] = True
        self.core_column = np.full(self.truth.shape, -1, dtype=np.int64)
        free = ~known_zero
        self.core_column[free] = np.arange(int(free.sum()))
        n_vars = int(free.sum())
        self.block_column = []
        for zero in block_zero:
            column = np.full(zero.shape, -1, dtype=np.int64)
            column[~zero] = np.arange(n_vars, n_vars + int((~zero).sum()))
            n_vars += int((~zero).sum())
            self.block_column.append(column)
        self.n_vars = n_vars
        self.truth_vector = np.zeros(n_vars)
        self.truth_vector[self.core_column[free]] = self.truth[free]
        for column, (_, truth) in zip(self.block_column, self.blocks, strict=True):
            self.truth_vector[column[column >= 0]] = truth[column >= 0]
        self.cells = cells

    def _unlisted_zeros(self, position: int, table, known_zero: np.ndarray) -> None:
        """A table lists every category with hires: the others, and (over all years) the years before its first
        listed year and after its last, have none, where the records still agree."""
        basis = self.releases[position].year_basis
        coverage = self._mask(position, _quarters(table.years[0], basis)[0], _quarters(table.years[1], basis)[1])
        every_location, every_grade = range(len(self.locations)), range(len(self.grades))
        facts = []
        if "location" in table.dimensions:
            listed = set(table.categories["location"])
            unlisted = [i for name, i in self.location_index.items() if name not in listed]
            facts.append(np.ix_(np.flatnonzero(coverage), unlisted, every_grade))
        if "grade" in table.dimensions:
            listed = set(table.categories["grade"])
            unlisted = [i for name, i in self.grade_index.items() if name not in listed]
            facts.append(np.ix_(np.flatnonzero(coverage), every_location, unlisted))
        if "year" in table.dimensions and table.categories["year"]:
            years = [year_of(label) for label in table.categories["year"]]
            inside = self._mask(position, _quarters(years[0], basis)[0], _quarters(years[-1], basis)[1])
            facts.append(np.ix_(np.flatnonzero(coverage & ~inside), every_location, every_grade))
        for selection in facts:
            if self.truth[selection].any():
                self.changed_cells[position] = self.changed_cells.get(position, 0) + 1
            else:
                self._known_zero(known_zero, selection, position)

    def _known_zero(self, known_zero: np.ndarray, selection: tuple, position: int) -> None:
        known_zero[selection] = True
        sources = self.zero_source[selection]
        self.zero_source[selection] = np.where(sources < 0, position, sources)

    # -- the programme --------------------------------------------------------------------------------------

    def run(self) -> JointResult:
        rows: dict[tuple, _Row] = {}
        hidden: dict[tuple, _Target] = {}
        new_cells: list[_Cell] = []
        keyed: dict[tuple, list[_Cell]] = {}
        for cell, shown in self.cells:
            position, table_index, key = cell.sources[0]
            release = self.releases[position]
            variables, truth = self._atoms(cell)
            keyed.setdefault(cell.key, []).append(cell)
            if position == self.new:
                new_cells.append(cell)
            if shown is None:
                if truth == 0:
                    continue  # a hidden zero counts nobody; the counts it helps to hide are checked themselves
                primary = self.releases[self.new].rule.is_primary(truth)
                target = hidden.setdefault(cell.identity, _Target(variables, truth, cell.words, [], primary, cell.mask))
                label = "this release" if position == self.new else release.label
                if label not in target.hidden_in:
                    target.hidden_in.append(label)
                continue
            low, high = release.rule.possible_values(shown)
            if not low <= truth <= high:
                if position == self.new:
                    raise DisclosureError("The records changed while this release was being produced; try again.")
                self.changed_cells[position] = self.changed_cells.get(position, 0) + 1
                continue
            specificity = sum(category is not TOTAL for category in key)
            row = rows.get(cell.identity)
            if row is None:
                row = rows[cell.identity] = _Row(cell.mask, variables, low, high, truth, cell.words, specificity, [])
            row.low, row.high = max(row.low, low), min(row.high, high)
            row.sources.append(cell.sources[0])
            row.earlier |= position != self.new
            row.new |= position == self.new
        targets = {
            identity: target
            for identity, target in hidden.items()
            if not (identity in rows and rows[identity].earlier)  # shown by an earlier release: already public
        }
        unpublished = self._unpublished(new_cells, keyed, rows, hidden)
        return self._protect(rows, targets, unpublished)

    def _unpublished(self, new_cells, keyed, rows, hidden) -> dict[tuple, _Target]:
        """Counts no release shows: what a cell of the new release and a cell of any release with the same key
        count in common and apart, and the new release's year x location x grade cells; those of 1 to 4."""
        rule = self.releases[self.new].rule
        found: dict[tuple, _Target] = {}

        def consider(mask: np.ndarray, key: tuple, words: str) -> None:
            if not rule.is_primary(int(self._truth_by_stratum(key)[mask].sum())):
                return
            cell = _Cell(mask, key, words)
            if cell.identity in rows or cell.identity in hidden or cell.identity in found:
                return
            variables, truth = self._atoms(cell)
            found[cell.identity] = _Target(variables, truth, words, [], True, mask)

        def named(cell: _Cell) -> str:
            position = cell.sources[0][0]
            return f"{cell.words} ({'this release' if position == self.new else self.releases[position].label})"

        for key, cells in keyed.items():
            ours = list({cell.mask.tobytes(): cell for cell in cells if cell.sources[0][0] == self.new}.values())
            if not ours:
                continue
            everyone = list({cell.mask.tobytes(): cell for cell in cells}.values())  # the same cell, once
            truth = self._truth_by_stratum(key)
            mine = np.array([cell.mask for cell in ours])
            theirs = np.array([cell.mask for cell in everyone])
            parts = {
                "both": mine[:, None, :] & theirs[None, :, :],
                "mine": mine[:, None, :] & ~theirs[None, :, :],
                "theirs": ~mine[:, None, :] & theirs[None, :, :],
            }
            for part, masks in parts.items():
                counts = masks.astype(np.int64) @ truth
                for i, j in zip(*np.nonzero((counts > 0) & (counts < rule.threshold)), strict=True):
                    this, that = named(ours[i]), named(everyone[j])
                    words = {
                        "both": f"the hires counted both in {this} and in {that}",
                        "mine": f"the hires counted in {this} but not in {that}",
                        "theirs": f"the hires counted in {that} but not in {this}",
                    }[part]
                    consider(masks[i, j], key, words)
        release = self.releases[self.new]
        for table_index, table in enumerate(release.tables):
            if table.dimensions != ("year",):
                continue
            for label in table.categories["year"]:
                mask = self._cell(self.new, table_index, (label,)).mask
                for location, grade in itertools.product(
                    table_categories(release, "location"), table_categories(release, "grade")
                ):
                    consider(
                        mask,
                        ("hires", location, grade),
                        f"hires in {label} at {location} in grade {grade} (this release)",
                    )
        return found

    def _protect(self, rows: dict[tuple, _Row], hidden: dict[tuple, _Target], unpublished) -> JointResult:
        row_list = list(rows.values())
        links = []
        for group, (superstratum, truth) in enumerate(self.blocks):
            for member in range(truth.shape[0]):
                block = self.block_column[group][member]
                strata = np.flatnonzero(superstratum == member)
                core = self.core_column[strata].ravel()
                block, core = block[block >= 0], core[core >= 0]
                if len(block) or len(core):
                    links.append((np.concatenate([block, core]), [1.0] * len(block) + [-1.0] * len(core), 0.0, 0.0))
        model = RangeModel(
            self.n_vars, [*links, *((row.variables, [1.0] * len(row.variables), row.low, row.high) for row in row_list)]
        )
        row_number = {id(row): len(links) + i for i, row in enumerate(row_list)}
        targets = [*hidden.values(), *unpublished.values()]
        rule = self.releases[self.new].rule
        pool = _Pool(targets, self.truth_vector)
        rng = np.random.default_rng(0)
        for _ in range(RANDOM_POINTS if targets and self.n_vars else 0):
            cost_variables = (
                rng.choice(self.n_vars, size=max(1, self.n_vars // 2), replace=False) if self.n_vars else []
            )
            _, point, _ = model.extreme(cost_variables, "min")
            pool.add(point)
        for sense in ("min", "max"):  # every count the pool has not cleared yet, at its least together, then greatest
            waiting = [
                target.variables for index, target in enumerate(targets) if not pool.safe(index, target.primary, rule)
            ]
            if waiting:
                pool.add(model.extreme(np.unique(np.concatenate(waiting)), sense)[1])
        freeable = [row for row in row_list if row.new and not row.earlier]

        def earlier_row(row: _Row) -> tuple:
            return (
                row.variables,
                [1.0] * len(row.variables),
                *((row.low, row.high) if row.earlier else (-math.inf, math.inf)),
            )

        earlier_only = None  # the earlier releases alone (every cell the new one could hide, hidden), when asked
        cleared = np.zeros(len(targets), dtype=bool)
        extra: list[tuple[_Row, str]] = []
        already: list[str] = []
        while True:
            failing = None
            for index, target in enumerate(targets):
                if cleared[index]:
                    continue
                if pool.safe(index, target.primary, rule):
                    cleared[index] = True
                    continue
                low, low_point, low_duals = model.extreme(target.variables, "min")
                pool.add(low_point)
                if pool.safe(index, target.primary, rule):  # its least value, and the greatest seen at a point
                    cleared[index] = True
                    continue
                high, high_point, high_duals = model.extreme(target.variables, "max")
                pool.add(high_point)
                safe, reason = range_is_safe(low, high, target.primary, rule)
                if safe:
                    cleared[index] = True
                    continue
                if earlier_only is None:
                    earlier_only = RangeModel(self.n_vars, [*links, *(earlier_row(row) for row in row_list)])
                if not _clears(earlier_only, target.variables, target.truth, target.primary, rule):
                    hid = f" (hidden in {' and '.join(target.hidden_in)})" if target.hidden_in else ""
                    already.append(f"{target.words}{hid}: {reason.split(' (')[0]}")
                    cleared[index] = True
                    continue
                binding = {
                    number
                    for duals in (low_duals, high_duals)
                    if duals is not None
                    for number in np.flatnonzero(np.abs(duals) > EPSILON)
                    if number >= len(links)
                }
                failing = (index, target, reason, binding)
                break
            if failing is None:
                break
            index, target, reason, binding = failing
            holding = [row_list[number - len(links)] for number in binding]
            chosen = self._next_suppression(model, row_number, freeable, holding, target, rule)
            chosen.hidden = True
            model.set_row(row_number[id(chosen)], None)
            involved = {position for number in binding for position, _, _ in row_list[number - len(links)].sources}
            involved |= set(np.unique(self.zero_source[np.flatnonzero(target.mask)]).tolist())
            sources = [self.releases[position].label for position in sorted(involved - {-1, self.new})]
            extra.append((chosen, target.reason(sources, "exactly" in reason)))
            if chosen.truth:
                targets.append(
                    _Target(chosen.variables, chosen.truth, chosen.words, ["this release"], False, chosen.mask)
                )
                cleared = np.append(cleared, False)
                pool.extend(targets[-1])
        return self._result(extra, already, len(targets))

    def _next_suppression(self, model, row_number, freeable, holding, target: _Target, rule: Rule) -> _Row:
        """The shown cell of the new release to hide next: one of those that hold the count at risk where it is
        (the rows with a non-zero dual in its programmes), else one whose atoms overlap it; preferring non-zero,
        detailed and small cells (as disclosure.py); the first that clears it on its own and cannot itself be
        worked out once hidden (else hiding it would only move the problem), else the first that clears it,
        else the most preferred."""
        candidates = [row for row in holding if row.new and not row.earlier and not row.hidden]
        if not candidates:
            at_risk = np.zeros(self.n_vars, dtype=bool)
            at_risk[target.variables] = True
            candidates = [row for row in freeable if not row.hidden and at_risk[row.variables].any()]
        if not candidates:
            candidates = [row for row in freeable if not row.hidden]
        if not candidates:
            raise DisclosureError(f"Cannot protect {target.words}: every cell of this release is already hidden.")
        candidates.sort(key=lambda row: (row.truth == 0, -row.specificity, row.truth, row.words))
        clearing = None
        for candidate in candidates[:CANDIDATES_TRIED]:
            model.set_row(row_number[id(candidate)], None)
            clears = _clears(model, target.variables, target.truth, target.primary, rule)
            hidden_well = clears and _clears(model, candidate.variables, candidate.truth, False, rule)
            model.set_row(row_number[id(candidate)], (candidate.low, candidate.high))
            if hidden_well:
                return candidate
            clearing = clearing or (candidate if clears else None)
        return clearing or candidates[0]

    def _result(self, extra: list[tuple[_Row, str]], already: list[str], checked: int) -> JointResult:
        hidden: dict[int, set] = {}
        described = []
        for row, reason in extra:
            for position, table_index, key in row.sources:
                if position == self.new:
                    hidden.setdefault(table_index, set()).add(key)
                    table = self.releases[self.new].tables[table_index]
                    described.append(ExtraHidden(table_index, key, _cell_words(table, key), reason))
        return JointResult(
            {table: frozenset(keys) for table, keys in hidden.items()},
            tuple(described),
            tuple(already),
            {
                self.releases[position].release.pk: n
                for position, n in self.changed_cells.items()
                if position != self.new
            },
            checked,
        )


def with_hidden(tables: Sequence, hidden: dict[int, frozenset]) -> tuple:
    """The tables with the cells a joint audit hid (table index -> keys) showing the symbol."""
    return tuple(
        replace(
            table, shown={key: None if key in hidden.get(index, ()) else value for key, value in table.shown.items()}
        )
        for index, table in enumerate(tables)
    )


def joint_audit(new: ReleaseRead, earlier: Sequence[ReleaseRead]) -> JointResult:
    """The joint audit of a new release with every earlier one it could be read with (decision 0088), in two
    steps. First the cells to hide are chosen against the latest few earlier releases only: that is where nearly
    everything a new release could give away lies (what changed since the last ones), and choosing is most of an
    audit's programmes (several for every cell hidden), here over a system that does not grow with the register.
    Then the release, so hidden, is audited with every earlier release, which hides more wherever it asks. What
    is safe is decided by that second audit alone, the audit of 0071 over everything: the first step only hides
    cells, and hiding more is always allowed; it spares the second most of the choosing."""
    earlier = sorted(earlier, key=lambda release: release.counted_at)
    if len(earlier) <= NEAREST_RELEASES:
        return JointAudit(new, earlier).run()
    first = JointAudit(new, earlier[-NEAREST_RELEASES:]).run()
    final = JointAudit(replace(new, tables=with_hidden(new.tables, first.hidden)), earlier).run()
    return JointResult(
        {
            index: first.hidden.get(index, frozenset()) | final.hidden.get(index, frozenset())
            for index in first.hidden.keys() | final.hidden.keys()
        },
        first.extra + final.extra,
        tuple(dict.fromkeys(first.already_known + final.already_known)),
        final.changed_cells,
        final.counts_checked,
    )


def _clears(model: RangeModel, variables: np.ndarray, truth: int, primary: bool, rule: Rule) -> bool:
    """Whether a count is safe in `model` (`range_is_safe` over its least and greatest values). The true counts
    satisfy every row, so its greatest value is at least its true one: when its least value and the truth are
    already far enough apart, the greatest need not be solved for."""
    low = model.extreme(variables, "min")[0]
    if range_is_safe(low, truth, primary, rule)[0]:
        return True
    return range_is_safe(low, model.extreme(variables, "max")[0], primary, rule)[0]


class _Pool:
    """Feasible points found so far (the truth first): a count that takes values far enough apart at them is
    safe without a programme of its own."""

    def __init__(self, targets: list[_Target], truth: np.ndarray):
        self.targets = targets
        self.least = np.array([float(truth[t.variables].sum()) for t in targets])
        self.greatest = self.least.copy()
        self._index(targets)

    def _index(self, targets: list[_Target]) -> None:
        self.entries = np.concatenate([t.variables for t in targets]) if targets else np.zeros(0, dtype=np.int64)
        self.owner = np.repeat(np.arange(len(targets)), [len(t.variables) for t in targets])

    def extend(self, target: _Target) -> None:
        self.least = np.append(self.least, float(target.truth))
        self.greatest = np.append(self.greatest, float(target.truth))
        self._index(self.targets)

    def add(self, point: np.ndarray | None) -> None:
        if point is None or not len(self.targets):
            return
        values = np.bincount(self.owner, weights=point[self.entries], minlength=len(self.targets))
        np.minimum(self.least, values, out=self.least)
        np.maximum(self.greatest, values, out=self.greatest)

    def safe(self, index: int, primary: bool, rule: Rule) -> bool:
        return range_is_safe(self.least[index], self.greatest[index], primary, rule)[0]
