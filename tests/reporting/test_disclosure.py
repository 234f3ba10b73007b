"""Disclosure control: small counts hidden, nothing hidden can be worked out, and the audit catches it when it can.

These tests need no database: tables are built directly from counts."""

import itertools

import highspy
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reporting.breakdowns import Breakdown
from reporting.disclosure import (
    TOTAL,
    DisclosureError,
    ProtectedTable,
    Rule,
    _LinkedTables,
    audit,
    protect,
    range_is_safe,
)

YEARS = ("2019", "2020", "2021", "2022")
LOCATIONS = ("Newport", "Titchfield", "Darlington")
GRADES = ("AO", "EO", "HEO")


def cube(counts: dict, years=YEARS, locations=LOCATIONS, grades=GRADES) -> Breakdown:
    """A year x location x grade table; cells not given are zero."""
    categories = {"year": tuple(years), "location": tuple(locations), "grade": tuple(grades)}
    full = {key: counts.get(key, 0) for key in itertools.product(years, locations, grades)}
    return Breakdown(("year", "location", "grade"), categories, full)


def pack_tables(finest: Breakdown) -> list[Breakdown]:
    """The hires tables of an FOI pack, which all share the same totals."""
    return [finest.margin(dims) for dims in (["year"], ["year", "location"], ["year", "grade"], ["location", "grade"])]


def two_way(rows: list[list[int]], row_dim="year", column_dim="location") -> Breakdown:
    row_categories = tuple(f"{2019 + i}" for i in range(len(rows)))
    column_categories = tuple(f"Site {j + 1}" for j in range(len(rows[0])))
    counts = {
        (row_categories[i], column_categories[j]): value for i, row in enumerate(rows) for j, value in enumerate(row)
    }
    return Breakdown((row_dim, column_dim), {row_dim: row_categories, column_dim: column_categories}, counts)


def assert_published_safely(tables, protected, rule):
    """What every output must satisfy, checked directly rather than through `audit`."""
    for published in protected:
        for key in published.cells():
            value = published.value(key)
            if value is None:
                continue
            truth = published.true_value(key)
            assert not rule.is_primary(truth), f"{key}: small count {truth} shown"
            assert value == rule.shown(truth)
            if rule.rounding_base:
                assert value % rule.rounding_base == 0
    # A number in several tables is shown (or hidden) the same way everywhere.
    seen = {}
    for table, published in zip(tables, protected, strict=True):
        for key in published.cells():
            fixed = frozenset((d, c) for d, c in zip(table.dimensions, key, strict=True) if c is not TOTAL)
            seen.setdefault(fixed, set()).add(published.value(key))
    assert all(len(shown) == 1 for shown in seen.values()), [k for k, v in seen.items() if len(v) > 1]


small_counts = st.integers(min_value=0, max_value=12).map(lambda n: n if n <= 8 else n * 2)


@st.composite
def linked_tables(draw):
    years = YEARS[: draw(st.integers(1, 4))]
    locations = LOCATIONS[: draw(st.integers(1, 3))]
    grades = GRADES[: draw(st.integers(1, 3))]
    counts = {key: draw(small_counts) for key in itertools.product(years, locations, grades)}
    return pack_tables(cube(counts, years, locations, grades))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables=linked_tables())
def test_protected_linked_tables_always_pass_the_audit(tables):
    rule = Rule()
    protected = protect(tables, rule)
    result = audit(tables, protected)
    assert result.passed, result.problems
    assert_published_safely(tables, protected, rule)
    for cell in result.hidden_cells:
        assert cell.greatest - cell.least >= 1
    assert [table.hidden for table in protect(tables, rule)] == [table.hidden for table in protected]  # repeatable


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables=linked_tables())
def test_the_ons_10_5_preset_hides_under_ten_and_rounds_to_fives(tables):
    rule = Rule.ons_10_5()
    protected = protect(tables, rule)
    assert audit(tables, protected).passed
    assert_published_safely(tables, protected, rule)


def counts_in(cell: tuple, key: tuple) -> bool:
    """Whether a table's cell is one of those the published number at `key` (a cell, or a total) adds up."""
    return all(category is TOTAL or category == own for category, own in zip(key, cell, strict=True))


def integer_solutions(table: Breakdown, published: ProtectedTable, rule: Rule) -> tuple[list, np.ndarray]:
    """Every table of whole numbers that reproduces what is published (brute force), as (the interior cells,
    one row of their values per solution). A shown cell has its one value; a hidden one is tried from 0 up to
    the smallest published total it is part of, which no solution can exceed, so nothing is left out. (A
    hidden cell in no published total could be anything: it is tried up to the grand total plus the
    threshold, which shows it can be more than one value and reach the threshold.) Partial tables that
    already break a published total are dropped as cells are added, so the search stays small."""
    cells = list(table.cells())
    totals = []  # (positions of the cells a published total adds up, its value)
    for key in published.cells():
        if TOTAL in key and published.value(key) is not None:
            members = [i for i, cell in enumerate(cells) if counts_in(cell, key)]
            totals.append((members, published.value(key)))
    solutions = np.zeros((1, 0), dtype=np.int64)
    for position, cell in enumerate(cells):
        if cell in published.hidden:
            most = min((value for members, value in totals if position in members), default=None)
            candidates = np.arange((table.total + rule.threshold if most is None else most) + 1)
        else:
            candidates = np.array([published.value(cell)])
        solutions = np.hstack(
            [np.repeat(solutions, len(candidates), axis=0), np.tile(candidates, len(solutions))[:, None]]
        )
        for members, value in totals:
            added = [i for i in members if i <= position]
            sums = solutions[:, added].sum(axis=1)
            solutions = solutions[sums == value if max(members) <= position else sums <= value]
    return cells, solutions


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(st.lists(st.integers(0, 6), min_size=2, max_size=3), min_size=2, max_size=2))
def test_no_hidden_cell_can_be_worked_out_by_trying_every_whole_number(rows):
    """An independent check of the audit's linear programme: enumerate every integer table that matches the
    published numbers and see what each hidden cell (or total) could be."""
    width = min(len(row) for row in rows)
    table = two_way([row[:width] for row in rows])
    rule = Rule()
    (published,) = protect([table], rule)
    cells, solutions = integer_solutions(table, published, rule)
    truth = [table.count(*cell) for cell in cells]
    assert truth in solutions.tolist()
    for key in published.hidden:
        members = [i for i, cell in enumerate(cells) if counts_in(cell, key)]
        possible = set(solutions[:, members].sum(axis=1).tolist())
        assert len(possible) >= 2, f"{key} could only be {possible}"
        if rule.is_primary(published.true_value(key)):
            assert 0 in possible or max(possible) >= rule.threshold, f"{key} is known to be small: {possible}"


def test_trying_every_whole_number_goes_as_high_as_the_published_totals_allow():
    """A correct table the search once got wrong, when it tried each cell only up to 8: 2020 at Site 3 holds 3
    hires, hidden; a reader cannot rule out 0, but only because 2019 at Site 3 (6, hidden too) could be 9."""
    table = two_way([[5, 6, 6], [1, 5, 3]])
    (published,) = protect([table], Rule())
    assert {("2019", "Site 3"), ("2020", "Site 3")} <= published.hidden
    cells, solutions = integer_solutions(table, published, Rule())
    zero_at_site_3 = solutions[solutions[:, cells.index(("2020", "Site 3"))] == 0]
    assert zero_at_site_3[:, cells.index(("2019", "Site 3"))].tolist() == [9]


def test_a_single_small_count_in_a_row_takes_a_second_cell_and_never_its_total_alone():
    table = two_way([[3, 8, 9], [7, 6, 10]])
    (published,) = protect([table], Rule())
    assert published.value(("2019", "Site 1")) is None
    hidden_in_row = [key for key in published.hidden if key[0] == "2019" and key[1] is not TOTAL]
    assert len(hidden_in_row) >= 2  # otherwise 3 = row total - the others
    hidden_in_column = [key for key in published.hidden if key[1] == "Site 1" and key[0] is not TOTAL]
    assert len(hidden_in_column) >= 2
    assert published.value((TOTAL, TOTAL)) == 3 + 8 + 9 + 7 + 6 + 10
    assert audit([table], [published]).passed


def test_a_row_whose_other_cells_are_zero_hides_its_total_too():
    table = two_way([[3, 0, 0], [7, 6, 10]])
    (published,) = protect([table], Rule())
    assert published.value(("2019", "Site 1")) is None
    assert published.value(("2019", TOTAL)) is None  # 3 + 0 + 0 would give it away
    assert published.value(("2019", "Site 2")) == 0  # true zeros are still shown
    assert audit([table], [published]).passed


def test_a_total_below_the_threshold_is_hidden_and_so_is_what_gives_it_away():
    table = two_way([[1, 2], [0, 0]])
    (published,) = protect([table], Rule())
    assert published.value((TOTAL, TOTAL)) is None
    assert published.value(("2019", TOTAL)) is None
    assert published.value(("2020", "Site 1")) == 0
    assert audit([table], [published]).passed


def test_one_location_only_hides_the_same_number_in_both_places():
    finest = cube(
        {("2019", "Newport", "AO"): 3, ("2020", "Newport", "AO"): 6, ("2020", "Newport", "EO"): 7},
        years=("2019", "2020"),
        locations=("Newport",),
        grades=("AO", "EO"),
    )
    tables = pack_tables(finest)
    protected = protect(tables, Rule())
    by_year, year_location = protected[0], protected[1]
    assert by_year.value(("2019",)) is None
    assert year_location.value(("2019", "Newport")) is None
    assert year_location.value(("2019", TOTAL)) is None
    assert audit(tables, protected).passed
    assert_published_safely(tables, protected, Rule())


def test_linked_tables_are_protected_together_not_one_at_a_time():
    """Each table protected on its own looks safe, yet the other tables of the pack give hidden cells away:
    protecting them together does not."""
    finest = cube(
        {
            ("2019", "Newport", "EO"): 3,
            ("2020", "Newport", "AO"): 3,
            ("2020", "Newport", "EO"): 9,
            ("2020", "Titchfield", "EO"): 3,
            ("2021", "Titchfield", "AO"): 6,
            ("2021", "Titchfield", "EO"): 8,
        },
        years=("2019", "2020", "2021"),
        locations=("Newport", "Titchfield"),
        grades=("AO", "EO"),
    )
    tables = pack_tables(finest)
    alone = [protect([table], Rule())[0] for table in tables]
    for table, published in zip(tables, alone, strict=True):
        assert audit([table], [published]).passed
    problems = audit(tables, alone).problems
    assert any("year 2019, grade EO: it can be worked out exactly (3)" in problem for problem in problems)
    together = protect(tables, Rule())
    assert audit(tables, together).passed
    assert_published_safely(tables, together, Rule())


def test_the_audit_catches_a_cell_that_subtraction_reveals():
    table = two_way([[3, 8], [7, 6]])
    only_primary = ProtectedTable(table, Rule(), hidden=frozenset({("2019", "Site 1")}))
    result = audit([table], [only_primary])
    assert not result.passed
    assert "worked out exactly (3)" in result.problems[0]
    with pytest.raises(DisclosureError, match="2019"):
        result.raise_if_failed()


def test_the_audit_catches_a_small_count_shown_and_a_number_shown_in_one_table_but_hidden_in_another():
    table = two_way([[3, 8], [7, 6]])
    nothing_hidden = ProtectedTable(table, Rule(), hidden=frozenset())
    assert any("small count 3 is shown" in problem for problem in audit([table], [nothing_hidden]).problems)
    by_year = table.margin(["year"])
    row_hidden = ProtectedTable(
        table, Rule(), hidden=frozenset({("2019", "Site 1"), ("2019", "Site 2"), ("2019", TOTAL)})
    )
    year_shown = ProtectedTable(by_year, Rule(), hidden=frozenset())
    problems = audit([table, by_year], [row_hidden, year_shown]).problems
    assert "year 2019 is hidden in one table and shown in another" in problems


def test_the_audit_knows_a_cell_pinned_by_the_rest_of_its_column():
    table = two_way([[2, 2], [8, 9]])
    row_hidden = ProtectedTable(
        table, Rule(), hidden=frozenset({("2019", "Site 1"), ("2019", "Site 2"), ("2019", TOTAL)})
    )
    # Column totals 10 and 11 less the second row (8 and 9) pin both hidden cells at 2.
    problems = audit([table], [row_hidden]).problems
    assert "table 1, year 2019, location Site 1: it can be worked out exactly (2)" in problems


def test_the_audit_knows_a_range_between_one_and_four_gives_a_small_count_away():
    """x + y = 4 (its row) and y + 1 = 3 at most (its column): x is 1 to 4, so known to be small."""
    table = two_way([[2, 2], [8, 1]])
    interior = frozenset(key for key in table.cells())
    all_cells_hidden = ProtectedTable(table, Rule(), hidden=interior)
    result = audit([table], [all_cells_hidden])
    first = next(cell for cell in result.hidden_cells if cell.key == ("2019", "Site 1"))
    assert (first.least, first.greatest) == (1, 4)
    assert "table 1, year 2019, location Site 1: it is known to lie between 1 and 4, so it is known to be small" in (
        result.problems
    )


def test_rounding_rule_shows_multiples_of_the_base_rounding_half_up():
    rule = Rule.ons_10_5()
    assert [rule.shown(v) for v in (0, 10, 12, 13, 17, 18)] == [0, 10, 10, 15, 15, 20]
    assert rule.possible_values(15) == (13, 17)
    assert rule.possible_values(0) == (0, 0)  # 1 to 9 are hidden, so a 0 shown is a true zero
    assert Rule(threshold=1, rounding_base=5).possible_values(0) == (0, 2)
    assert [value for value in range(12) if rule.is_primary(value)] == list(range(1, 10))


def test_the_rule_explains_itself_in_plain_english():
    assert "Counts from 1 to 4 are not shown" in Rule().describe()
    assert "[c]" in Rule().describe()
    ons = Rule.ons_10_5().describe()
    for phrase in ("from 1 to 9", "nearest 5", "unrounded"):
        assert phrase in ons


def test_the_rule_comes_from_settings(settings):
    settings.DISCLOSURE_THRESHOLD = 10
    settings.DISCLOSURE_ROUNDING_BASE = 5
    settings.DISCLOSURE_SYMBOL = "[x]"
    assert Rule.from_settings() == Rule(threshold=10, rounding_base=5, symbol="[x]")


def test_tables_that_cannot_be_protected_together_are_refused():
    by_location = two_way([[3, 8], [7, 6]], column_dim="location")
    by_region = two_way([[3, 8], [7, 6]], column_dim="region")
    with pytest.raises(ValueError, match="location and by region"):
        protect([by_location, by_region], Rule())
    earlier = Breakdown(by_location.dimensions, by_location.categories, by_location.counts, measure="hires as at 2020")
    with pytest.raises(ValueError, match="same people"):
        protect([by_location, earlier], Rule())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables=linked_tables())
def test_whole_numbers_give_every_hidden_cell_the_same_range_as_the_audit(tables):
    """The audit relaxes "whole number of people" to "any number" (linear, fast). Three-way tables published
    by all their two-way totals are where that could be too generous, so check it against the exact
    mixed-integer programme: each hidden cell's range in whole numbers is still safe."""
    rule = Rule()
    protected = protect(tables, rule)
    linked = _LinkedTables(tables)
    published = {
        linked.identity(table, key): rule.possible_values(table_published.value(key))
        for table, table_published in zip(tables, protected, strict=True)
        for key in table_published.cells()
        if table_published.value(key) is not None
    }
    hidden = set(linked.truth) - set(published)
    if not hidden:
        return
    model = linked.range_model(published)
    columns = model.all_columns
    model.highs.changeColsIntegrality(len(columns), columns, np.full(len(columns), highspy.HighsVarType.kInteger))
    for identity in hidden:
        low, high = model.bounds(identity)
        assert range_is_safe(low, high, rule.is_primary(linked.truth[identity]), rule)[0], (identity, low, high)
