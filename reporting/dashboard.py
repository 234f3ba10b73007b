"""The figures of the managers' dashboards (/dashboard/): counted in the database, for one user and filters.

Two kinds of figure, each from its own home (docs/decisions/0080-managers-dashboards.md):

- *Your figures*: exact counts over the records the user may see (`placements.access.restrict` with
  Action.VIEW: a manager's own organisations and their units, a scheme administrator's schemes across
  organisations), as the admin's lists show them. These are the user's own records, so nothing is hidden.
- *All organisations together*: read off the scope's published family (reporting/publication.py), released
  to the dashboard through the register's joint audit once per distinct content (`release_family`), so a
  suppressed value is None (shown `[c]`, never 0) and the dashboards, the FOI pack and the API never disagree.

Each page's exact figures are one GROUP BY (or one aggregate) query, whatever the number of records, cached
under the records version keyed by the query's own SQL (so the user's scope and the filters are part of the
key, as for `placements.caching.cached_count`).

Definitions are those of reporting/breakdowns.py (a hire is a placement that started, on or before today; its
year is that of its start; its outcome its latest recorded one), plus those in `DEFINITIONS` below, which the
pages' "About this data" repeat.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

from django.conf import settings
from django.db.models import BooleanField, Case, Count, DateField, F, Func, IntegerField, Q, Value, When
from django.http import QueryDict
from django.utils import timezone

from placements.access import Access, Action, restrict
from placements.choices import OutcomeCode
from placements.filtersets import PlacementFilterSet
from schemes.models import Grade, Location, Organisation, Scheme, Target
from schemes.reference import snapshot

from .api.statistics import HIRES, StatsParameterError, parse_query
from .breakdowns import BreakdownError, ResolvedScope, Scope, hires
from .caching import cached
from .dimensions import DIMENSIONS, NO_OUTCOME, OUTCOME_LABELS, year_label, year_of_date
from .models import ReleaseKind
from .publication import PublishedFamily, family_table_for, release_family
from .targets import HIRING_KINDS, Progress, progress

SCOPE_PARAMETERS = ("scheme", "organisation", "year_basis", "from", "to")  # the statistics API's own
RECORD_PARAMETERS = ("location", "grade")  # the records API's (placements.filtersets.PlacementFilterSet)
PARAMETERS = (*SCOPE_PARAMETERS, *RECORD_PARAMETERS)
IN_POST_MONTHS = (6, 12, 18)
# Outcomes after which a person is no longer in the post they started in.
LEFT_POST = (
    OutcomeCode.TRANSFERRED,
    OutcomeCode.COMPLETED_EET,
    OutcomeCode.COMPLETED_NOT_EET,
    OutcomeCode.PROBATION_FAILED,
    OutcomeCode.LEFT_EARLY,
)
HEADLINE_OUTCOMES = (
    OutcomeCode.PERMANENT,
    OutcomeCode.TRANSFERRED,
    OutcomeCode.PROBATION_FAILED,
    OutcomeCode.LEFT_EARLY,
)
# Where a cohort's starters are now: the groups of latest outcomes the outcomes page shows, in order.
WHERE_NOW = (
    ("Still in post", (OutcomeCode.IN_POST, OutcomeCode.EXTENDED)),
    ("Made permanent", (OutcomeCode.PERMANENT,)),
    ("Transferred to another department", (OutcomeCode.TRANSFERRED,)),
    ("Completed", (OutcomeCode.COMPLETED_EET, OutcomeCode.COMPLETED_NOT_EET)),
    ("Did not pass probation", (OutcomeCode.PROBATION_FAILED,)),
    ("Left early", (OutcomeCode.LEFT_EARLY,)),
    ("Not known or not recorded", (OutcomeCode.UNKNOWN, "")),
)

DEFINITIONS = {
    "Hires": "Placements that started in the period (on or before today), counted by start date. Offers not yet "
    "started, and offers withdrawn before a start, are not hires. A person who started two placements is two hires.",
    "People": "Different care leavers among those hires (a person with two placements is one person).",
    "Median days from offer to start": "Half the hires waited fewer days than this from the offer date to the "
    "start date, and half more. Hires with no offer date recorded are left out.",
    "Made permanent, transferred, did not pass probation, left early": "Hires whose latest recorded outcome, "
    "as at today, is that outcome. A hire is counted once, under its latest outcome.",
    "Still in post at 6, 12 and 18 months": "Of the hires that started at least that many months before today, "
    "those who had not left the post by then: no end date and no leaving outcome (transferred, completed, did "
    "not pass probation, left early) dated before then. Made permanent counts as still in post.",
    "Conversion to permanent": "Hires whose latest outcome is made permanent, out of the hires of the same year "
    "that started at least 12 months before today (the length of a CLIS internship).",
    "All organisations together": "The same figure for every organisation's hires, as published: small counts "
    "are hidden (shown [c]) to protect the people counted, exactly as in the FOI pack and the statistics API. "
    "Only counts of hires and of latest outcomes are published, so medians and in-post rates are not.",
}


class FilterError(ValueError):
    """Filters the dashboards refuse: `errors` maps each parameter at fault to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Filters:
    """What a dashboard page is about. `scope` holds the scheme, organisation and year basis (looked up) and the
    years as asked (either may be None); `first_year`..`last_year` is the period the figures cover."""

    scope: ResolvedScope
    location: str | None  # a location's name
    grade: str | None  # a grade's code
    first_year: int
    last_year: int
    params: tuple[tuple[str, str], ...] = ()  # the parameters given, as given (for links and downloads)

    @property
    def year_basis(self) -> str:
        return self.scope.year_basis

    def label(self, year: int) -> str:
        return year_label(year, self.year_basis)

    @property
    def period_label(self) -> str:
        first, last = self.label(self.first_year), self.label(self.last_year)
        return first if first == last else f"{first} to {last}"

    @property
    def previous(self) -> tuple[int, int] | None:
        """The period of the same length just before, if hires are counted that far back."""
        length = self.last_year - self.first_year + 1
        first = self.first_year - length
        return None if first < settings.PUBLISHED_FIRST_YEAR else (first, self.first_year - 1)

    @property
    def previous_label(self) -> str | None:
        if self.previous is None:
            return None
        first, last = (self.label(year) for year in self.previous)
        return first if first == last else f"{first} to {last}"

    @property
    def query_string(self) -> str:
        query = QueryDict(mutable=True)
        for name, value in self.params:
            query[name] = value
        return query.urlencode()

    def describe(self) -> str:
        """The filters in words, for a download's cover and a page's caption."""
        parts = [
            f"Scheme: {self.scope.scheme or 'all schemes'}",
            f"Organisation: {self.scope.organisation or 'all you can see'}",
        ]
        if self.location:
            parts.append(f"Location: {self.location}")
        if self.grade:
            parts.append(f"Grade: {self.grade}")
        basis = "financial years (1 April to 31 March)" if self.year_basis == "financial" else "calendar years"
        parts.append(f"Period: {self.period_label}, {basis}")
        return "; ".join(parts)


def parse_filters(params: Mapping, today: datetime.date | None = None) -> Filters:
    """The filters of a dashboard page's GET parameters, checked as the statistics API checks its own
    (`parse_query`: scheme, organisation, year_basis, from, to) and the records API its location and grade
    (`PlacementFilterSet`); unknown parameters are ignored, as a page's links may carry others. Raises
    FilterError naming every parameter at fault. Without years, the period is the current year."""
    today = today or timezone.localdate()
    given = {name: params.get(name, "").strip() for name in PARAMETERS if params.get(name, "").strip()}
    errors: dict[str, str] = {}
    scope_params = {name: given[name] for name in SCOPE_PARAMETERS if name in given}
    scope = None
    # Each parameter on its own first, so that every one at fault is named; then all together (which also
    # finds a range the wrong way round).
    for part in [*({name: value} for name, value in scope_params.items()), scope_params]:
        try:
            scope = parse_query(part, HIRES).scope
        except (StatsParameterError, BreakdownError) as error:
            message = error.message if isinstance(error, StatsParameterError) else str(error).split(": ", 1)[-1]
            errors.setdefault(error.parameter, message)
    records = PlacementFilterSet({name: given[name] for name in RECORD_PARAMETERS if name in given})
    if not records.is_valid():
        for name, messages in records.errors.items():
            errors[name] = f"{given.get(name, '')!r} is not a known {name}: " + " ".join(messages)
    if errors:
        raise FilterError(errors)
    current = year_of_date(today, scope.year_basis)
    first = scope.first_year if scope.first_year is not None else (scope.last_year or current)
    last = scope.last_year if scope.last_year is not None else max(first, current)
    location = records.form.cleaned_data.get("location")
    grade = records.form.cleaned_data.get("grade")
    return Filters(
        scope=scope,
        location=location.name if location else None,
        grade=grade.code if grade else None,
        first_year=first,
        last_year=last,
        params=tuple(given.items()),
    )


# Database expressions ----------------------------------------------------------------------------------------


class DaysBetween(Func):
    """`later - earlier` in whole days: PostgreSQL subtracts two dates to an integer; SQLite (`make run`'s
    default database) through Julian day numbers."""

    template = "(%(expressions)s)"
    arg_joiner = " - "
    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="CAST(julianday(%(expressions)s) AS INTEGER)", arg_joiner=") - julianday("
        )


class MonthsAfter(Func):
    """A date `months` calendar months after a date column (PostgreSQL's interval arithmetic; SQLite's
    date modifiers)."""

    output_field = DateField()

    def __init__(self, expression, months: int):
        super().__init__(expression)
        self.months = int(months)

    def as_sql(self, compiler, connection, **extra):
        template = f"(%(expressions)s + interval '{self.months} months')::date"
        return super().as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template=f"date(%(expressions)s, '+{self.months} months')")


def median_of(histogram: Mapping[int, int]) -> float | None:
    """The median of values given as {value: how many}: the middle value, or the mean of the two middle ones."""
    total = sum(histogram.values())
    if not total:
        return None
    lower_rank, upper_rank = (total - 1) // 2, total // 2  # the middle value's place (two for an even count)
    lower, seen = None, 0
    for value in sorted(histogram):
        seen += histogram[value]
        if lower is None and seen > lower_rank:
            lower = value
        if seen > upper_rank:
            return (lower + value) / 2
    raise AssertionError("unreachable: the last value's count reaches the total")


def months_before(day: datetime.date, months: int) -> datetime.date:
    """The day `months` calendar months before `day` (the last day of the month where it has no such day)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    for candidate in range(day.day, 27, -1):
        try:
            return datetime.date(year, month, candidate)
        except ValueError:
            continue
    return datetime.date(year, month, min(day.day, 28))


def in_post_at(months: int, today: datetime.date) -> tuple[Q, Q]:
    """(reached, in post): hires that started at least `months` months before today, and those of them who
    had not left the post by then (no end date and no leaving outcome dated before then)."""
    reached = Q(started_on__lte=months_before(today, months))
    then = MonthsAfter(F("started_on"), months)
    left = Q(ended_on__lt=then) | Q(latest_outcome__in=LEFT_POST, latest_outcome_on__lt=then)
    return reached, reached & ~left


# The user's own records -------------------------------------------------------------------------------------


def visible_placements(user, filters: Filters, first_year: int | None, last_year: int | None):
    """The hires of the filters' scope over some years that the user may see, narrowed by location and grade
    through the records API's FilterSet."""
    scope = replace(filters.scope, first_year=first_year, last_year=last_year)
    queryset = restrict(hires(scope), user, Action.VIEW)
    data = {name: value for name, value in (("location", filters.location), ("grade", filters.grade)) if value}
    return PlacementFilterSet(data, queryset=queryset).qs if data else queryset


def _cached_rows(name: str, queryset, compute):
    """`compute()` cached under the records version, keyed by the query's SQL (which holds the user's scope
    and the filters)."""
    sql, params = queryset.query.sql_with_params()
    digest = hashlib.sha256(repr((queryset.db, sql, params)).encode()).hexdigest()
    return cached(f"dashboard:{name}:{digest}", compute)


@dataclass(frozen=True)
class PeriodFigures:
    """The exact figures of one period over the user's records."""

    hires: int
    people: int
    median_wait: float | None
    outcomes: dict[str, int]  # latest outcome code -> hires
    reached: dict[int, int]  # months -> hires that started at least that long ago
    in_post: dict[int, int]  # months -> of those, still in post then


def _period_aggregates(prefix: str, period: Q, today: datetime.date) -> dict:
    aggregates = {
        f"{prefix}hires": Count("pk", filter=period),
        f"{prefix}people": Count("candidate_id", distinct=True, filter=period),
    }
    for code in HEADLINE_OUTCOMES:
        aggregates[f"{prefix}outcome_{code}"] = Count("pk", filter=period & Q(latest_outcome=code))
    for months in IN_POST_MONTHS:
        reached, in_post = in_post_at(months, today)
        aggregates[f"{prefix}reached_{months}"] = Count("pk", filter=period & reached)
        aggregates[f"{prefix}in_post_{months}"] = Count("pk", filter=period & in_post)
    return aggregates


def _period_figures(row: dict, prefix: str, waits: Mapping[int, int]) -> PeriodFigures:
    return PeriodFigures(
        hires=row[f"{prefix}hires"],
        people=row[f"{prefix}people"],
        median_wait=median_of(waits),
        outcomes={code: row[f"{prefix}outcome_{code}"] for code in HEADLINE_OUTCOMES},
        reached={months: row[f"{prefix}reached_{months}"] for months in IN_POST_MONTHS},
        in_post={months: row[f"{prefix}in_post_{months}"] for months in IN_POST_MONTHS},
    )


def _year_range(scope: ResolvedScope, first_year: int, last_year: int) -> Q:
    first_day, last_day = replace(scope, first_year=first_year, last_year=last_year).date_range()
    return Q(started_on__gte=first_day, started_on__lte=last_day)


@dataclass(frozen=True)
class Headlines:
    current: PeriodFigures
    previous: PeriodFigures | None


def headlines(user, filters: Filters, today: datetime.date | None = None) -> Headlines:
    """This period's and the previous period's exact figures over the user's records: one aggregate query, and
    one GROUP BY the days waited (a histogram: as many rows as distinct waits, never one per record) for the
    medians."""
    today = today or timezone.localdate()
    previous = filters.previous
    first = previous[0] if previous else filters.first_year
    queryset = visible_placements(user, filters, first, filters.last_year)
    now = _year_range(filters.scope, filters.first_year, filters.last_year)
    aggregates = _period_aggregates("now_", now, today)
    if previous:
        aggregates |= _period_aggregates("before_", _year_range(filters.scope, *previous), today)
    waits = (
        queryset.filter(offered_on__isnull=False, offered_on__lte=F("started_on"))
        .values(
            now=Case(When(now, then=Value(True)), default=Value(False), output_field=BooleanField()),
            days=DaysBetween(F("started_on"), F("offered_on")),
        )
        .annotate(hires=Count("pk"))
        .order_by()
        .values_list("now", "days", "hires")
    )

    def compute() -> Headlines:
        row = queryset.aggregate(**aggregates)
        histograms: dict[bool, dict[int, int]] = {True: {}, False: {}}
        for in_period, days, count in waits:
            histograms[bool(in_period)][days] = count
        return Headlines(
            _period_figures(row, "now_", histograms[True]),
            _period_figures(row, "before_", histograms[False]) if previous else None,
        )

    return _cached_rows(f"headlines:{today}:{previous}", queryset, compute)


@dataclass(frozen=True)
class CohortRow:
    """One year's starters over the user's records: their number, where they are now, and in post at N months."""

    year: str
    hires: int
    people: int
    where_now: dict[str, int]  # WHERE_NOW label -> hires
    reached: dict[int, int]
    in_post: dict[int, int]
    reached_year: int  # started at least 12 months ago (the base of conversion to permanent)
    permanent_of_reached: int

    @property
    def conversion(self) -> float | None:
        """Made permanent, as a share of those who started at least 12 months ago."""
        return self.permanent_of_reached / self.reached_year if self.reached_year else None


def cohorts(user, filters: Filters, first_year: int | None = None, today: datetime.date | None = None):
    """Each start year's cohort of the user's hires, from `first_year` (the filters' first year by default) to
    the filters' last year: ONE GROUP BY the year of start."""
    today = today or timezone.localdate()
    first_year = filters.first_year if first_year is None else first_year
    queryset = visible_placements(user, filters, first_year, filters.last_year)
    aggregates = {"hires": Count("pk"), "people": Count("candidate_id", distinct=True)}
    for position, (_, codes) in enumerate(WHERE_NOW):
        aggregates[f"now_{position}"] = Count("pk", filter=Q(latest_outcome__in=codes))
    for months in IN_POST_MONTHS:
        reached, in_post = in_post_at(months, today)
        aggregates[f"reached_{months}"] = Count("pk", filter=reached)
        aggregates[f"in_post_{months}"] = Count("pk", filter=in_post)
    reached_year, _ = in_post_at(12, today)
    aggregates["permanent_of_reached"] = Count("pk", filter=reached_year & Q(latest_outcome=OutcomeCode.PERMANENT))
    grouped = (
        queryset.values(start_year=DIMENSIONS["year"].group_by(filters.scope, None))
        .annotate(**aggregates)
        .order_by("start_year")
    )

    def compute() -> list[CohortRow]:
        by_year = {row["start_year"]: row for row in grouped}
        rows = []
        for year in range(first_year, filters.last_year + 1):
            row = by_year.get(year)
            if row is None:
                if not rows:  # years before the first hire are left out
                    continue
                row = dict.fromkeys(aggregates, 0)
            rows.append(
                CohortRow(
                    year=filters.label(year),
                    hires=row["hires"],
                    people=row["people"],
                    where_now={label: row[f"now_{i}"] for i, (label, _) in enumerate(WHERE_NOW)},
                    reached={months: row[f"reached_{months}"] for months in IN_POST_MONTHS},
                    in_post={months: row[f"in_post_{months}"] for months in IN_POST_MONTHS},
                    reached_year=row["reached_12"],
                    permanent_of_reached=row["permanent_of_reached"],
                )
            )
        return rows

    return _cached_rows(f"cohorts:{today}:{first_year}", grouped, compute)


# All organisations together (published) ------------------------------------------------------------------------


NOT_PUBLISHED = "not published"


@dataclass(frozen=True)
class National:
    """The scope's published family as released to the dashboard; figures read off it are None where hidden."""

    family: PublishedFamily
    filters: Filters

    @cached_property
    def labels(self) -> list[str]:
        return [self.filters.label(year) for year in range(self.filters.first_year, self.filters.last_year + 1)]

    @property
    def symbol(self) -> str:
        return self.family.rule.symbol

    def _fixed(self) -> dict[str, str]:
        fixed = {}
        if self.filters.location:
            fixed["location"] = self.filters.location
        if self.filters.grade:
            fixed["grade"] = _band_code(self.filters.grade)
        return fixed

    def figure(self, extra: Mapping[str, str] | None = None, labels: list[str] | None = None) -> int | None | str:
        """The published number for the filters (with `extra` categories fixed) over the period's years (or
        `labels`): an int, None where hidden, or NOT_PUBLISHED where no published table holds it."""
        fixed = {**self._fixed(), **(extra or {})}
        if family_table_for({*fixed, "year"}) is None:
            return NOT_PUBLISHED
        for dimension, category in fixed.items():
            if category not in self.family.categories.get(dimension, ()):
                return 0  # no hire anywhere in any year has it: a true zero
        labels = labels or self.labels
        known = [label for label in labels if label in self.family.categories["year"]]
        if not known:
            return 0
        return self.family.figure(fixed, known)

    def hires(self, labels: list[str] | None = None):
        return self.figure(labels=labels)

    def outcome(self, code: str, labels: list[str] | None = None):
        return self.figure({"outcome": OUTCOME_LABELS.get(code, NO_OUTCOME)}, labels)

    def describe_rule(self) -> str:
        return self.family.rule.describe()

    @property
    def when(self) -> str:
        """When these figures were counted, in words: they are released once a quarter (decision 0081)."""
        counted = timezone.localtime(self.family.counted_at)
        return (
            f"All organisations together: the figures as counted on {counted:%-d %B %Y}, when they were first "
            "shown this quarter; they are published once a quarter, so they can be behind your own figures."
        )


def _band_code(grade_code: str) -> str:
    """The common grade a grade counts as in published tables (an organisation's own grade: its band)."""
    grade = Grade.objects.filter(code=grade_code).select_related("band").first()
    return grade.band.code if grade and grade.band_id else grade_code


def national(filters: Filters, user=None) -> National:
    """All organisations' published figures for the filters' scheme and year basis: the all-years family,
    released to the dashboard (recorded once per distinct content, after the joint audit)."""
    scope = Scope(scheme=filters.scope.scheme, year_basis=filters.year_basis)
    family = release_family(ReleaseKind.DASHBOARD, scope, by=user)
    return National(family, filters)


# Pledges and targets -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetRow:
    target: Target
    progress: Progress

    @property
    def period_words(self) -> str:
        period = self.target.period
        if "-" in period:
            first = int(period[:4])
            return f"the financial year {period} (1 April {first} to 31 March {first + 1})"
        return f"the calendar year {period}"

    @property
    def sentence(self) -> str:
        """The target as a committee report states it."""
        target = self.target
        kind = target.get_kind_display().lower()
        said = f"{target.organisation.name} set a {kind} of {target.number} hires on {target.scheme.name} for "
        said += f"{self.period_words}."
        actual = self.progress.actual
        if actual is None:
            return said + " Its hires are not all records you can see, so the count is not shown here."
        when = "" if self.progress.period_ended else " so far"
        verdict = {True: f"the {kind} was met", False: f"the {kind} was not met"}[bool(self.progress.met)]
        if not self.progress.met and not self.progress.period_ended:
            verdict = f"the {kind} is not yet met, with the period still running"
        return f"{said} {actual} started{when}: {verdict}."


def visible_targets(user, filters: Filters):
    """The pledges and targets on hiring of the organisations whose records the user sees (with their units)
    and of the schemes they administer, narrowed by the filters' scheme, organisation and years as asked."""
    access = Access(user)
    queryset = Target.objects.filter(kind__in=HIRING_KINDS).select_related("organisation", "scheme")
    if not access.everything:
        queryset = queryset.filter(
            Q(organisation_id__in=access.holder_ids(Action.VIEW))
            | Q(scheme__owner_id__in=access.owner_ids(Action.VIEW))
        )
    scope = filters.scope
    if scope.scheme_id is not None:
        queryset = queryset.filter(scheme_id=scope.scheme_id)
    if scope.organisation_id is not None:
        queryset = queryset.filter(organisation_id__in=scope.organisation_ids)
    if scope.first_year is not None or scope.last_year is not None:
        first = scope.first_year or settings.PUBLISHED_FIRST_YEAR
        last = scope.last_year or year_of_date(timezone.localdate(), "calendar") + 1
        # a period is named by its first year: `2024` (calendar) or `2024-25` (financial)
        periods = [label for year in range(first, last + 1) for label in (str(year), year_label(year, "financial"))]
        queryset = queryset.filter(period__in=periods)
    return queryset.order_by("organisation__name", "scheme__code", "period")


def target_rows(user, filters: Filters, today: datetime.date | None = None) -> list[TargetRow]:
    """Each visible target with its progress (exact only where the user sees every hire it counts, decision
    0044): the targets in one query, their hires in two grouped ones."""
    queryset = visible_targets(user, filters)

    def compute() -> list[TargetRow]:
        targets = list(queryset)
        progress_of = progress(targets, user, as_at=today)
        return [TargetRow(target, progress_of[target.pk]) for target in targets]

    # The targets' query names the organisations and schemes whose records the user sees, as `progress` counts.
    return _cached_rows(f"targets:{today}", queryset, compute)


@dataclass(frozen=True)
class Choices:
    """The filter form's options, from the reference data snapshot (no query)."""

    schemes: list[str] = field(default_factory=list)
    organisations: list[str] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)
    grades: list[str] = field(default_factory=list)


def filter_choices(user) -> Choices:
    """Every scheme, location and common grade; the organisations whose records the user sees (all of them for
    a scheme administrator or superuser, whose schemes run across organisations)."""
    reference = snapshot()
    access = Access(user)
    organisations = reference.codes(Organisation)
    if not (access.everything or access.owner_ids(Action.VIEW)):
        organisations = {pk: code for pk, code in organisations.items() if pk in access.holder_ids(Action.VIEW)}
    return Choices(
        schemes=sorted(reference.codes(Scheme).values(), key=str.lower),
        organisations=sorted(organisations.values(), key=str.lower),
        locations=sorted(reference.codes(Location).values(), key=str.lower),
        grades=sorted(reference.codes(Grade).values(), key=str.lower),
    )


def may_use_dashboards(user) -> bool:
    """HR staff, managers and scheme administrators (the roles that see their organisations' records), and
    superusers."""
    access = Access(user)
    return access.everything or bool(access.holder_ids(Action.VIEW))
