"""The files the exports write, one function per export, each into a path it is given (a temporary name:
reporting/exports/runs.py checks the file and moves it into place).

- The FOI-ready pack is the FOI pages' workbook (reporting/packs.py, through sources.py), released as an export.
- The pledge and target progress report sets each pledge or target against the hires in its period and what
  happened to them, as disclosure-controlled counts released as exports (decision 0078).
Both list the releases they made (`Built.releases`): the run keeps them once it is done.
- The records extract lists one organisation's placements under the hires import's headings (docs/interfaces.md
  section 1), so HR can correct it and import it again. It is streamed: XlsxWriter's constant_memory mode
  writes each row to disk as it goes, and the rows come from a database cursor in chunks, so memory does not
  grow with the number of rows. Every text cell is a string cell (never a formula), and text that starts
  like a formula (=, +, -, @, a tab or a line break) also carries Excel's quote prefix, so it stays text when
  someone edits the cell.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import xlsxwriter
from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from placements.choices import OutcomeCode
from placements.importing import HEADING
from placements.models import Outcome
from schemes.models import Organisation, Target
from schemes.spreadsheets import FORMULA_PREFIXES

from ..breakdowns import Scope, organisation_and_units
from ..dimensions import NO_OUTCOME
from ..packs import WORKBOOK_AUTHOR
from ..targets import period_scope
from . import sources
from .models import ExportedRecord, ExportKind, ExportRun
from .periods import Period

Progress = Callable[[int, str], None]  # (percent done, what is happening, in words)
RECORDS_CHUNK = 2000
OUTCOME_LABELS = dict(OutcomeCode.choices)


class ExportAccessError(PermissionError):
    """The person a run lists records for may not see them (any more); the message says so in words."""


@dataclass(frozen=True)
class Built:
    """What a builder made besides the file: its rows, and the releases (in the register) of the statistics it
    shows, which the run lists once it is done."""

    rows: int | None = None
    releases: tuple = ()


def build(run: ExportRun, path: Path, progress: Progress) -> Built:
    """Write the run's file at `path`."""
    builder = {
        ExportKind.FOI_PACK: build_foi_pack,
        ExportKind.PROGRESS_REPORT: build_progress_report,
        ExportKind.RECORDS_EXTRACT: build_records_extract,
    }[run.export]
    return builder(run, path, progress)


def statistics_scope(run: ExportRun, period: Period) -> Scope:
    """What a statistics export counts: its scheme and organisation, every year up to the period's, on the
    period's year basis (financial for a financial year, calendar otherwise)."""
    return Scope(
        scheme=run.scheme.code if run.scheme else None,
        organisation=run.organisation.code if run.organisation else None,
        year_basis=period.year_basis,
        last_year=period.year,
    )


def released_by(run: ExportRun):
    """Who the register says released a statistics export: who asked for it, or the schedule's owner."""
    if run.requested_by_id:
        return run.requested_by
    return run.schedule.owner if run.schedule_id else None


def build_foi_pack(run: ExportRun, path: Path, progress: Progress) -> Built:
    progress(10, "Counting and protecting the tables, and checking them with earlier releases.")
    pack = sources.foi_pack(statistics_scope(run, run.period_object), by=released_by(run))
    path.write_bytes(pack.content)
    return Built(releases=(pack.released.record,))


class Sheet:
    """Writing helpers over one XlsxWriter worksheet: text always as text (with the quote prefix), dates as
    dates, row by row (constant_memory needs rows in order)."""

    def __init__(self, workbook: xlsxwriter.Workbook, formats: dict, name: str):
        self.worksheet = workbook.add_worksheet(name)
        self.formats = formats
        self.row = 0

    def write_row(self, values, style: str | None = None) -> None:
        for column, value in enumerate(values):
            self.write(self.row, column, value, style)
        self.row += 1

    def add_table(self, name: str, header_row: int, headings: list[str]) -> None:
        """The rows from `header_row` (0-based, holding `headings`) to the last written, as one Excel table."""
        self.worksheet.add_table(
            header_row,
            0,
            self.row - 1,
            len(headings) - 1,
            {"name": name, "columns": [{"header": heading} for heading in headings], "style": "Table Style Light 1"},
        )

    def write(self, row: int, column: int, value, style: str | None = None) -> None:
        worksheet, formats = self.worksheet, self.formats
        if value is None or value == "":
            worksheet.write_blank(row, column, None, formats.get(style))
        elif isinstance(value, str):
            worksheet.write_string(row, column, value, formats[style or "text"])
        elif isinstance(value, datetime.date):
            worksheet.write_datetime(row, column, value, formats["date"])
        else:
            worksheet.write_number(row, column, value, formats.get(style))


def new_workbook(path: Path, title: str, *, constant_memory: bool = False) -> tuple[xlsxwriter.Workbook, dict]:
    """A workbook with its title and author set (the Analysis Function's checklist) and the formats used."""
    workbook = xlsxwriter.Workbook(
        str(path), {"constant_memory": constant_memory, "strings_to_formulas": False, "strings_to_urls": False}
    )
    workbook.set_properties(
        {"title": title, "author": WORKBOOK_AUTHOR, "company": WORKBOOK_AUTHOR, "created": timezone.now()}
    )
    formats = {
        "text": workbook.add_format({"quote_prefix": True}),
        "heading": workbook.add_format({"quote_prefix": True, "bold": True}),
        "title": workbook.add_format({"quote_prefix": True, "bold": True, "font_size": 14}),
        "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
    }
    return workbook, formats


# --- the pledge and target progress report -------------------------------------------------------------------

PROGRESS_NOTES = [
    "A hire is a care leaver who started a placement on the scheme; a hire counts in the period of its start date.",
    "Calendar-year pledges (2024) count hires from January to December; financial-year pledges (2024-25) from "
    "April to March. Hires are counted up to the date this workbook was produced.",
    "The organisation's hires include those of the units nested under it.",
    "Outcomes are each hire's latest recorded outcome on the date this workbook was produced; "
    f"'{NO_OUTCOME}' means nothing has been recorded yet.",
]


def _targets_for(run: ExportRun, period: Period):
    """Pledges and targets in the run's scope whose period includes the last day of the run's period: the
    calendar year and the financial year it falls in."""
    last = period.last_day
    financial = last.year if last.month >= 4 else last.year - 1
    targets = Target.objects.filter(period__in=[str(last.year), f"{financial}-{(financial + 1) % 100:02d}"])
    if run.scheme_id:
        targets = targets.filter(scheme_id=run.scheme_id)
    if run.organisation_id:
        targets = targets.filter(organisation_id__in=organisation_and_units(run.organisation.code))
    return list(targets.select_related("organisation", "scheme").order_by("organisation__code", "scheme__code"))


def _shown(count: int | None) -> int | str:
    """A published number as a cell shows it: the number, or the symbol where it is hidden."""
    return settings.DISCLOSURE_SYMBOL if count is None else count


def _target_scope(target: Target) -> Scope:
    """The hires a pledge or target is set against: its scheme, organisation (and units) and one year."""
    return replace(period_scope(target), scheme=target.scheme.code, organisation=target.organisation.code)


def build_progress_report(run: ExportRun, path: Path, progress: Progress) -> Built:
    period = run.period_object
    targets = _targets_for(run, period)
    progress(10, f"Counting hires for {len(targets)} pledges and targets.")
    scopes = list(dict.fromkeys(_target_scope(target) for target in targets))
    answers = sources.released_hires_by_outcome(scopes, by=released_by(run))
    tables = {scope: published for scope, (published, _) in zip(scopes, answers, strict=True)}
    progress(80, "Writing the workbook.")

    title = f"Pledges and targets against hires: {run.describe_scope()}, {period.describe()}"
    workbook, formats = new_workbook(path, title)
    symbol = settings.DISCLOSURE_SYMBOL
    cover = Sheet(workbook, formats, "Cover")
    cover.write_row([title], "title")
    for label, value in [
        (
            "What this covers",
            f"Scheme: {run.scheme.code if run.scheme else 'all schemes'}; organisation: "
            f"{run.organisation.code if run.organisation else 'all organisations'}; period: {period.describe()}",
        ),
        ("Date produced", timezone.localdate().strftime("%d %B %Y")),
        (
            "About these tables",
            "Each pledge or target set for the scheme against the care leavers hired in its "
            f"period, and what happened to them. Small counts are hidden ({symbol}) to protect the people "
            "counted [note 4].",
        ),
    ]:
        cover.write_row([label, value])
    cover.worksheet.set_column(0, 0, 22)
    cover.worksheet.set_column(1, 1, 100)

    contents = Sheet(workbook, formats, "Contents")
    contents.write_row(["Contents"], "title")
    contents.write_row(["This worksheet contains one table. Each sheet of this workbook is listed."])
    contents.write_row(["Sheet", "What it holds"], "heading")
    for name, about in [
        ("Cover", "What this workbook covers and when it was produced"),
        ("Contents", "This list"),
        ("Notes", "Definitions and symbols, numbered; the table's headings list those that apply"),
        ("Table_1", f"Pledges and targets against hires, {period.describe()}"),
    ]:
        contents.worksheet.write_url(contents.row, 0, f"internal:'{name}'!A1", string=name)
        contents.write(contents.row, 1, about)
        contents.row += 1
    contents.add_table("contents", 2, ["Sheet", "What it holds"])
    contents.worksheet.set_column(0, 0, 14)
    contents.worksheet.set_column(1, 1, 80)

    notes = Sheet(workbook, formats, "Notes")
    notes.write_row(["Notes"], "title")
    notes.write_row(["This worksheet contains one table of notes, referred to as [note 1] and so on."])
    notes.write_row(["Note number", "Note text"], "heading")
    rule_note = (
        f"{symbol}: a count from 1 to {settings.DISCLOSURE_THRESHOLD - 1} is hidden to protect the people "
        "counted, along with any count that would give it away."
    )
    not_available = "[x]: not available (the hires are hidden, or nothing was pledged)."
    for number, text in enumerate([*PROGRESS_NOTES[:3], rule_note, PROGRESS_NOTES[3], not_available], start=1):
        notes.write_row([f"note {number}", text])
    notes.add_table("notes", 2, ["Note number", "Note text"])
    notes.worksheet.set_column(0, 0, 14)
    notes.worksheet.set_column(1, 1, 120)

    table = Sheet(workbook, formats, "Table_1")
    table.write_row([f"Table_1: pledges and targets against hires, {period.describe()}"], "title")
    table.write_row([f"This worksheet contains one table. Hidden counts are shown as {symbol} [note 4]."])
    outcomes = [*OUTCOME_LABELS.values(), NO_OUTCOME]
    headings = [
        "Organisation",
        "Scheme",
        "Period [note 2]",
        "Pledge or target",
        "Number pledged",
        "Hires [note 1] [note 3]",
        "Hires as a percentage of the pledge [note 6]",
        *(f"Latest outcome: {label} [note 5]" for label in outcomes),
    ]
    table.write_row(headings, "heading")
    first_row = table.row
    for target in targets:
        published = tables[_target_scope(target)]
        by_outcome = dict(published.cells)
        hires = _shown(published.total)
        share = round(100 * hires / target.number) if isinstance(hires, int) and target.number else "[x]"
        table.write_row(
            [
                target.organisation.code,
                target.scheme.code,
                target.period,
                target.get_kind_display(),
                target.number,
                hires,
                share,
                *(_shown(by_outcome[(label,)]) for label in outcomes),
            ]
        )
    if targets:
        table.add_table("progress", first_row - 1, headings)
    else:
        table.write_row(["No pledges or targets are recorded for this scope and period."])
    table.worksheet.set_column(0, len(headings) - 1, 16)
    workbook.close()
    return Built(rows=len(targets), releases=tuple(released.record for _, released in answers))


# --- the records extract -------------------------------------------------------------------------------------

RECORD_COLUMNS = [
    ("candidate_reference", "candidate__reference"),
    ("date_of_birth", "candidate__date_of_birth"),
    ("scheme", "scheme__code"),
    ("organisation", "organisation__code"),
    ("business_unit", "business_unit"),
    ("location", "location__name"),
    ("grade", "grade__code"),
    ("offered_on", "offered_on"),
    ("started_on", "started_on"),
    ("planned_end_on", "planned_end_on"),
    ("ended_on", "ended_on"),
    ("outcome", "latest_outcome"),
    ("outcome_on", "latest_outcome_on"),
    ("destination", "destination"),
]
RECORD_HEADINGS = [HEADING[key] for key, _ in RECORD_COLUMNS]
DATE_FIELDS = {
    "candidate__date_of_birth",
    "offered_on",
    "started_on",
    "planned_end_on",
    "ended_on",
    "latest_outcome_on",
}


def extract_lister(run: ExportRun):
    """Whose view of the records the extract lists: the person who asked, or the schedule's owner. A run from the
    command line is the operator's, who answers for what they export."""
    if run.requested_by_id:
        return run.requested_by
    if run.schedule_id:
        if run.schedule.owner_id is None:
            raise ExportAccessError("The schedule has no owner, so nobody's access decides which records it lists.")
        return run.schedule.owner
    return None


def extract_rows(run: ExportRun):
    """The extract's placements, with the columns it writes, in order: the organisation's and its units', as
    the person it is made for may see them (all of them from the command line)."""
    lister = extract_lister(run)
    placements = sources.placements_seen_by(lister) if lister is not None else sources.every_placement()
    placements = placements.filter(organisation_id__in=organisation_and_units(run.organisation.code))
    destination = Outcome.objects.filter(placement=OuterRef("pk"), code=OutcomeCode.TRANSFERRED).order_by("-on", "-pk")
    return placements.annotate(destination=Subquery(destination.values("destination_organisation__code")[:1])).order_by(
        "organisation__code", "candidate__reference", "started_on", "pk"
    )


def _chunks(rows, size: int) -> Iterator[list[tuple]]:
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def build_records_extract(run: ExportRun, path: Path, progress: Progress) -> Built:
    organisation: Organisation = run.organisation
    lister = extract_lister(run)
    if lister is not None and not lister.is_active:
        raise ExportAccessError(f"{lister.get_username()} can no longer sign in, so the extract was not made.")
    queryset = extract_rows(run)
    total = queryset.count()
    progress(1, f"Writing {total:,} records.")
    title = f"Records extract: {organisation.name} ({organisation.code}), {run.period_object.describe()}"
    workbook, formats = new_workbook(path, title, constant_memory=True)
    sheet = Sheet(workbook, formats, "Records")
    sheet.write_row(RECORD_HEADINGS, "heading")
    worksheet = sheet.worksheet
    worksheet.freeze_panes(1, 0)
    write_string, write_date = worksheet.write_string, worksheet.write_datetime
    quoted, date = formats["text"], formats["date"]
    fields = [field for _, field in RECORD_COLUMNS]
    dates = [field in DATE_FIELDS for field in fields]  # chosen once: the loop below runs once per cell
    outcome_column = fields.index("latest_outcome")
    rows = queryset.values_list("pk", *fields).iterator(chunk_size=RECORDS_CHUNK)
    written = 0
    for chunk in _chunks(rows, RECORDS_CHUNK):
        for row_number, (_pk, *values) in enumerate(chunk, start=written + 1):
            values[outcome_column] = OUTCOME_LABELS.get(values[outcome_column])
            for column, (value, is_date) in enumerate(zip(values, dates, strict=True)):
                if value is None or value == "":
                    continue
                if is_date:
                    write_date(row_number, column, value, date)
                elif value.startswith(FORMULA_PREFIXES):  # text a spreadsheet would run: quoted, kept as text
                    write_string(row_number, column, value, quoted)
                else:
                    write_string(row_number, column, value)
        ExportedRecord.objects.add(run, [row[0] for row in chunk])
        written += len(chunk)
        progress(min(99, 1 + 98 * written // max(total, 1)), f"{written:,} of {total:,} records written.")
    worksheet.autofilter(0, 0, max(written, 1), len(RECORD_HEADINGS) - 1)
    worksheet.set_column(0, len(RECORD_HEADINGS) - 1, 18)
    workbook.close()
    return Built(rows=written)
