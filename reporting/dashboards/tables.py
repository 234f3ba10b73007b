"""A dashboard table: what a page shows, a chart draws and a download writes, from one object.

A page registers a *builder* (`register`): a function from the request's user and filters to the page's
tables. The page renders them (templates/dashboard/_table.html), and the one download view
(`views.download`) asks the same builder for the same tables, so a table can be downloaded as CSV or xlsx from
any page with no code of its own. The pipeline page plugs in the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from reporting.dashboard import PARAMETERS, Filters, may_use_dashboards


@dataclass(frozen=True)
class Hidden:
    """A published count that is hidden to protect the people counted: shown as the rule's symbol, never 0."""

    symbol: str = "[c]"

    def __str__(self) -> str:
        return self.symbol


@dataclass(frozen=True)
class Column:
    heading: str
    numeric: bool = True


@dataclass(frozen=True)
class Chart:
    """A chart drawn over the table by static/dashboard/charts.js: `series` are the columns it plots (their
    headings name the series), against the rows' first cells. `overview` is the one sentence a screen reader
    hears instead of the picture; the table below is the accessible version."""

    kind: str  # "bar" or "line"
    series: tuple[int, ...]
    overview: str
    stacked: bool = False
    percent: bool = False


@dataclass(frozen=True)
class Table:
    """A table: `slug` names it in its page's download links; the first cell of each row heads the row. A cell
    is a number, a text, None (nothing to show: "–"), or Hidden."""

    slug: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]
    notes: tuple[str, ...] = ()
    source: str = ""
    chart: Chart | None = None
    # The records whose references or names the rows hold: a download of the table is a read of each of them,
    # recorded in the read audit (placements/audit.py). Empty for a table of counts.
    records: tuple[Any, ...] = ()

    @property
    def chart_data_id(self) -> str:
        return f"{self.slug}-data"

    def display_rows(self) -> list[list[tuple[Any, bool]]]:
        """Each row's cells with whether their column is numeric (right-aligned)."""
        return [[(value, column.numeric) for value, column in zip(row, self.columns, strict=True)] for row in self.rows]

    def chart_data(self) -> dict | None:
        """The chart's data island (rendered with `json_script`): labels, and one series per plotted column, a
        hidden or missing value as null (a gap, never a 0)."""
        if self.chart is None:
            return None
        return {
            "kind": self.chart.kind,
            "stacked": self.chart.stacked,
            "percent": self.chart.percent,
            "title": self.title,
            "labels": [str(row[0]) for row in self.rows],
            "series": [
                {
                    "label": self.columns[index].heading,
                    "data": [row[index] if isinstance(row[index], int | float) else None for row in self.rows],
                }
                for index in self.chart.series
            ],
        }


@dataclass(frozen=True)
class Page:
    """What a builder gives a page: its tables, and anything else its template shows. A page whose figures are
    not the dashboards' (the pipeline's waiting offers) says what its downloads cover (`covers`, else the filters'
    description) and defines its own terms (`definitions`, else the dashboards' DEFINITIONS)."""

    tables: Sequence[Table]
    context: dict = field(default_factory=dict)
    covers: str = ""
    definitions: dict[str, str] | None = None
    when: str = ""  # what a download's file name says of when (else the filters' period): the pipeline's day

    def table(self, slug: str) -> Table | None:
        return next((table for table in self.tables if table.slug == slug), None)


Builder = Callable[[Any, Filters], Page]
PAGES: dict[str, Builder] = {}
MAY_USE: dict[str, Callable[[Any], bool]] = {}  # who may use each page (and so download its tables)
FILTERED_BY: dict[str, tuple[str, ...]] = {}  # the filters each page has, which its downloads read


def register(
    name: str, may_use: Callable[[Any], bool] = may_use_dashboards, filters: tuple[str, ...] = PARAMETERS
) -> Callable[[Builder], Builder]:
    """Register a page's builder under the name its URLs use (`overview`, `outcomes`, `targets`, `pipeline`),
    with the test of who may use the page (the dashboards' roles unless the page says otherwise) and the filters
    it has (all the dashboards' unless it says otherwise)."""

    def decorate(builder: Builder) -> Builder:
        PAGES[name] = builder
        MAY_USE[name] = may_use
        FILTERED_BY[name] = filters
        return builder

    return decorate
