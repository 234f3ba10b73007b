"""Progress against pledges and targets: the actual hires of each target's period beside its number.

A target (`schemes.Target`) is an organisation's pledge or target for a scheme and a period: `2024` is the
calendar year 2024, `2024-25` the financial year from 1 April 2024 to 31 March 2025. Its actual hires are the
hires (as `reporting.breakdowns` defines them: started, on or before today) on that scheme, by the organisation
or a unit nested under it, that started in the period.

These are exact counts, so a user is given one only when it tells them nothing they cannot already see: when
every hire it counts is a record they may see (`Placement.objects.for_user`). To anyone else the figure is not
shown; published, disclosure-controlled figures are what the FOI pack and the statistics API are for.
(docs/decisions/0044-target-progress.md)
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils import timezone

from schemes.choices import TargetKind
from schemes.models import Organisation, Target

from .breakdowns import Scope, hires

# Kinds whose number is a number of hires; guaranteed interviews are counted in interviews, not hires.
HIRING_KINDS = (TargetKind.PLEDGE, TargetKind.TARGET)


@dataclass(frozen=True)
class Progress:
    """How one target stands for one user: `actual` is None when the user is not shown the count."""

    target: Target
    actual: int | None
    period_ended: bool

    @property
    def met(self) -> bool | None:
        """Whether the hires reached the number; None when that cannot be said (not shown, or not about hires)."""
        if self.actual is None or self.target.kind not in HIRING_KINDS:
            return None
        return self.actual >= self.target.number

    @property
    def label(self) -> str:
        if self.met is None:
            return "–"
        if self.met:
            return "Met"
        return "Not met" if self.period_ended else "Not yet met"


def period_scope(target: Target) -> Scope:
    """The target's period as a breakdown scope of one year: `2024` calendar, `2024-25` financial."""
    first_year = int(target.period[:4])
    basis = "financial" if "-" in target.period else "calendar"
    return Scope(year_basis=basis, first_year=first_year, last_year=first_year)


def _hires_by_month(placements, scheme_ids: set[int], organisation_ids: set[int], first_day, last_day) -> Counter:
    """Hires counted by (scheme, organisation, month of start): one GROUP BY for every target on a page."""
    grouped = (
        placements.filter(
            scheme_id__in=scheme_ids,
            organisation_id__in=organisation_ids,
            started_on__gte=first_day,
            started_on__lte=last_day,
        )
        .annotate(month=TruncMonth("started_on"))
        .values("scheme_id", "organisation_id", "month")
        .annotate(hires=Count("*"))
        .order_by()
        .values_list("scheme_id", "organisation_id", "month", "hires")
    )
    return Counter({(scheme, organisation, month): count for scheme, organisation, month, count in grouped})


def progress(targets: Iterable[Target], user, as_at: datetime.date | None = None) -> dict[int, Progress]:
    """Each target's progress for `user` (by target id), in two grouped queries whatever the number of targets:
    the hires counted over every record, and over the records the user may see."""
    targets = list(targets)
    if not targets:
        return {}
    as_at = as_at or timezone.localdate()
    periods = {target.pk: period_scope(target).date_range() for target in targets}
    tree = Organisation.objects.tree()  # once for all the targets
    units = {target.pk: tree.descendant_ids([target.organisation_id]) for target in targets}
    scheme_ids = {target.scheme_id for target in targets}
    organisation_ids = set().union(*units.values())
    first_day = min(first for first, _ in periods.values())
    last_day = min(max(last for _, last in periods.values()), as_at)
    every_hire = hires(Scope(), as_at)
    counted = {
        which: _hires_by_month(placements, scheme_ids, organisation_ids, first_day, last_day)
        for which, placements in (("all", every_hire), ("visible", every_hire.for_user(user)))
    }

    def total(which: str, target: Target) -> int:
        months = _months(*periods[target.pk])
        return sum(
            counted[which][target.scheme_id, organisation, month]
            for organisation in units[target.pk]
            for month in months
        )

    result = {}
    for target in targets:
        actual = total("all", target)
        shown = actual if total("visible", target) == actual else None
        result[target.pk] = Progress(target, shown, period_ended=periods[target.pk][1] < as_at)
    return result


def _months(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """The first day of each month from `first` (a first of the month) to `last`."""
    months, month = [], first
    while month <= last:
        months.append(month)
        month = datetime.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return months
