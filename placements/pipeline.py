"""Offers waiting to start: who is waiting, at which stage, for how long, when they last heard from us; how long
waits from offer to start run; and who needs a call (docs/decisions/0085-waiting-offers-and-contacts.md).

*Waiting* is the pipeline's own word for it (`status_expression`): offered on or before the day, and neither
started, ended nor withdrawn by then; the *stage* is that status (offered, pre-employment checks, cleared).
Every list starts from the records the user may see (`access.restrict`, Action.VIEW), and everything is counted
in the database: the waits' median and 90th percentile with PostgreSQL's `percentile_cont`, or with window
functions where there is none (SQLite), so no list of waits is ever sorted in Python.

What the page shows is kept under the records version (placements/caching.py, keyed by each query's SQL, which
holds the user's scope, the filters and the day): the waits' figures, and the waiting lists' counts and pages as
plain rows (`WaitingList`), never with a name in them (docs/decisions/0087).
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, replace

from django.conf import settings
from django.db import connections
from django.db.models import Count, F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.expressions import Window
from django.db.models.functions import RowNumber

from .access import Access, Action
from .caching import cached_count, cached_query
from .choices import PlacementStatus
from .models import Candidate, Contact

WAITING_STAGES = (PlacementStatus.OFFERED, PlacementStatus.CHECKS, PlacementStatus.CLEARED)
# The waits counted in the statistics: of the hires who started in this many days up to the day.
WAIT_STATISTICS_DAYS = 365
# The percentiles shown, as fractions (numerator, denominator): whole-number arithmetic on both databases.
MEDIAN = (1, 2)
NINETIETH = (9, 10)


class DaysBetween(Func):
    """Whole days from `earlier` to `later` (two dates), as an integer on PostgreSQL and SQLite alike."""

    arity = 2
    arg_joiner = " - "
    template = "(%(expressions)s)"
    output_field = IntegerField()

    def __init__(self, later, earlier, **extra):
        super().__init__(later, earlier, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="CAST(julianday(%(expressions)s) AS INTEGER)", arg_joiner=") - julianday("
        )


def waiting(placements: QuerySet, as_at: datetime.date) -> QuerySet:
    """The placements of `placements` waiting to start on `as_at`, with `status` (the stage), `days_waited`
    since the offer and `last_contact_method` (of the latest contact recorded), longest wait first."""
    latest_contact = Contact.objects.filter(placement=OuterRef("pk")).order_by("-contacted_on", "-pk")
    return (
        # Implied by the stages (not started by then), written out so an index can find them: placement_waiting.
        placements.filter(Q(started_on__isnull=True) | Q(started_on__gt=as_at), offered_on__lte=as_at)
        .with_status_in(WAITING_STAGES, as_at)
        .annotate(
            days_waited=DaysBetween(Value(as_at), F("offered_on")),
            last_contact_method=Subquery(latest_contact.values("method")[:1]),
        )
        .order_by("offered_on", "pk")
    )


@dataclass(frozen=True)
class WaitingOffer:
    """One waiting offer as the pipeline lists it: plain data, so a page of them can be kept in the shared cache.
    `name` is the candidate's, filled in only for a download or by `with_names`, never kept."""

    pk: int
    candidate_id: int
    reference: str
    organisation_id: int
    organisation: str  # code
    scheme_id: int
    scheme: str  # code
    scheme_owner_id: int | None
    status: str
    offered_on: datetime.date
    days_waited: int
    last_contact_on: datetime.date | None
    last_contact_method: str | None
    name: str | None = None


OFFER_FIELDS = (
    "pk",
    "candidate_id",
    "candidate__reference",
    "organisation_id",
    "organisation__code",
    "scheme_id",
    "scheme__code",
    "scheme__owner_id",
    "status",
    "offered_on",
    "days_waited",
    "last_contact_on",
    "last_contact_method",
)


def offer_rows(offers: QuerySet, names: bool = False) -> list[WaitingOffer]:
    """The rows of a `waiting` queryset (one query), with the candidates' names read in the same query when
    `names` is true (a download, whose rows are never kept)."""
    if not names:
        return [WaitingOffer(*row) for row in offers.values_list(*OFFER_FIELDS)]
    rows = offers.values_list(*OFFER_FIELDS, "candidate__given_name", "candidate__family_name")
    return [WaitingOffer(*row[:-2], name=f"{row[-2]} {row[-1]}".strip()) for row in rows]


def with_names(rows: list[WaitingOffer], access: Access) -> list[WaitingOffer]:
    """`rows` with the names the user may see (Action.VIEW_PERSONAL) read in one query; the others without."""
    personal = {
        row.candidate_id
        for row in rows
        if access.allows_ids(Action.VIEW_PERSONAL, row.organisation_id, row.scheme_owner_id)
    }
    if not personal:
        return rows
    names = {
        pk: f"{given} {family}".strip()
        for pk, given, family in Candidate.objects.filter(pk__in=personal).values_list(
            "pk", "given_name", "family_name"
        )
    }
    return [replace(row, name=names.get(row.candidate_id)) for row in rows]


class WaitingList:
    """The offers of a `waiting` queryset as a sequence a Paginator pages through: its count and each slice
    asked for are read once per records version and day, as `WaitingOffer` rows without names."""

    def __init__(self, offers: QuerySet):
        self.offers = offers

    def count(self) -> int:
        return cached_count(self.offers)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[WaitingOffer]:
        rows = self.offers[index]
        return cached_query("pipeline-offers", rows, lambda: offer_rows(rows))


@dataclass(frozen=True)
class KeepInTouch:
    """Who is due a call: waited more than `waited_days` with no contact recorded in the last `silent_days`."""

    waited_days: int
    silent_days: int

    @classmethod
    def from_settings(cls) -> KeepInTouch:
        return cls(settings.KEEP_IN_TOUCH_WAITED_DAYS, settings.KEEP_IN_TOUCH_SILENT_DAYS)

    def due(self, waiting_placements: QuerySet, as_at: datetime.date) -> QuerySet:
        """Of `waiting` placements, those due a contact on `as_at` (none recorded ever, or none since)."""
        quiet_since = as_at - datetime.timedelta(days=self.silent_days)
        return waiting_placements.filter(offered_on__lt=as_at - datetime.timedelta(days=self.waited_days)).filter(
            Q(last_contact_on__isnull=True) | Q(last_contact_on__lt=quiet_since)
        )


@dataclass(frozen=True)
class WaitFigures:
    """The waits of one group of hires: None for the figures when they are not shown to the user."""

    scheme_id: int | None  # None: all schemes
    organisation_id: int | None  # None: all organisations (of the filter)
    starts: int | None
    median: float | None
    ninetieth: float | None

    @property
    def shown(self) -> bool:
        return self.starts is not None


def _percentile_sql(rank: str, size: str, fraction: tuple[int, int]) -> str:
    """The continuous percentile (as PostgreSQL's `percentile_cont`) of a group's sorted waits, as a SUM over the
    group's rows: the wait at 0-based position p(n - 1), interpolated between the two rows around it."""
    numerator, denominator = fraction
    low = f"(({numerator} * ({size} - 1)) / {denominator})"  # whole-number division: the floor
    # `%%`: the statement goes with parameters, so the remainder's `%` is written doubled.
    part = f"((({numerator} * ({size} - 1)) %% {denominator}) * 1.0 / {denominator})"
    return (
        f"SUM(CASE WHEN {rank} - 1 = {low} THEN wait * (1.0 - {part}) "
        f"WHEN {rank} - 1 = {low} + 1 THEN wait * {part} ELSE 0 END)"
    )


# (name, the columns a group is made of): each scheme at each organisation, each scheme, each organisation.
GROUPINGS = (
    ("pair", ("scheme_id", "organisation_id")),
    ("scheme", ("scheme_id",)),
    ("organisation", ("organisation_id",)),
)


def _hires_waited(placements: QuerySet, as_at: datetime.date) -> QuerySet:
    first_day = as_at - datetime.timedelta(days=WAIT_STATISTICS_DAYS)
    return placements.filter(offered_on__isnull=False, started_on__gt=first_day, started_on__lte=as_at)


def wait_statistics(user, placements: QuerySet, as_at: datetime.date) -> list[WaitFigures]:
    """`count_wait_statistics`, kept under the records version and the day, keyed by the query of the hires it
    counts over the user's records (so by the user's scope, the filters and the day)."""
    visible = Access(user).restrict(_hires_waited(placements, as_at), Action.VIEW)
    return cached_query("pipeline-waits", visible, lambda: count_wait_statistics(user, placements, as_at))


def count_wait_statistics(user, placements: QuerySet, as_at: datetime.date) -> list[WaitFigures]:
    """Median and 90th percentile days from offer to start of the hires of `placements` (already filtered, not
    yet restricted) who started in the `WAIT_STATISTICS_DAYS` up to `as_at`: for each scheme at each
    organisation, each scheme across organisations, and each organisation across schemes, over the records the
    user may see. Two queries whatever the data.

    The figures are exact, so a group's are shown only when the user may see every hire it counts (the rule of
    docs/decisions/0044: the count over the user's records equals the count over all); otherwise they are None.
    Published, disclosure-controlled figures across organisations come from the statistics API."""
    visible = Access(user).restrict(_hires_waited(placements, as_at), Action.VIEW)
    waits = visible.annotate(wait=DaysBetween(F("started_on"), F("offered_on")))
    if connections[waits.db].vendor == "postgresql":
        rows = _percentiles_postgresql(waits)
    else:
        rows = _percentiles_portable(waits)
    every = Counter()
    for scheme_id, organisation_id, count in (
        _hires_waited(placements, as_at)
        .order_by()
        .values("scheme_id", "organisation_id")
        .annotate(count=Count("*"))  # not the id: placement_start_waits answers it from the index alone
        .values_list("scheme_id", "organisation_id", "count")
    ):
        for key in ((scheme_id, organisation_id), (scheme_id, None), (None, organisation_id)):
            every[key] += count
    figures = []
    for scheme_id, organisation_id, starts, median, ninetieth in rows:
        if every[scheme_id, organisation_id] == starts:
            figures.append(WaitFigures(scheme_id, organisation_id, starts, _days(median), _days(ninetieth)))
        else:
            figures.append(WaitFigures(scheme_id, organisation_id, None, None, None))
    return figures


def _percentiles_postgresql(waits: QuerySet) -> list[tuple]:
    """PostgreSQL's own `percentile_cont`, one sort per grouping set: about six times faster than the windows
    over a national scheme's year of hires (BENCHMARKS.md). Rows as `_percentiles_portable` gives them."""
    inner, params = waits.order_by().values("scheme_id", "organisation_id", "wait").query.sql_with_params()
    sets = ", ".join(f"({', '.join(columns)})" for _, columns in GROUPINGS)
    percentiles = ", ".join(
        f"percentile_cont({numerator / denominator}) WITHIN GROUP (ORDER BY wait)"
        for numerator, denominator in (MEDIAN, NINETIETH)
    )
    with connections[waits.db].cursor() as cursor:
        cursor.execute(
            f"SELECT scheme_id, organisation_id, COUNT(*), {percentiles} FROM ({inner}) AS waits "
            f"GROUP BY GROUPING SETS ({sets})",
            params,
        )
        return cursor.fetchall()


def _percentiles_portable(waits: QuerySet) -> list[tuple]:
    """The same continuous percentiles with `ROW_NUMBER()` and `COUNT(*)` windows, for SQLite (and any database
    with window functions): (scheme id or None, organisation id or None, hires, median, 90th percentile)."""
    windows = {}
    for name, columns in GROUPINGS:
        partition = [F(column) for column in columns]
        # Ties in the order need no breaking: equal waits give the percentile the same value whichever comes first.
        windows[f"rank_{name}"] = Window(RowNumber(), partition_by=partition, order_by=F("wait").asc())
        windows[f"size_{name}"] = Window(Count("*"), partition_by=partition)
    ranked = waits.annotate(**windows).order_by().values("scheme_id", "organisation_id", "wait", *windows)
    inner, params = ranked.query.get_compiler(using=ranked.db).as_sql()
    selects = []
    for name, columns in GROUPINGS:
        rank, size = f"rank_{name}", f"size_{name}"
        scheme = "scheme_id" if "scheme_id" in columns else "CAST(NULL AS INTEGER)"
        organisation = "organisation_id" if "organisation_id" in columns else "CAST(NULL AS INTEGER)"
        selects.append(
            f"SELECT {scheme} AS scheme_id, {organisation} AS organisation_id, MAX({size}) AS starts, "
            f"{_percentile_sql(rank, size, MEDIAN)} AS median, {_percentile_sql(rank, size, NINETIETH)} AS ninetieth "
            f"FROM waits GROUP BY {', '.join(columns)}"
        )
    with connections[ranked.db].cursor() as cursor:
        cursor.execute(f"WITH waits AS ({inner}) {' UNION ALL '.join(selects)}", params)
        return cursor.fetchall()


def _days(value) -> float:
    return round(float(value), 1)
