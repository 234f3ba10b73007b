"""The builders of the overview, outcomes and targets pages: the service's figures arranged into tables.

Each builder is registered under its page's name (tables.register), so the page and the download view read
the same tables. Numbers over the user's own records are exact; those for all organisations together are the
published ones (reporting.dashboard.National), hidden values as `Hidden` (shown `[c]`, never 0).
"""

from __future__ import annotations

from django.conf import settings

from reporting.dashboard import (
    DEFINITIONS,
    HEADLINE_OUTCOMES,
    IN_POST_MONTHS,
    NOT_PUBLISHED,
    WHERE_NOW,
    Filters,
    National,
    cohorts,
    headlines,
    national,
    target_rows,
)
from reporting.dimensions import OUTCOME_LABELS

from .tables import Chart, Column, Hidden, Page, Table, register

SOURCE_OWN = "Source: the records of the organisations you can see in this service, as at today."
SOURCE_ALL = "Source: the published statistics of this service for all organisations, as in the FOI pack."


class Ratio:
    """`part` of `whole`, as a person reads it: "45 of 50 (90%)"."""

    def __init__(self, part: int, whole: int):
        self.part, self.whole = part, whole

    @property
    def percent(self) -> float | None:
        return round(100 * self.part / self.whole, 1) if self.whole else None

    def __str__(self) -> str:
        if not self.whole:
            return "none yet"
        return f"{self.part} of {self.whole} ({self.percent:g}%)"


def published(value, national: National):
    """A published number as a table cell: the number, Hidden where suppressed, or the words where unpublished."""
    if value is None:
        return Hidden(national.symbol)
    return value


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def change_in_words(now, before, previous_label: str | None, unit: str = "", more: str = "up", less: str = "down"):
    """The change from the previous period, in words: "up 3 from 12 in 2024", "the same as in 2024 (12)"."""
    if previous_label is None:
        return "no earlier period to compare with"
    if now is None or before is None:
        return f"cannot be compared with {previous_label} (none to compare)"
    difference = round(now - before, 1)
    before_text = f"{before:g}{unit}"
    if difference == 0:
        return f"the same as in {previous_label} ({before_text})"
    direction = more if difference > 0 else less
    return f"{direction} {abs(difference):g}{unit} from {before_text} in {previous_label}"


def rate_change(now: Ratio, before: Ratio | None, previous_label: str | None) -> str:
    """The change of a share, in percentage points: "up 2.5 percentage points from 90% in 2024"."""
    if before is None or previous_label is None:
        return change_in_words(None, None, previous_label)
    if now.percent is None or before.percent is None:
        return f"cannot be compared with {previous_label} (none to compare)"
    difference = round(now.percent - before.percent, 1)
    if difference == 0:
        return f"the same as in {previous_label} ({before.percent:g}%)"
    direction = "up" if difference > 0 else "down"
    return f"{direction} {abs(difference):g} percentage points from {before.percent:g}% in {previous_label}"


@register("overview")
def overview(user, filters: Filters) -> Page:
    figures = headlines(user, filters)
    everyone = national(filters, user)
    now, before = figures.current, figures.previous
    previous_label = filters.previous_label
    rows = [
        (
            "Hires (placements started)",
            now.hires,
            before.hires if before else None,
            change_in_words(now.hires, before and before.hires, previous_label),
            published(everyone.hires(), everyone),
        ),
        (
            "People hired",
            now.people,
            before.people if before else None,
            change_in_words(now.people, before and before.people, previous_label),
            NOT_PUBLISHED,
        ),
        (
            "Median days from offer to start",
            _days(now.median_wait),
            _days(before.median_wait) if before else None,
            change_in_words(
                _days(now.median_wait),
                before and _days(before.median_wait),
                previous_label,
                unit=" days",
                more="longer by",
                less="shorter by",
            ),
            NOT_PUBLISHED,
        ),
    ]
    for code in HEADLINE_OUTCOMES:
        rows.append(
            (
                OUTCOME_LABELS[code],
                now.outcomes[code],
                before.outcomes[code] if before else None,
                change_in_words(now.outcomes[code], before and before.outcomes[code], previous_label),
                published(everyone.outcome(code), everyone)
                if not (filters.location or filters.grade)
                else NOT_PUBLISHED,
            )
        )
    for months in IN_POST_MONTHS:
        ratio = Ratio(now.in_post[months], now.reached[months])
        earlier = Ratio(before.in_post[months], before.reached[months]) if before else None
        rows.append(
            (
                f"Still in post at {months} months",
                ratio,
                earlier,
                rate_change(ratio, earlier, previous_label),
                NOT_PUBLISHED,
            )
        )
    people_note = (
        f"{now.people} different people started the {now.hires} placements: some started more than one."
        if now.people != now.hires
        else "Each hire is a different person, so hires and people are the same number."
    )
    headline = Table(
        slug="headlines",
        title=f"Headline figures, {filters.period_label}",
        columns=(
            Column("Figure", numeric=False),
            Column(filters.period_label),
            Column(previous_label or "Previous period"),
            Column("Change", numeric=False),
            Column(f"All organisations together, {filters.period_label}"),
        ),
        rows=tuple(rows),
        notes=(
            people_note,
            f"{everyone.symbol}: hidden to protect the people counted. {everyone.describe_rule()}",
            f"'{NOT_PUBLISHED}': the service publishes counts of hires and of their latest outcomes only.",
            everyone.when,
        ),
        source=f"{SOURCE_OWN} All organisations together: {SOURCE_ALL[8:]}",
    )
    first_trend_year = max(settings.PUBLISHED_FIRST_YEAR, filters.last_year - 9)
    trend = cohorts(user, filters, first_year=first_trend_year)
    by_year = Table(
        slug="hires-by-year",
        title="Hires by year",
        columns=(
            Column("Year", numeric=False),
            Column("Hires (placements)"),
            Column("People"),
            Column("All organisations together"),
        ),
        rows=tuple(
            (row.year, row.hires, row.people, published(everyone.hires(labels=[row.year]), everyone)) for row in trend
        ),
        notes=("Up to ten years, to the end of the period chosen.", everyone.when),
        source=SOURCE_OWN,
        chart=Chart(
            "bar",
            series=(1,),
            overview=_trend_overview(trend),
        ),
    )
    return Page(
        [headline, by_year],
        {"figures": figures, "definitions": DEFINITIONS, "people_note": people_note, "national": everyone},
    )


def _days(median: float | None) -> int | float | None:
    """A median of days: whole where it is (an odd number of hires), else to a tenth."""
    if median is None:
        return None
    median = round(median, 1)
    return int(median) if median.is_integer() else median


def _trend_overview(trend) -> str:
    if not trend:
        return "No hires to chart for these filters."
    most = max(trend, key=lambda row: row.hires)
    return (
        f"Hires by year from {trend[0].year} to {trend[-1].year}: {_plural(trend[-1].hires, 'hire')} in "
        f"{trend[-1].year}, the most in {most.year} ({most.hires})."
    )


@register("outcomes")
def outcomes(user, filters: Filters) -> Page:
    years = filters.first_year if filters.scope.first_year is not None else settings.PUBLISHED_FIRST_YEAR
    rows = cohorts(user, filters, first_year=years)
    everyone = national(filters, user)
    where_now = Table(
        slug="where-now",
        title="Where each year's starters are now",
        columns=(
            Column("Year of start", numeric=False),
            Column("Hires"),
            Column("People"),
            *(Column(label) for label, _ in WHERE_NOW),
            Column("Conversion to permanent", numeric=True),
        ),
        rows=tuple(
            (
                row.year,
                row.hires,
                row.people,
                *(row.where_now[label] for label, _ in WHERE_NOW),
                Ratio(row.permanent_of_reached, row.reached_year),
            )
            for row in rows
        ),
        notes=(
            "Latest outcome as at today. Conversion to permanent: made permanent, out of the hires that started "
            "at least 12 months ago.",
        ),
        source=SOURCE_OWN,
        chart=Chart(
            "bar",
            series=tuple(range(3, 3 + len(WHERE_NOW))),
            stacked=True,
            overview=_conversion_overview(rows),
        ),
    )
    in_post_columns = [Column("Year of start", numeric=False), Column("Hires")]
    for months in IN_POST_MONTHS:
        in_post_columns += [Column(f"In post at {months} months"), Column(f"% in post at {months} months")]
    in_post = Table(
        slug="in-post",
        title="Still in post at 6, 12 and 18 months",
        columns=tuple(in_post_columns),
        rows=tuple(
            (
                row.year,
                row.hires,
                *(
                    value
                    for months in IN_POST_MONTHS
                    for value in (
                        Ratio(row.in_post[months], row.reached[months]),
                        Ratio(row.in_post[months], row.reached[months]).percent,
                    )
                ),
            )
            for row in rows
        ),
        notes=(
            "Of the hires that started at least that many months before today; a year whose starters have not "
            "all reached it shows those who have, and '–' where none has.",
        ),
        source=SOURCE_OWN,
        chart=Chart("line", series=(3, 5, 7), percent=True, overview=_in_post_overview(rows)),
    )
    national_rows = []
    published_years = everyone.family.categories["year"]
    for year in range(years, filters.last_year + 1):
        label = [filters.label(year)]
        if label[0] not in published_years:
            continue
        hired = everyone.hires(labels=label)
        permanent = everyone.outcome("permanent", labels=label)
        share = (
            round(100 * permanent / hired, 1)
            if isinstance(hired, int) and isinstance(permanent, int) and hired
            else None
        )
        national_rows.append(
            (
                label[0],
                published(hired, everyone),
                *(published(everyone.outcome(code, labels=label), everyone) for code in HEADLINE_OUTCOMES),
                share,
            )
        )
    nationally = Table(
        slug="all-organisations",
        title="All organisations together: hires and latest outcomes by year of start",
        columns=(
            Column("Year of start", numeric=False),
            Column("Hires"),
            *(Column(OUTCOME_LABELS[code]) for code in HEADLINE_OUTCOMES),
            Column("% made permanent"),
        ),
        rows=tuple(national_rows),
        notes=(
            f"{everyone.symbol}: hidden to protect the people counted. {everyone.describe_rule()}",
            "% made permanent: made permanent as a share of all hires of the year, from the two published numbers "
            "(CLIS reports about 80% nationally).",
            "With a location or a grade chosen, only hires are published for it: outcomes are published by year "
            "only ('not published').",
            everyone.when,
        ),
        source=SOURCE_ALL,
    )
    return Page([where_now, in_post, nationally], {"definitions": DEFINITIONS})


def _conversion_overview(rows) -> str:
    reached = [row for row in rows if row.reached_year]
    if not reached:
        return "No starters have been in post for 12 months yet."
    latest = reached[-1]
    return (
        f"Where each year's starters are now, {rows[0].year} to {rows[-1].year}; of {latest.year}'s starters, "
        f"{Ratio(latest.permanent_of_reached, latest.reached_year)} were made permanent."
    )


def _in_post_overview(rows) -> str:
    reached = [row for row in rows if row.reached[12]]
    if not reached:
        return "No starters have been in post for 12 months yet."
    latest = reached[-1]
    at_12 = Ratio(latest.in_post[12], latest.reached[12])
    return f"Share still in post at 6, 12 and 18 months by year of start; {latest.year}: {at_12} at 12 months."


@register("targets")
def targets(user, filters: Filters) -> Page:
    target_list = target_rows(user, filters)
    rows = []
    for row in target_list:
        target, progress = row.target, row.progress
        actual = progress.actual
        difference = None if actual is None else actual - target.number
        rows.append(
            (
                f"{target.organisation.code} {target.scheme.code} {target.period}",
                target.organisation.name,
                target.scheme.code,
                ("financial year " if "-" in target.period else "calendar year ") + target.period,
                target.get_kind_display(),
                target.number,
                actual if actual is not None else "not shown",
                difference,
                progress.label,
            )
        )
    ended = [row for row in target_list if row.progress.period_ended and row.progress.met is not None]
    met = [row for row in ended if row.progress.met]
    summary = (
        f"Of the {len(ended)} {'pledge or target' if len(ended) == 1 else 'pledges and targets'} whose period has "
        f"ended, {len(met)} {'was' if len(met) == 1 else 'were'} met."
        if ended
        else "No pledge or target shown here has a period that has ended."
    )
    table = Table(
        slug="targets",
        title="Pledges and targets against actual hires",
        columns=(
            Column("Pledge or target", numeric=False),
            Column("Organisation", numeric=False),
            Column("Scheme", numeric=False),
            Column("Period", numeric=False),
            Column("Kind", numeric=False),
            Column("Number"),
            Column("Hires"),
            Column("Difference"),
            Column("Status", numeric=False),
        ),
        rows=tuple(rows),
        notes=(
            "Hires: placements on the scheme, by the organisation or a unit of it, that started in the period "
            "(calendar year, or financial year 1 April to 31 March, as the target states it).",
            "Hires are shown only where you can see every hire counted; otherwise 'not shown'.",
        ),
        source=SOURCE_OWN,
        chart=Chart("bar", series=(5, 6), overview=summary),
    )
    return Page([table], {"rows": target_list, "summary": summary})
