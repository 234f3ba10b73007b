"""Disclosure control for published counts: primary suppression, optional rounding, secondary suppression,
and an audit that proves no hidden count can be worked out from what is published.

All the tables of one output (a published family, reporting/publication.py) are treated as one set of linear
equations over the finest underlying cells: every published number, totals included, is the sum of some of those
cells. A hidden count is safe when, over all non-negative cell values that reproduce everything published, it
can still take at least two whole values, and (for a small count) a value of 0 or one at or above the threshold:
nobody can tell it is "a small number" or which one. `audit` checks this by linear programming (HiGHS, via
highspy): the minimum and maximum of each hidden cell subject to every published number. `protect` hides the
primary cells (1 to threshold-1), then, while some hidden cell is not yet safe, hides one more cell sharing a
row, column or total with it (preferring small, non-zero, detailed cells), until all are safe. Deterministic.
See docs/decisions/0030-disclosure-control.md.

A cell key is a tuple with one entry per dimension of its table: a category, or `TOTAL` (None) for the total
over that dimension; so `("2023", TOTAL)` is the 2023 row total and `(TOTAL, TOTAL)` the grand total.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import highspy
import numpy as np
from django.conf import settings

from .breakdowns import TOTAL, Breakdown

CellKey = tuple[str | None, ...]
Identity = frozenset  # of (dimension, category) pairs: which finest cells a published number adds up
EPSILON = 1e-6


class DisclosureError(RuntimeError):
    """An output that cannot be published safely (it failed its audit); the message says which cell and why."""


@dataclass(frozen=True)
class Rule:
    """Which counts are hidden and how the rest are shown."""

    threshold: int = 5  # counts from 1 to threshold-1 are hidden; zeros are shown
    rounding_base: int = 0  # 0: exact counts; 5 or 10: shown counts rounded to the nearest multiple
    symbol: str = "[c]"

    def __post_init__(self):
        if self.threshold < 1:
            raise ValueError("The disclosure threshold must be at least 1.")
        if self.rounding_base < 0:
            raise ValueError("The rounding base cannot be negative.")

    @classmethod
    def from_settings(cls) -> Rule:
        """The rule configured by DISCLOSURE_THRESHOLD / DISCLOSURE_ROUNDING_BASE / DISCLOSURE_SYMBOL."""
        return cls(
            threshold=settings.DISCLOSURE_THRESHOLD,
            rounding_base=settings.DISCLOSURE_ROUNDING_BASE,
            symbol=settings.DISCLOSURE_SYMBOL,
        )

    @classmethod
    def ons_10_5(cls, symbol: str = "[c]") -> Rule:
        """The ONS "10-5" preset: counts under 10 hidden, every other count rounded to the nearest 5."""
        return cls(threshold=10, rounding_base=5, symbol=symbol)

    def is_primary(self, value: int) -> bool:
        """A count hidden for its own sake: more than zero and under the threshold."""
        return 0 < value < self.threshold

    def shown(self, value: int) -> int:
        """The number published for a true count (rounded half up when a rounding base is set)."""
        if not self.rounding_base or value == 0:
            return value
        return self.rounding_base * ((value + self.rounding_base // 2) // self.rounding_base)

    def possible_values(self, shown: int) -> tuple[int, int]:
        """The true counts a reader knows could lie behind a published number (inclusive)."""
        if not self.rounding_base:
            return shown, shown
        if shown == 0:  # a true zero, unless small counts that round to 0 are shown rather than hidden
            return 0, 0 if self.threshold > self.rounding_base // 2 else self.rounding_base // 2
        low = shown - self.rounding_base // 2
        return max(low, 0), low + self.rounding_base - 1

    def describe(self) -> str:
        """The rule in plain English, for the Notes sheet and API documentation."""
        if self.threshold > 1:
            text = (
                f"Counts from 1 to {self.threshold - 1} are not shown, to protect the people counted; "
                f"they appear as {self.symbol}. Zeros are true zeros and are shown as 0."
            )
        else:
            text = "No count is hidden for being small."
        if self.rounding_base:
            text += (
                f" Every other count, totals included, is rounded to the nearest {self.rounding_base}; totals "
                f"are worked out from the unrounded counts and then rounded, so they may not equal the sum "
                f"of the rounded counts shown."
            )
        text += (
            f" Where a hidden count could otherwise be worked out from the other numbers published (by "
            f"subtracting from a total, or from another table in the same output), further counts are also "
            f"shown as {self.symbol}, choosing the smallest that protect it."
        )
        return text


@dataclass(frozen=True)
class ProtectedTable:
    """A breakdown as published: which cells (margins included) are hidden, and the numbers shown."""

    breakdown: Breakdown
    rule: Rule
    hidden: frozenset = field(repr=False)  # of CellKey

    @property
    def dimensions(self) -> tuple[str, ...]:
        return self.breakdown.dimensions

    def cells(self) -> list[CellKey]:
        """Every published cell and total, in report order (`table_keys`)."""
        return list(table_keys(self.breakdown))

    def true_value(self, key: CellKey) -> int:
        return true_value(self.breakdown, key)

    def value(self, key: CellKey) -> int | None:
        """The number published, or None when the cell is hidden."""
        key = tuple(key)
        return None if key in self.hidden else self.rule.shown(self.true_value(key))


def table_keys(breakdown: Breakdown) -> Iterable[CellKey]:
    """Every cell of a table with its totals: each dimension's categories followed by TOTAL."""
    return itertools.product(*((*breakdown.categories[dim], TOTAL) for dim in breakdown.dimensions))


def true_value(breakdown: Breakdown, key: CellKey) -> int:
    """The true count of a cell or total (totals summed from the categories)."""
    return breakdown.with_totals[tuple(key)]


class _LinkedTables:
    """The tables of one output as linear equations over their finest underlying cells.

    Variables are the cells of the finest cross-classification of the dimensions that tables share (the
    "core"); a table with a dimension no other table has (outcomes by year) gets its own block of variables,
    tied to the core by its shared margins. For the linear relaxation this is exact, and it keeps the
    problem small (years x locations x grades, not x outcomes as well)."""

    def __init__(self, tables: Sequence[Breakdown]):
        if not tables:
            raise ValueError("No tables to protect.")
        if len({table.measure for table in tables}) > 1:
            raise ValueError("The tables of one output must count the same people (e.g. outcomes as at the same date).")
        dimensions = {dim for table in tables for dim in table.dimensions}
        if {"location", "region"} <= dimensions:
            # Regions are sums of locations: the equations below treat dimensions as independent, so they
            # would not see what a location table gives away about a region table or the other way round.
            raise ValueError("Protect tables by location and by region as separate outputs, not together.")
        self.tables = list(tables)
        self.categories: dict[str, tuple[str, ...]] = {}
        for table in tables:
            for dim in table.dimensions:
                known = self.categories.get(dim, ())
                self.categories[dim] = known + tuple(c for c in table.categories[dim] if c not in known)
        self.dim_order = list(self.categories)
        dims_of = [set(table.dimensions) for table in tables]
        private = [dims - set().union(*(d for j, d in enumerate(dims_of) if j != i)) for i, dims in enumerate(dims_of)]
        if len(tables) == 1:
            private = [set()]
        shared = set().union(*(dims - own for dims, own in zip(dims_of, private, strict=True)))
        self.core_dims = [dim for dim in self.dim_order if dim in shared]
        self.n_vars = 0
        self.blocks: list[tuple[list[str], np.ndarray]] = []  # (dims, variable index by category positions)
        core_index = self._add_block(self.core_dims)
        self.links: list[list[tuple[int, float]]] = []
        for table, own in zip(tables, private, strict=True):
            if not own:
                continue
            block_dims = [dim for dim in self.dim_order if dim in table.dimensions]
            block_index = self._add_block(block_dims)
            link_dims = [dim for dim in block_dims if dim not in own]
            for combination in itertools.product(*(self.categories[dim] for dim in link_dims)):
                fixed = dict(zip(link_dims, combination, strict=True))
                row = [(v, 1.0) for v in self._block_vars(block_index, fixed)]
                row += [(v, -1.0) for v in self._block_vars(core_index, fixed)]
                self.links.append(row)
        # Every published cell, by identity: the set of (dimension, category) it fixes.
        self.truth: dict[Identity, int] = {}
        self.cells_of: dict[Identity, list[tuple[int, CellKey]]] = {}
        for index, table in enumerate(tables):
            for key in table_keys(table):
                identity = self.identity(table, key)
                value = true_value(table, key)
                if self.truth.setdefault(identity, value) != value:
                    raise ValueError(
                        f"The tables disagree on {describe_identity(identity)}: {self.truth[identity]} and {value}."
                    )
                self.cells_of.setdefault(identity, []).append((index, key))
        self._vars_cache: dict[Identity, list[int]] = {}

    def _add_block(self, dims: list[str]) -> int:
        shape = [len(self.categories[dim]) for dim in dims]
        size = int(np.prod(shape, dtype=np.int64))
        self.blocks.append((dims, np.arange(self.n_vars, self.n_vars + size).reshape(shape)))
        self.n_vars += size
        return len(self.blocks) - 1

    def _block_vars(self, block: int, fixed: dict[str, str]) -> list[int]:
        dims, grid = self.blocks[block]
        index = tuple(self.categories[dim].index(fixed[dim]) if dim in fixed else slice(None) for dim in dims)
        return np.asarray(grid[index]).ravel().tolist()

    def identity(self, table: Breakdown, key: CellKey) -> Identity:
        """What a cell adds up, independent of the table it is in. A dimension with one category fixes
        nothing, so `(2023, Newport)` with Newport the only location is the same number as 2023's total."""
        return frozenset(
            (dim, category)
            for dim, category in zip(table.dimensions, key, strict=True)
            if category is not TOTAL and len(self.categories[dim]) > 1
        )

    def variables(self, identity: Identity) -> list[int]:
        """The finest cells a published number is the sum of."""
        if identity not in self._vars_cache:
            fixed = dict(identity)
            block = next(
                i for i, (dims, _) in enumerate(self.blocks) if set(fixed) <= set(dims)
            )  # the core first, else the one block holding a table-private dimension
            self._vars_cache[identity] = self._block_vars(block, fixed)
        return self._vars_cache[identity]

    def order(self, identity: Identity) -> tuple:
        """A deterministic order of cells: finest first, then by dimension and category order."""
        return (
            -len(identity),
            sorted((self.dim_order.index(d), self.categories[d].index(c)) for d, c in identity),
        )

    def range_model(self, published: dict[Identity, tuple[int, int]]) -> _RangeModel:
        """A linear programme over the finest cells holding every published number (and the links)."""
        return _RangeModel(self, published)


_SETTLED = (
    highspy.HighsModelStatus.kOptimal,
    highspy.HighsModelStatus.kUnbounded,
    highspy.HighsModelStatus.kUnboundedOrInfeasible,  # the true counts satisfy every row: unbounded
    highspy.HighsModelStatus.kModelEmpty,
)


class RangeModel:
    """One HiGHS model over non-negative variables with a row per published number: the number is a sum of some
    variables (a row may also tie variables together, with coefficients) and lies between the least and greatest
    true value it allows. Hiding a number frees its row, so trying another suppression and finding a hidden
    number's least and greatest values reuse the same (warm) model. One output's tables (`_LinkedTables`) and
    the releases read together by the register's joint audit (reporting/releases.py) are both solved with it."""

    def __init__(self, n_vars: int, rows: Sequence[tuple[Sequence[int], Sequence[float], float, float]]):
        starts, indices, values, lower, upper = [0], [], [], [], []
        for row_indices, row_values, low, high in rows:
            indices.extend(row_indices)
            values.extend(row_values)
            starts.append(len(indices))
            lower.append(float(low))
            upper.append(float(high))
        self.n_vars = n_vars
        lp = highspy.HighsLp()
        lp.num_col_ = n_vars
        lp.num_row_ = len(lower)
        lp.col_cost_ = np.zeros(n_vars)
        lp.col_lower_ = np.zeros(n_vars)
        lp.col_upper_ = np.full(n_vars, highspy.kHighsInf)
        lp.row_lower_ = np.array(lower)
        lp.row_upper_ = np.array(upper)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
        lp.a_matrix_.index_ = np.array(indices, dtype=np.int32)
        lp.a_matrix_.value_ = np.array(values, dtype=float)
        self.highs = highspy.Highs()
        self.highs.setOptionValue("output_flag", False)
        self.highs.setOptionValue("simplex_strategy", 4)  # primal: a new objective keeps the basis feasible
        self.highs.passModel(lp)
        self.all_columns = np.arange(n_vars, dtype=np.int32)

    def set_row(self, row: int, possible: tuple[float, float] | None) -> None:
        """Publish a row's number (the true values it allows) or, with None, hide it."""
        low, high = possible if possible is not None else (-highspy.kHighsInf, highspy.kHighsInf)
        self.highs.changeRowBounds(row, float(low), float(high))

    def extreme(self, variables: Sequence[int], sense: str) -> tuple[float, np.ndarray | None, np.ndarray | None]:
        """The least ("min") or greatest ("max") value the sum of `variables` can take given the published rows,
        with a solution reaching it and the rows' duals there (non-zero for the rows that hold it there); the
        solution and duals are None when the value is unbounded."""
        cost = np.zeros(self.n_vars)
        cost[np.asarray(variables, dtype=np.int64)] = 1.0
        self.highs.changeColsCost(self.n_vars, self.all_columns, cost)
        self.highs.changeObjectiveSense(highspy.ObjSense.kMinimize if sense == "min" else highspy.ObjSense.kMaximize)
        self.highs.run()
        status = self.highs.getModelStatus()
        if status not in _SETTLED:
            # The true counts satisfy every row, so the model is never infeasible: after many changed bounds a
            # warm-started simplex can wrongly say so, or stop without an answer ("Unknown"). Solving again from
            # a cold start gives the right answer.
            self.highs.clearSolver()
            self.highs.run()
            status = self.highs.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            solution = self.highs.getSolution()
            value = self.highs.getInfo().objective_function_value
            return value, np.asarray(solution.col_value), np.asarray(solution.row_dual)
        if status in (highspy.HighsModelStatus.kUnbounded, highspy.HighsModelStatus.kUnboundedOrInfeasible):
            return math.inf, None, None
        if status == highspy.HighsModelStatus.kModelEmpty:  # no variables: every sum is 0
            return 0.0, np.zeros(self.n_vars), np.zeros(self.highs.getNumRow())
        raise DisclosureError(f"The audit could not solve: {self.highs.modelStatusToString(status)}")

    def range_of(self, variables: Sequence[int]) -> tuple[float, float]:
        """The least and greatest value the sum of `variables` can take (linear relaxation)."""
        return self.extreme(variables, "min")[0], self.extreme(variables, "max")[0]


class _RangeModel(RangeModel):
    """The model of one output's linked tables: a row per published number, by identity, after the links."""

    def __init__(self, linked: _LinkedTables, published: dict[Identity, tuple[int, int]]):
        self.linked = linked
        self.row_of: dict[Identity, int] = {}
        rows = [
            ([variable for variable, _ in link], [coefficient for _, coefficient in link], 0.0, 0.0)
            for link in linked.links
        ]
        for identity in sorted(linked.truth, key=linked.order):
            self.row_of[identity] = len(rows)
            variables = linked.variables(identity)
            low, high = published.get(identity, (-highspy.kHighsInf, highspy.kHighsInf))
            rows.append((variables, [1.0] * len(variables), low, high))
        super().__init__(linked.n_vars, rows)

    def set_published(self, identity: Identity, possible: tuple[int, int] | None) -> None:
        """Publish a number (the true values it allows) or, with None, hide it."""
        self.set_row(self.row_of[identity], possible)

    def bounds(self, target: Identity) -> tuple[float, float]:
        """The least and greatest value `target` can take given the published numbers (linear relaxation)."""
        try:
            return self.range_of(self.linked.variables(target))
        except DisclosureError as error:
            raise DisclosureError(f"{error} (for {describe_identity(target)})") from error


def describe_identity(identity: Identity) -> str:
    if not identity:
        return "the grand total"
    return ", ".join(f"{dim} {category}" for dim, category in sorted(identity))


def range_is_safe(low: float, high: float, primary: bool, rule: Rule) -> tuple[bool, str]:
    """Whether a hidden count's range of possible values protects it, and if not why (for a small count,
    `primary`: the range must also reach 0 or the threshold, so it is not known to be small)."""
    least, greatest = math.ceil(low - EPSILON), (math.floor(high + EPSILON) if high != math.inf else math.inf)
    if greatest - least < 1:
        return False, f"it can be worked out exactly ({least})"
    if primary and least > 0 and greatest < rule.threshold:
        return False, f"it is known to lie between {least} and {greatest}, so it is known to be small"
    return True, ""


def _published(linked: _LinkedTables, hidden: set, rule: Rule) -> dict[Identity, tuple[int, int]]:
    return {
        identity: rule.possible_values(rule.shown(value))
        for identity, value in linked.truth.items()
        if identity not in hidden
    }


def protect(tables: Sequence[Breakdown], rule: Rule | None = None) -> list[ProtectedTable]:
    """Primary and secondary suppression of the tables of one output, jointly (shared totals agree)."""
    rule = rule or Rule.from_settings()
    linked = _LinkedTables(tables)
    primary = {identity for identity, value in linked.truth.items() if rule.is_primary(value)}
    hidden = set(primary)
    model = linked.range_model(_published(linked, hidden, rule)) if hidden else None
    cleared: set[Identity] = set()  # hiding more only widens ranges, so a cleared cell stays cleared
    while model is not None:
        failing = None
        for identity in sorted(hidden - cleared, key=linked.order):
            low, high = model.bounds(identity)
            if range_is_safe(low, high, identity in primary, rule)[0]:
                cleared.add(identity)
            else:
                failing = identity
                break
        if failing is None:
            break
        chosen = _next_suppression(linked, model, failing, hidden, primary, rule)
        hidden.add(chosen)
        model.set_published(chosen, None)
    return [
        ProtectedTable(
            breakdown=table,
            rule=rule,
            hidden=frozenset(key for key in table_keys(table) if linked.identity(table, key) in hidden),
        )
        for table in tables
    ]


def _lines(linked: _LinkedTables, identity: Identity) -> set[Identity]:
    """Every cell that shares a row, column or total with `identity`, in any table it appears in."""
    neighbours = set()
    for table_index, key in linked.cells_of[identity]:
        table = linked.tables[table_index]
        for position, dim in enumerate(table.dimensions):
            for category in (*table.categories[dim], TOTAL):
                neighbours.add(linked.identity(table, key[:position] + (category,) + key[position + 1 :]))
    neighbours.discard(identity)
    return neighbours


CANDIDATES_TRIED = 8  # how many candidates are tried, in order of preference, for one that clears the cell


def _next_suppression(
    linked: _LinkedTables, model: _RangeModel, failing: Identity, hidden: set, primary: set, rule: Rule
) -> Identity:
    """The published cell to hide next to protect `failing`.

    Candidates are the cells sharing a row, column or total with it, or with a hidden cell that does (so a
    rectangle of four cells can be completed rather than hiding a total). They are tried in order of
    preference: non-zero counts first (zeros are true and informative), then detailed cells before totals
    (totals are what readers most want), then the smallest; the first that clears `failing` on its own is
    chosen, else the most preferred. With no candidate left nearby, a cell that overlaps it, else any."""

    def preference(identity):
        value = linked.truth[identity]
        return (value == 0, -len(identity), value, linked.order(identity))

    near = _lines(linked, failing)
    candidates = near - hidden
    for neighbour in near & hidden:
        candidates |= _lines(linked, neighbour) - hidden
    candidates.discard(failing)
    if not candidates:
        failing_vars = set(linked.variables(failing))
        candidates = {
            identity
            for identity in linked.truth
            if identity not in hidden and failing_vars & set(linked.variables(identity))
        }
    if not candidates:
        candidates = set(linked.truth) - hidden
    if not candidates:
        raise DisclosureError(f"Cannot protect {describe_identity(failing)}: every cell is already hidden.")
    ordered = sorted(candidates, key=preference)
    for candidate in ordered[:CANDIDATES_TRIED]:
        model.set_published(candidate, None)
        low, high = model.bounds(failing)
        model.set_published(candidate, rule.possible_values(rule.shown(linked.truth[candidate])))
        if range_is_safe(low, high, failing in primary, rule)[0]:
            return candidate
    return ordered[0]


@dataclass(frozen=True)
class CellAudit:
    """One hidden cell's range of possible values given everything published."""

    table: int
    key: CellKey
    value: int
    least: float
    greatest: float
    safe: bool
    reason: str = ""


@dataclass(frozen=True)
class AuditResult:
    hidden_cells: tuple[CellAudit, ...]
    problems: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.problems

    def raise_if_failed(self) -> None:
        if self.problems:
            raise DisclosureError("The output failed its disclosure audit: " + "; ".join(self.problems))


def audit(tables: Sequence[Breakdown], protected: Sequence[ProtectedTable]) -> AuditResult:
    """Check an output as published, independently of how it was protected:
    every shown number is the (rounded) truth and none is a small count; a number shown in one table is not
    hidden in another; and every hidden cell has a range of possible values, given everything shown (by
    linear programming), of at least two whole numbers that does not pin it as small."""
    problems: list[str] = []
    if len(tables) != len(protected):
        return AuditResult((), ("the output does not have one protected table per table",))
    rule = protected[0].rule
    linked = _LinkedTables(tables)
    shown_as: dict[Identity, set[bool]] = {}
    for index, (table, published) in enumerate(zip(tables, protected, strict=True)):
        if published.rule != rule:
            problems.append(f"table {index + 1} uses a different rule")
        for key in table_keys(table):
            identity = linked.identity(table, key)
            value = true_value(table, key)
            shown = published.value(key)
            shown_as.setdefault(identity, set()).add(shown is None)
            if shown is None:
                continue
            if rule.is_primary(value):
                problems.append(f"table {index + 1}, {_key_text(table, key)}: the small count {value} is shown")
            if shown != rule.shown(value):
                problems.append(f"table {index + 1}, {_key_text(table, key)}: shows {shown}, not {rule.shown(value)}")
    for identity, statuses in shown_as.items():
        if len(statuses) > 1:
            problems.append(f"{describe_identity(identity)} is hidden in one table and shown in another")
    hidden = {identity for identity, statuses in shown_as.items() if True in statuses}
    published = {
        linked.identity(table, key): rule.possible_values(table_published.value(key))
        for table, table_published in zip(tables, protected, strict=True)
        for key in table_keys(table)
        if table_published.value(key) is not None
    }
    model = linked.range_model(published) if hidden else None
    results = []
    for identity in sorted(hidden, key=linked.order):
        value = linked.truth[identity]
        low, high = model.bounds(identity)
        safe, reason = range_is_safe(low, high, rule.is_primary(value), rule)
        index, key = linked.cells_of[identity][0]
        results.append(CellAudit(index, key, value, low, high, safe, reason))
        if not safe:
            problems.append(f"table {index + 1}, {_key_text(linked.tables[index], key)}: {reason}")
    return AuditResult(tuple(results), tuple(problems))


def _key_text(table: Breakdown, key: CellKey) -> str:
    return ", ".join(
        f"{dim} {'Total' if category is TOTAL else category}"
        for dim, category in zip(table.dimensions, key, strict=True)
    )
