"""Statistics for API clients: parameters checked, then answered from the FOI pack's protected tables.

The rule against differencing (docs/decisions/0050-statistics-api-differencing.md), in short:

- Only coarse filters exist: scheme, organisation (a whole organisation), year basis, and a range of whole
  years. There is no filter by location, grade, business unit or anything finer, so "all locations, then
  all but one" cannot be asked.
- For a scheme, organisation and year basis, every published number comes from ONE protected family: the
  tables of the FOI pack for that scope over ALL years (`reporting.packs.protected_pack_tables`), protected
  together and audited. A year range only picks rows of that family; a figure over several years (a total
  for 2019 to 2023, or a location over a range) is the sum of published yearly figures, and is hidden if any
  of them is hidden. So nothing published for a range says more than the family already says, and
  2019-2024 minus 2019-2023 gives back exactly the published 2024 figure, hidden if it was hidden.
- `by` may only ask for a table of that family or one of its margins, so two answers for the same scope can
  never come from differently protected tables.
- Exact counts (no suppression) only for staff of the organisation asked about, with `exact=true`.

Between scopes (docs/decisions/0053-statistics-levels.md): each user's disclosure-controlled answers come from
one `StatisticsLevel`, a set of scopes that never share a hire (each organisation or all together, each scheme
or all together, one year basis), so no answer can be subtracted from another of a different scope.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass

from placements.access import RECORD_ROLES
from reporting.breakdowns import DIMENSIONS, MAX_DIMENSIONS, YEAR_BASES, Scope, count_hires, count_outcomes
from reporting.disclosure import TOTAL, Rule, table_keys
from reporting.models import Split, StatisticsLevel
from reporting.packs import PACK_TABLES, protected_pack_tables
from schemes.choices import Role
from schemes.models import Membership, Organisation
from schemes.reference import snapshot

from .caching import cached

HIRES = "hires"
OUTCOMES = "outcomes"
PARAMETERS = ("by", "scheme", "organisation", "year_basis", "from", "to", "exact")
IGNORED_PARAMETERS = ("format",)  # DRF's content negotiation reads it
FIRST_POSSIBLE_YEAR, LAST_POSSIBLE_YEAR = 1990, 2100
TRUE_WORDS, FALSE_WORDS = ("true", "1", "yes"), ("false", "0", "no")


class StatsParameterError(Exception):
    """A request the statistics API refuses; `parameter` is the query parameter at fault."""

    def __init__(self, parameter: str, message: str, status: int = 400):
        super().__init__(message)
        self.parameter = parameter
        self.message = message
        self.status = status


@dataclass(frozen=True)
class StatsQuery:
    measure: str  # HIRES or OUTCOMES
    by: tuple[str, ...]
    scheme: str | None  # canonical codes
    organisation: str | None
    year_basis: str
    first_year: int | None
    last_year: int | None
    exact: bool

    def cache_key(self) -> str:
        return ":".join(
            str(part)
            for part in (
                "exact",
                self.measure,
                ",".join(self.by),
                self.scheme,
                self.organisation,
                self.year_basis,
                self.first_year,
                self.last_year,
            )
        )


def _single(params: Mapping, name: str) -> str | None:
    values = params.getlist(name) if hasattr(params, "getlist") else [params[name]] if name in params else []
    if len(values) > 1:
        raise StatsParameterError(name, f"{name} is given {len(values)} times; give it once.")
    return values[0].strip() if values else None


def _year(params: Mapping, name: str) -> int | None:
    text = _single(params, name)
    if text is None or text == "":
        return None
    if not text.isdigit() or not FIRST_POSSIBLE_YEAR <= int(text) <= LAST_POSSIBLE_YEAR:
        raise StatsParameterError(
            name, f"{name} must be a year between {FIRST_POSSIBLE_YEAR} and {LAST_POSSIBLE_YEAR}, not {text!r}."
        )
    return int(text)


def _dimensions(params: Mapping, measure: str) -> tuple[str, ...]:
    """`by` as a list of dimensions: `by=year,location` (or `by` repeated). The outcomes endpoint always
    splits by outcome, so `outcome` is added there if not asked for."""
    raw = params.getlist("by") if hasattr(params, "getlist") else [params.get("by", "")]
    by = tuple(part.strip() for value in raw for part in value.split(",") if part.strip())
    if not by and measure == HIRES:
        by = ("year",)
    for dimension in by:
        if dimension not in DIMENSIONS:
            raise StatsParameterError(
                "by", f"by: unknown dimension {dimension!r}; choose from {', '.join(DIMENSIONS)}."
            )
    if len(set(by)) != len(by):
        raise StatsParameterError("by", "by: a dimension is repeated.")
    if measure == HIRES and "outcome" in by:
        raise StatsParameterError("by", "by: outcome is a dimension of /api/v1/stats/outcomes/, not of hires.")
    if measure == OUTCOMES and "outcome" not in by:
        by = (*by, "outcome")
    if len(by) > MAX_DIMENSIONS:
        raise StatsParameterError("by", f"by: at most {MAX_DIMENSIONS} dimensions, not {len(by)}.")
    return by


def parse_query(params: Mapping, measure: str, default_year_basis: str = "calendar") -> StatsQuery:
    """Check every parameter, naming the first one at fault."""
    for name in params:
        if name not in PARAMETERS and name not in IGNORED_PARAMETERS:
            raise StatsParameterError(name, f"{name} is not a parameter of this endpoint; use {', '.join(PARAMETERS)}.")
    by = _dimensions(params, measure)

    reference = snapshot()  # codes as stored, matched ignoring case, without a query (schemes/reference.py)
    scheme_code = _single(params, "scheme") or None
    if scheme_code is not None:
        scheme = reference.scheme_code(scheme_code)
        if scheme is None:
            raise StatsParameterError("scheme", f"scheme: there is no scheme {scheme_code!r}.")
        scheme_code = scheme

    organisation_code = _single(params, "organisation") or None
    if organisation_code is not None:
        organisation = reference.organisation_code(organisation_code)
        if organisation is None:
            raise StatsParameterError("organisation", f"organisation: there is no organisation {organisation_code!r}.")
        organisation_code = organisation

    year_basis = _single(params, "year_basis") or default_year_basis
    if year_basis not in YEAR_BASES:
        raise StatsParameterError(
            "year_basis", f"year_basis must be one of {', '.join(YEAR_BASES)}, not {year_basis!r}."
        )

    first_year, last_year = _year(params, "from"), _year(params, "to")
    if first_year is not None and last_year is not None and first_year > last_year:
        raise StatsParameterError(
            "from", f"from ({first_year}) is after to ({last_year}): the range is the wrong way round."
        )

    exact_text = (_single(params, "exact") or "false").lower()
    if exact_text not in TRUE_WORDS + FALSE_WORDS:
        raise StatsParameterError("exact", f"exact must be true or false, not {exact_text!r}.")
    return StatsQuery(
        measure, by, scheme_code, organisation_code, year_basis, first_year, last_year, exact_text in TRUE_WORDS
    )


def check_exact_allowed(query: StatsQuery, user) -> None:
    """Exact counts: only staff who work with the records of the organisation asked about, never API clients."""
    if not query.exact:
        return
    if query.organisation is None:
        raise StatsParameterError(
            "organisation", "exact counts are only given for one organisation: add organisation=."
        )
    if user.is_superuser:
        return
    if Membership.objects.filter(user=user, role=Role.API).exists():
        raise StatsParameterError("exact", "exact: API clients get disclosure-controlled counts only.", status=403)
    organisation = Organisation.objects.get(code=query.organisation)
    if organisation.pk not in Membership.objects.organisation_ids(user, RECORD_ROLES):
        raise StatsParameterError(
            "organisation", f"organisation: exact counts are only for staff of {organisation.code}.", status=403
        )


def check_level(query: StatsQuery, level: StatisticsLevel) -> None:
    """A disclosure-controlled answer only for a scope of the user's level (decision 0053): a missing scope
    parameter the level needs is a 400, a scope the level does not give is a 403, each naming the parameter."""
    why = "so that no answer can be subtracted from another to give a hidden count away"
    for parameter, asked, split, each, together in (
        ("organisation", query.organisation, level.organisations, "organisation by organisation", "all organisations"),
        ("scheme", query.scheme, level.schemes, "scheme by scheme", "all schemes"),
    ):
        if split == Split.EACH and asked is None:
            raise StatsParameterError(
                parameter,
                f"{parameter}: your statistics are published {each} ({level.describe()}); add {parameter}=, "
                f"as figures for {together} together are not given to the same client, {why}.",
            )
        if split == Split.ALL and asked is not None:
            raise StatsParameterError(
                parameter,
                f"{parameter}: your statistics are for {together} together ({level.describe()}); leave out "
                f"{parameter}=, as one {parameter}'s figures are not given to the same client, {why}.",
                status=403,
            )
    if query.year_basis != level.year_basis:
        raise StatsParameterError(
            "year_basis",
            f"year_basis: your statistics are in {level.year_basis} years ({level.describe()}); the same hires "
            f"counted in {query.year_basis} years are not given to the same client, {why}.",
            status=403,
        )


@dataclass(frozen=True)
class PublishedFamily:
    """What the FOI pack for a scope over all years publishes: each table's shown numbers (None = hidden),
    margins included. Only shown numbers are kept, so not even the cache holds a hidden count."""

    years: tuple[int, ...]
    categories: dict[str, tuple[str, ...]]
    tables: dict[tuple[str, ...], dict[tuple, int | None]]

    def table_for(self, dimensions: set[str]) -> tuple[str, ...] | None:
        """The smallest table whose dimensions include `dimensions` (its margins are published too)."""
        fitting = [dims for dims in self.tables if dimensions <= set(dims)]
        return min(fitting, key=len) if fitting else None

    def value(self, fixed: dict[str, str]) -> int | None:
        """The published number for some categories fixed (the rest totalled); None if hidden."""
        if "year" in fixed and fixed["year"] not in self.categories.get("year", ()):
            return 0  # a year outside the family has no hires in scope: a true zero
        dims = self.table_for(set(fixed))
        return self.tables[dims][tuple(fixed.get(dim, TOTAL) for dim in dims)]


def published_shapes(measure: str) -> list[tuple[str, ...]]:
    """Every `by` a disclosure-controlled answer can have: the pack's tables and their margins."""
    shapes: list[tuple[str, ...]] = []
    for spec in PACK_TABLES:
        if ("outcome" in spec.dimensions) != (measure == OUTCOMES):
            continue
        for size in range(1, len(spec.dimensions) + 1):
            for shape in itertools.combinations(spec.dimensions, size):
                if shape not in shapes and (measure == HIRES or "outcome" in shape):
                    shapes.append(shape)
    return shapes


def published_family(scheme: str | None, organisation: str | None, year_basis: str, rule: Rule) -> PublishedFamily:
    """The protected family for a scope, cached until records change."""

    def compute() -> PublishedFamily:
        scope = Scope(scheme=scheme, organisation=organisation, year_basis=year_basis)
        breakdowns, protected, _ = protected_pack_tables(scope, rule)
        categories: dict[str, tuple[str, ...]] = {}
        tables: dict[tuple[str, ...], dict[tuple, int | None]] = {}
        for table in protected:
            categories.update(table.breakdown.categories)
            tables[table.dimensions] = {tuple(key): table.value(key) for key in table_keys(table.breakdown)}
        years = tuple(int(label[:4]) for label in categories.get("year", ()))
        return PublishedFamily(years, categories, tables)

    key = f"family:{scheme}:{organisation}:{year_basis}:{rule.threshold}:{rule.rounding_base}"
    return cached(key, compute)


def _year_label(year: int, year_basis: str) -> str:
    return f"{year}-{(year + 1) % 100:02d}" if year_basis == "financial" else str(year)


def answer_published(query: StatsQuery, rule: Rule) -> dict:
    """The disclosure-controlled answer: rows and total read off the scope's protected family."""
    if query.organisation is not None:
        parent = snapshot().parent_code(query.organisation)
        if parent is not None:
            raise StatsParameterError(
                "organisation",
                f"organisation: published statistics are for whole organisations; {query.organisation} is part of "
                f"{parent}, so ask for {parent} (a part could be worked out by subtracting the rest).",
            )
    family = published_family(query.scheme, query.organisation, query.year_basis, rule)
    if family.table_for(set(query.by)) is None:
        raise StatsParameterError(
            "by",
            "by: published statistics come as the FOI pack's tables and their totals; choose from "
            f"{'; '.join(','.join(shape) for shape in published_shapes(query.measure))}.",
        )
    restricted = query.first_year is not None or query.last_year is not None
    first = query.first_year if query.first_year is not None else min(family.years, default=query.last_year)
    last = query.last_year if query.last_year is not None else max(family.years, default=query.first_year)
    years = list(range(first, last + 1)) if restricted and first is not None and last is not None else []
    # A range that leaves out some of the family's years: figures over it are sums of published yearly figures.
    slicing = restricted and not set(family.years) <= set(years)
    if slicing and "year" not in query.by and family.table_for({*query.by, "year"}) is None:
        raise StatsParameterError(
            "from", f"from/to: {','.join(query.by)} is only published over all years; add year to by, or drop from/to."
        )

    def figure(fixed: dict[str, str]) -> int | None:
        if not slicing or "year" in fixed:
            return family.value(fixed)
        inside = [family.value({**fixed, "year": _year_label(year, query.year_basis)}) for year in years]
        if None not in inside:
            return sum(inside)
        # Equally derived from published numbers: the all-years figure less the years outside the range.
        every_year = family.value(fixed)
        outside = [
            family.value({**fixed, "year": _year_label(year, query.year_basis)})
            for year in family.years
            if year not in years
        ]
        return None if every_year is None or None in outside else every_year - sum(outside)

    row_categories = [
        [_year_label(year, query.year_basis) for year in years]
        if dim == "year" and restricted
        else family.categories[dim]
        for dim in query.by
    ]
    rows = []
    for combination in itertools.product(*row_categories):
        fixed = dict(zip(query.by, combination, strict=True))
        rows.append(_row(fixed, figure(fixed)))
    total = figure({})
    return _response(query, rows, total, rule)


def answer_exact(query: StatsQuery) -> dict:
    """Exact counts (for staff of the organisation, already checked), straight from the breakdown service."""

    def compute() -> dict:
        scope = Scope(
            scheme=query.scheme,
            organisation=query.organisation,
            year_basis=query.year_basis,
            first_year=query.first_year,
            last_year=query.last_year,
        )
        count = count_outcomes if query.measure == OUTCOMES else count_hires
        breakdown = count(scope, query.by)
        return _response(query, breakdown.rows(), breakdown.total, None)

    return cached(query.cache_key(), compute)


def _row(fixed: dict, count: int | None) -> dict:
    row = {**fixed, "count": count}
    if count is None:
        row["suppressed"] = True
    return row


def _response(query: StatsQuery, rows: list[dict], total: int | None, rule: Rule | None) -> dict:
    return {
        "by": list(query.by),
        "year_basis": query.year_basis,
        "threshold": rule.threshold if rule else None,
        "exact": rule is None,
        "rule": rule.describe() if rule else None,
        "rows": rows,
        "total": {"count": total} if total is not None else {"count": None, "suppressed": True},
    }


def answer(params: Mapping, measure: str, user) -> dict:
    """The statistics a user asked for: exact if they may and asked, disclosure-controlled (for a scope of
    their level) otherwise. Raises StatsParameterError naming the parameter at fault."""
    level = StatisticsLevel.for_user(user)
    query = parse_query(params, measure, default_year_basis=level.year_basis)
    check_exact_allowed(query, user)
    if query.exact:
        return answer_exact(query)
    if not user.is_superuser:  # who sees every record exactly gains nothing by differencing
        check_level(query, level)
    return answer_published(query, Rule.from_settings())
