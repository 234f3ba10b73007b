"""The FOI pack: a release of the one publication path (reporting/publication.py: a slice of the scope's
all-years family for the years asked, audited together with every earlier release of the same hires) written as
an xlsx workbook laid out as the Analysis Function guidance on releasing statistics in spreadsheets asks
(docs/interfaces.md section 2), and as its accessibility checklist checks: the workbook's title and author set;
Cover (no blank rows), Contents (every sheet, each a link), Notes (numbered `note 1`, `note 2`..., each
referred to as `[note 1]` from the titles of the tables it applies to), then one sheet per table, each holding
one real Excel table with its title in A1, no merged cells and no blank rows or columns inside the table.

This module only writes: what the tables hold (counted, protected, audited and released) is the release's.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.table import Table, TableStyleInfo

from .breakdowns import Scope
from .dimensions import DIMENSIONS, NO_OUTCOME, year_label
from .disclosure import TOTAL, Rule
from .models import ReleaseKind
from .publication import PublishedFamily, PublishedTable, Released, release_pack

# The workbook's author property (the Analysis Function's checklist asks for title and author); the exports'
# workbooks use it too.
WORKBOOK_AUTHOR = "Care leaver employment schemes"
PACK_TITLE = "Care leavers hired through employment schemes: freedom of information response"


@dataclass(frozen=True)
class Pack:
    """A built pack: the workbook's bytes, and the release it writes (for the command's summary and tests)."""

    content: bytes
    released: Released

    @property
    def family(self) -> PublishedFamily:
        return self.released.family


def sheet_name(position: int) -> str:
    """`Table_1` for the family's first table, and so on."""
    return f"Table_{position + 1}"


def write_cell(sheet, row: int, column: int, value):
    """Write a value; text is always stored as text, so a name like `=HYPERLINK(...)` is never a formula
    (openpyxl would otherwise store any string starting with "=" as one)."""
    cell = sheet.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def build_pack(scope: Scope, *, reference: str = "", rule: Rule | None = None, by=None, foi_request=None) -> bytes:
    """The FOI pack for a scope as xlsx bytes, released (recorded in the register). Raises DisclosureError if
    it cannot be published safely."""
    return build_pack_with_details(scope, reference=reference, rule=rule, by=by, foi_request=foi_request).content


def build_pack_with_details(
    scope: Scope,
    *,
    reference: str = "",
    rule: Rule | None = None,
    by=None,
    foi_request=None,
    kind: str = ReleaseKind.PACK,
) -> Pack:
    """The pack and the release it was written from, recorded as `kind` (a scheduled export's pack is an
    export)."""
    released = release_pack(scope, rule=rule, by=by, foi_request=foi_request, reference=reference, kind=kind)
    return Pack(write_pack(released, reference), released)


def write_pack(released: Released, reference: str = "") -> bytes:
    """A release's tables as an FOI pack's xlsx bytes."""
    rule = released.family.rule
    workbook = Workbook()
    workbook.properties.title = f"{PACK_TITLE}: {released.scope.describe()}"
    workbook.properties.creator = WORKBOOK_AUTHOR
    workbook.properties.lastModifiedBy = WORKBOOK_AUTHOR
    workbook.properties.language = "en-GB"
    cover = workbook.active
    cover.title = "Cover"
    _write_cover(cover, released.scope, reference)
    _write_contents(workbook.create_sheet("Contents"), released.tables)
    notes = _notes(released)
    _write_notes(workbook.create_sheet("Notes"), notes)
    for position, table in enumerate(released.tables):
        references = " ".join(f"[note {number}]" for number, note in notes if note.applies_to(position, table))
        _write_table(workbook.create_sheet(sheet_name(position)), sheet_name(position), table, rule, references)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _title(sheet, text: str) -> None:
    write_cell(sheet, 1, 1, text)
    sheet["A1"].font = Font(bold=True, size=14)


def _write_rows(sheet, rows: list[tuple], first_row: int) -> None:
    for offset, row in enumerate(rows):
        for column, value in enumerate(row, start=1):
            write_cell(sheet, first_row + offset, column, value)


def _write_cover(sheet, scope: Scope, reference: str) -> None:
    """The title, then one row per fact, with no blank row (the checklist: a screen reader reads on)."""
    _title(sheet, PACK_TITLE)
    rows = [
        ("FOI reference", reference or "None given"),
        ("What this covers", scope.describe()),
        ("Date produced", timezone.localdate().strftime("%d %B %Y")),
        ("Contact", settings.FOI_CONTACT_EMAIL),
        (
            "About these tables",
            "Counts of care leavers hired (placements started) and their outcomes. "
            "Small counts are hidden to protect the people counted: see the Notes sheet, which each table "
            "refers to as [note 1] and so on.",
        ),
    ]
    _write_rows(sheet, rows, first_row=2)
    for row in range(2, 2 + len(rows)):
        sheet.cell(row=row, column=1).font = Font(bold=True)
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 100


def _write_contents(sheet, tables: tuple[PublishedTable, ...]) -> None:
    """Every sheet of the workbook, each name a link to the sheet's first cell."""
    _title(sheet, "Contents")
    sheet["A2"] = "This worksheet contains one table. Select a sheet name to go to that sheet."
    header_row = 3
    _write_rows(sheet, [("Sheet", "Title")], header_row)
    sheets = [
        ("Cover", "What this workbook covers, when it was produced and who to contact"),
        ("Contents", "This list of the sheets in this workbook"),
        ("Notes", "Definitions and the symbols used, numbered; each table's title lists those that apply"),
        *((sheet_name(position), table.title) for position, table in enumerate(tables)),
    ]
    for offset, (name, title) in enumerate(sheets, start=1):
        cell = sheet.cell(row=header_row + offset, column=1, value=name)
        cell.hyperlink = Hyperlink(ref=cell.coordinate, location=f"'{name}'!A1", display=name)
        cell.style = "Hyperlink"
        write_cell(sheet, header_row + offset, 2, title)
    _add_table(sheet, "contents", header_row, header_row + len(sheets), 2)
    sheet.column_dimensions["A"].width = 14
    sheet.column_dimensions["B"].width = 50


@dataclass(frozen=True)
class Note:
    """One numbered note: what it is about, its text, and which tables refer to it from their titles
    (`applies_to(position, table)`)."""

    subject: str
    text: str
    applies_to: Callable[[int, PublishedTable], bool]


def _every_table(position: int, table: PublishedTable) -> bool:
    return True


def _tables_by(dimension: str) -> Callable[[int, PublishedTable], bool]:
    return lambda position, table: dimension in table.dimensions


def _notes(released: Released) -> list[tuple[int, Note]]:
    """The pack's notes, numbered in order; each is referred to by at least one table."""
    scope, rule = released.scope, released.family.rule
    year = (
        "Financial years, 1 April to 31 March: 2023-24 runs from 1 April 2023 to 31 March 2024. A hire counts in "
        "the financial year of its start date."
        if scope.year_basis == "financial"
        else "Calendar years, 1 January to 31 December. A hire counts in the calendar year of its start date."
    )
    if scope.first_year is None:
        year += (
            f" Hires are counted from {year_label(scope.first_counted_year, scope.year_basis)}: a start date "
            "recorded before then is taken to be a mistake in the record and is not counted."
        )
    notes = [
        Note(
            "Hire",
            "A care leaver who started a placement (internship, fixed-term appointment or apprenticeship) "
            "on the scheme. Offers not yet started, and offers withdrawn before a start, are not hires.",
            _every_table,
        ),
        Note("Year", year, _tables_by("year")),
        Note("Location", "The site or town where the person was placed.", _tables_by("location")),
        Note(
            "Grade",
            "The grade of the post on starting. Organisations' own pay grades are counted as the Civil "
            "Service grade or apprenticeship level they correspond to.",
            _tables_by("grade"),
        ),
        Note(
            "Latest outcome",
            "What had last been recorded for the person on the date this workbook was produced: "
            "still in post, contract extended, made permanent, transferred to another department, completed and "
            "moved into education, employment or training, completed and not in education, employment or training, "
            "did not pass probation, left early, withdrew before start, or not known (recorded as not known). "
            f"'{NO_OUTCOME}' means nothing has been recorded yet.",
            _tables_by("outcome"),
        ),
        Note("Suppression rule", rule.describe(), _every_table),
        Note(
            rule.symbol,
            "Confidential: the count is hidden to protect the people counted (see the suppression rule).",
            _every_table,
        ),
        Note(
            "Total",
            "Totals are counted from the underlying records, so each table's totals agree with the other "
            "tables in this workbook.",
            _every_table,
        ),
        Note("Earlier releases", _earlier_releases_note(released), _every_table),
    ]
    for position, table in enumerate(released.tables):
        if "year" not in table.dimensions and "all years" in table.title:
            notes.append(
                Note(
                    sheet_name(position).replace("_", " "),
                    "This table has no year, so it cannot be cut to the years asked for without giving away "
                    "counts that the other tables hide; it counts the hires of every year, as in a pack over all "
                    "years.",
                    lambda other, _table, position=position: other == position,
                )
            )
    tables = list(enumerate(released.tables))
    used = [note for note in notes if any(note.applies_to(position, table) for position, table in tables)]
    return list(enumerate(used, start=1))


def _earlier_releases_note(released: Released) -> str:
    """Which earlier releases the tables were checked with, and how many counts that hid, in words."""
    earlier = list(released.record.checked_against.all())
    if not earlier:
        return "No figures about these hires had been released before: the tables were checked on their own."
    text = (
        f"These tables were checked together with the {len(earlier)} earlier release(s) of figures about the same "
        "hires (earlier answers to requests, and statistics published before): read with them, they give away no "
        "hidden count and no small count."
    )
    extra = len(released.joint.extra)
    if extra:
        text += (
            f" {extra} further count(s) are shown as {released.family.rule.symbol} because, read together with "
            "those, they would give a small count away."
        )
    return text


def _write_notes(sheet, notes: list[tuple[int, Note]]) -> None:
    _title(sheet, "Notes")
    sheet["A2"] = (
        "This worksheet contains one table of notes: definitions and the symbols used. Each table's title "
        "refers to the notes that apply to it, as [note 1] and so on."
    )
    rows = [(f"note {number}", note.subject, note.text) for number, note in notes]
    _write_rows(sheet, [("Note number", "Subject", "Note text"), *rows], first_row=3)
    _add_table(sheet, "notes", 3, 3 + len(rows), 3)
    sheet.column_dimensions["A"].width = 14
    sheet.column_dimensions["B"].width = 20
    sheet.column_dimensions["C"].width = 120


def _write_table(sheet, name: str, table: PublishedTable, rule: Rule, references: str) -> None:
    """One table, its title in A1 carrying the references to the notes that apply to it."""
    _title(sheet, f"{table.title} ({name.replace('_', ' ')}) {references}")
    sheet["A2"] = f"This worksheet contains one table. Hidden counts are shown as {rule.symbol}: see Notes."
    header_row = 3

    def display(key) -> int | str:
        value = table.value(key)
        return rule.symbol if value is None else value

    row_dim = table.dimensions[0]
    if len(table.dimensions) == 1:
        header = (DIMENSIONS[row_dim].label, "Number of hires")
        body = [(category, display((category,))) for category in table.categories[row_dim]]
        body.append(("Total", display((TOTAL,))))
    else:
        columns = table.categories[table.dimensions[1]]
        header = (DIMENSIONS[row_dim].label, *columns, "Total")
        body = [
            (category, *(display((category, column)) for column in (*columns, TOTAL)))
            for category in table.categories[row_dim]
        ]
        body.append(("Total", *(display((TOTAL, column)) for column in (*columns, TOTAL))))
    _write_rows(sheet, [header, *body], header_row)
    _add_table(sheet, name.lower(), header_row, header_row + len(body), len(header))
    sheet.column_dimensions["A"].width = 24
    for column in range(2, len(header) + 1):
        sheet.column_dimensions[get_column_letter(column)].width = max(12, min(40, len(str(header[column - 1])) + 2))


def _add_table(sheet, name: str, header_row: int, last_row: int, columns: int) -> None:
    reference = f"A{header_row}:{get_column_letter(columns)}{last_row}"
    table = Table(displayName=name, ref=reference)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight1", showRowStripes=False)
    sheet.add_table(table)
