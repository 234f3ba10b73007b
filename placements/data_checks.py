"""Stored records judged by rules that came after them: which dates lie outside the date windows.

Every door now refuses a date outside its window (placements/rules.py, docs/decisions/0017), but records saved
before the windows existed may hold one (`0024-01-01` for 2024). `manage.py check_data` lists them. The
database narrows the search with bounds wide enough to hold every such record; each one it finds is then
judged by the same rule functions the doors use, so the list and the doors never disagree.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import F, Q
from django.db.models.functions import Coalesce, ExtractYear
from django.utils.text import capfirst

from schemes.models import Scheme

from . import rules
from .models import PLACEMENT_DATE_FIELDS, Candidate, Outcome, Placement


@dataclass(frozen=True)
class OutOfWindow:
    """One stored date outside its window: which record, which field, and why."""

    record: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.record}, {self.field}: {self.message}"


def _may_be_outside(fields, windows: rules.DateWindows, latest_first_year: int) -> Q:
    """Records one of whose `fields` may lie outside its window: a superset, for the rules to judge."""
    earliest = datetime.date(latest_first_year, 1, 1)
    condition = Q(pk__in=[])
    for name in fields:
        condition |= Q(**{f"{name}__lt": earliest}) | Q(**{f"{name}__gt": windows.latest(name)})
    return condition


def _label(model, name: str) -> str:
    return capfirst(model._meta.get_field(name).verbose_name)


def outside_date_windows(windows: rules.DateWindows | None = None) -> Iterator[OutOfWindow]:
    """Every stored placement date, outcome date and date of birth outside its window."""
    windows = windows or rules.DateWindows.from_settings()
    first_years = Scheme.objects.exclude(first_year=None).values_list("first_year", flat=True)
    latest_first_year = max([windows.earliest_year, *first_years])

    placements = Placement.objects.filter(_may_be_outside(PLACEMENT_DATE_FIELDS, windows, latest_first_year))
    columns = ("pk", "organisation__code", "candidate__reference", "scheme__code", "scheme__first_year")
    for values in placements.order_by("pk").values_list(*columns, *PLACEMENT_DATE_FIELDS).iterator():
        pk, organisation, reference, scheme, first_year = values[:5]
        dates = dict(zip(PLACEMENT_DATE_FIELDS, values[5:], strict=True))
        problems = rules.date_window_problems(dates, scheme_first_year=first_year, scheme=scheme, windows=windows)
        for name, message in problems.items():
            record = f"Placement {pk} ({organisation} {reference}, {scheme})"
            yield OutOfWindow(record, _label(Placement, name), message)

    outcomes = Outcome.objects.filter(_may_be_outside(["on"], windows, latest_first_year))
    columns = ("pk", "placement_id", "on", "placement__scheme__code", "placement__scheme__first_year")
    for pk, placement, on, scheme, first_year in outcomes.order_by("pk").values_list(*columns).iterator():
        problems = rules.date_window_problems({"on": on}, scheme_first_year=first_year, scheme=scheme, windows=windows)
        for name, message in problems.items():
            yield OutOfWindow(f"Outcome {pk} of placement {placement}", _label(Outcome, name), message)

    # A date of birth is judged against each placement's offer (or start): the database keeps the placements
    # whose candidate was born in a year that could make them younger than the youngest age, or older than the
    # oldest, then (years, not dates: the same on every database).
    placements = (
        Placement.objects.filter(candidate__date_of_birth__isnull=False)
        .annotate(born=ExtractYear("candidate__date_of_birth"), then=ExtractYear(Coalesce("offered_on", "started_on")))
        .filter(Q(born__gte=F("then") - windows.min_age) | Q(born__lte=F("then") - windows.max_age - 1))
    )
    columns = ("candidate_id", "organisation__code", "candidate__reference", "candidate__date_of_birth")
    reported = set()
    for pk, organisation, reference, born, offered_on, started_on in (
        placements.order_by("candidate_id", "pk").values_list(*columns, "offered_on", "started_on").iterator()
    ):
        message = rules.date_of_birth_problems(born, offered_on=offered_on, started_on=started_on, windows=windows)
        if message and pk not in reported:
            reported.add(pk)
            record = f"Candidate {pk} ({organisation} {reference})"
            yield OutOfWindow(record, _label(Candidate, "date_of_birth"), message)
