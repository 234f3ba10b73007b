"""Statistics for API clients: parameters checked, then answered with a slice of a published family.

The rule against differencing (docs/decisions/0050-statistics-api-differencing.md), in short:

- Only coarse filters exist: scheme, organisation (a whole organisation), year basis, and a range of whole
  years. There is no filter by location, grade, business unit or anything finer, so "all locations, then
  all but one" cannot be asked.
- For a scheme, organisation and year basis, every published number comes from ONE family: the FOI pack's
  tables for that scope over ALL years, protected together and audited (`reporting.publication`, the one
  publication path the FOI pack reads too). An answer is a slice of that family (`PublishedFamily.slice`): a
  year range only picks rows of it, and a figure over several years is derived from published yearly figures
  or hidden. So nothing published for a range says more than the family already says, and 2019-2024 minus
  2019-2023 gives back exactly the published 2024 figure, hidden if it was hidden.
- `by` may only ask for a table of that family or one of its margins, so two answers for the same scope can
  never come from differently protected tables.
- Exact counts (no suppression) only for staff of the organisation asked about, with `exact=true`.

Between scopes (docs/decisions/0053-statistics-levels.md): each user's disclosure-controlled answers come from
one `StatisticsLevel`, a set of scopes that never share a hire (each organisation or all together, each scheme
or all together, one year basis), so no answer can be subtracted from another of a different scope.

Every family answered from is a release in the register (`publication.record_answered`, decision 0071), so an
FOI pack made later is audited together with what API clients were given.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass

from placements.access import RECORD_ROLES
from reporting.breakdowns import ResolvedScope, Scope, check_dimensions, count_hires, count_outcomes, resolve
from reporting.caching import cached
from reporting.disclosure import Rule
from reporting.models import Split, StatisticsLevel
from reporting.publication import FAMILY_TABLES, Slice, family_table_for, published_family, record_answered
from schemes.choices import Role
from schemes.models import Membership

HIRES = "hires"
OUTCOMES = "outcomes"
PARAMETERS = ("by", "scheme", "organisation", "year_basis", "from", "to", "exact")
IGNORED_PARAMETERS = ("format",)  # DRF's content negotiation reads it
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
    scope: ResolvedScope  # codes as stored, and the years asked for
    exact: bool

    def cache_key(self) -> str:
        scope = self.scope
        parts = (scope.scheme, scope.organisation, scope.year_basis, scope.first_year, scope.last_year)
        return ":".join(str(part) for part in ("exact", self.measure, ",".join(self.by), *parts))


def _single(params: Mapping, name: str) -> str | None:
    values = params.getlist(name) if hasattr(params, "getlist") else [params[name]] if name in params else []
    if len(values) > 1:
        raise StatsParameterError(name, f"{name} is given {len(values)} times; give it once.")
    return values[0].strip() if values else None


def _year(params: Mapping, name: str) -> int | None:
    """A year as four digits; which years may be asked for is the scope's rule (breakdowns.Scope)."""
    text = _single(params, name)
    if text is None or text == "":
        return None
    if not re.fullmatch(r"[0-9]{4}", text):
        raise StatsParameterError(name, f"{name} must be a year of four digits, like 2019, not {text[:20]!r}.")
    return int(text)


def _dimensions(params: Mapping, measure: str) -> tuple[str, ...]:
    """`by` as a list of dimensions: `by=year,location` (or `by` repeated). The outcomes endpoint always
    splits by outcome, so `outcome` is added there if not asked for."""
    raw = params.getlist("by") if hasattr(params, "getlist") else [params.get("by", "")]
    by = tuple(part.strip() for value in raw for part in value.split(",") if part.strip())
    if not by and measure == HIRES:
        by = ("year",)
    if measure == HIRES and "outcome" in by:
        raise StatsParameterError("by", "by: outcome is a dimension of /api/v1/stats/outcomes/, not of hires.")
    if measure == OUTCOMES and "outcome" not in by:
        by = (*by, "outcome")
    return check_dimensions(by)


def parse_query(params: Mapping, measure: str, default_year_basis: str = "calendar") -> StatsQuery:
    """Check every parameter, naming the first one at fault (a StatsParameterError, or the BreakdownError of
    the scope: an unknown code, a year outside those published, a range the wrong way round)."""
    for name in params:
        if name not in PARAMETERS and name not in IGNORED_PARAMETERS:
            raise StatsParameterError(name, f"{name} is not a parameter of this endpoint; use {', '.join(PARAMETERS)}.")
    by = _dimensions(params, measure)
    exact_text = (_single(params, "exact") or "false").lower()
    if exact_text not in TRUE_WORDS + FALSE_WORDS:
        raise StatsParameterError("exact", f"exact must be true or false, not {exact_text[:20]!r}.")
    scope = Scope(
        scheme=_single(params, "scheme") or None,
        organisation=_single(params, "organisation") or None,
        year_basis=_single(params, "year_basis") or default_year_basis,
        first_year=_year(params, "from"),
        last_year=_year(params, "to"),
    )
    return StatsQuery(measure, by, resolve(scope), exact_text in TRUE_WORDS)


def check_exact_allowed(query: StatsQuery, user) -> None:
    """Exact counts: only staff who work with the records of the organisation asked about, never API clients."""
    if not query.exact:
        return
    if query.scope.organisation is None:
        raise StatsParameterError(
            "organisation", "exact counts are only given for one organisation: add organisation=."
        )
    if user.is_superuser:
        return
    if Membership.objects.filter(user=user, role=Role.API).exists():
        raise StatsParameterError("exact", "exact: API clients get disclosure-controlled counts only.", status=403)
    if query.scope.organisation_id not in Membership.objects.organisation_ids(user, RECORD_ROLES):
        raise StatsParameterError(
            "organisation", f"organisation: exact counts are only for staff of {query.scope.organisation}.", status=403
        )


def check_level(query: StatsQuery, level: StatisticsLevel) -> None:
    """A disclosure-controlled answer only for a scope of the user's level (decision 0053): a missing scope
    parameter the level needs is a 400, a scope the level does not give is a 403, each naming the parameter."""
    why = "so that no answer can be subtracted from another to give a hidden count away"
    scope = query.scope
    for parameter, asked, split, each, together in (
        ("organisation", scope.organisation, level.organisations, "organisation by organisation", "all organisations"),
        ("scheme", scope.scheme, level.schemes, "scheme by scheme", "all schemes"),
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
    if query.scope.year_basis != level.year_basis:
        raise StatsParameterError(
            "year_basis",
            f"year_basis: your statistics are in {level.year_basis} years ({level.describe()}); the same hires "
            f"counted in {query.scope.year_basis} years are not given to the same client, {why}.",
            status=403,
        )


def published_shapes(measure: str) -> list[tuple[str, ...]]:
    """Every `by` a disclosure-controlled answer can have: the family's tables and their margins."""
    shapes: list[tuple[str, ...]] = []
    for table in FAMILY_TABLES:
        if ("outcome" in table.dimensions) != (measure == OUTCOMES):
            continue
        for size in range(1, len(table.dimensions) + 1):
            for shape in itertools.combinations(table.dimensions, size):
                if shape not in shapes and (measure == HIRES or "outcome" in shape):
                    shapes.append(shape)
    return shapes


def answer_published(query: StatsQuery, rule: Rule, user=None) -> dict:
    """The disclosure-controlled answer: a slice of the scope's published family over all years, which is
    recorded in the release register (once for each family as published: a slice says no more than it)."""
    parent = query.scope.parent_organisation
    if parent is not None:
        raise StatsParameterError(
            "organisation",
            f"organisation: published statistics are for whole organisations; {query.scope.organisation} is part "
            f"of {parent}, so ask for {parent} (a part could be worked out by subtracting the rest).",
        )
    if family_table_for(query.by) is None:
        raise StatsParameterError(
            "by",
            "by: published statistics come as the FOI pack's tables and their totals; choose from "
            f"{'; '.join(','.join(shape) for shape in published_shapes(query.measure))}.",
        )
    family = published_family(query.scope.all_years(), rule)
    record_answered(family, by=user)
    return _response(query, family.slice(query.by, query.scope.first_year, query.scope.last_year), rule)


def answer_exact(query: StatsQuery) -> dict:
    """Exact counts (for staff of the organisation, already checked), straight from the breakdown service."""

    def compute() -> dict:
        count = count_outcomes if query.measure == OUTCOMES else count_hires
        return _response(query, Slice.exact(count(query.scope, query.by)), None)

    return cached(query.cache_key(), compute)


def _response(query: StatsQuery, answer: Slice, rule: Rule | None) -> dict:
    return {
        "by": list(query.by),
        "year_basis": query.scope.year_basis,
        "threshold": rule.threshold if rule else None,
        "exact": rule is None,
        "rule": rule.describe() if rule else None,
        "rows": answer.rows(),
        "total": answer.total_row(),
    }


def answer(params: Mapping, measure: str, user) -> dict:
    """The statistics a user asked for: exact if they may and asked, disclosure-controlled (for a scope of
    their level) otherwise. Raises StatsParameterError or BreakdownError naming the parameter at fault."""
    level = StatisticsLevel.for_user(user)
    query = parse_query(params, measure, default_year_basis=level.year_basis)
    check_exact_allowed(query, user)
    if query.exact:
        return answer_exact(query)
    if not user.is_superuser:  # who sees every record exactly gains nothing by differencing
        check_level(query, level)
    return answer_published(query, Rule.from_settings(), user)
