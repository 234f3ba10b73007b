"""The hires import template (.xlsx): the spreadsheet to fill in, made for one member of staff.

Everything in it comes from the column specification (placements/import_columns.py), the date windows
(placements/rules.py) and the reference data the user may choose from, so it always says what the import
accepts:
- `Hires`, the sheet the import reads (it reads the first sheet only): the headings, each with its note as a
  comment, drop-down lists of the user's schemes, organisations, locations, grades and outcomes, dates checked
  against their windows and text against its length;
- `Example`: the same headings and one filled row that imports cleanly (kept off the Hires sheet, so it is
  never imported by mistake);
- `Notes`: what goes in each column, and how an import is judged;
- `Lists`: the values the drop-down lists offer.
"""

from __future__ import annotations

import datetime
import io

from django.conf import settings
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from schemes.models import Grade, Location, Organisation, Scheme

from . import rules
from .access import filing_organisations
from .choices import OutcomeCode
from .import_columns import COLUMNS, HiresColumn, Kind
from .models import Placement

DATE_FORMAT = "dd/mm/yyyy"
BOLD = Font(bold=True)


def template_lists(user) -> dict[str, list[str]]:
    """What the user may choose in each kind of column: the schemes, the organisations they may file records
    under, every site, the common grades and their organisations' own, the outcomes; any organisation as a
    transfer's destination."""
    filing = filing_organisations(user, Placement)
    organisations = list(filing.order_by("code").values_list("code", flat=True))
    own = filing.values("pk")
    grades = Grade.objects.filter(organisation__isnull=True) | Grade.objects.filter(organisation__in=own)
    return {
        Kind.SCHEME: list(Scheme.objects.order_by("code").values_list("code", flat=True)),
        Kind.ORGANISATION: organisations,
        "destination": list(Organisation.objects.order_by("code").values_list("code", flat=True)),
        Kind.LOCATION: list(Location.objects.order_by("name").values_list("name", flat=True)),
        Kind.GRADE: list(grades.order_by("rank", "code").values_list("code", flat=True)),
        Kind.OUTCOME: [label for _code, label in OutcomeCode.choices],
    }


def _list_for(column: HiresColumn) -> str:
    return "destination" if column.key == "destination" else column.kind


def example_row(lists: dict[str, list[str]]) -> dict[str, object]:
    """One hire that imports cleanly for this user: the specification's examples, the first of their lists."""
    first_year = dict(Scheme.objects.values_list("code", "first_year"))
    schemes = [code for code in lists[Kind.SCHEME] if (first_year[code] or 0) <= 2024]
    organisation = lists[Kind.ORGANISATION][0] if lists[Kind.ORGANISATION] else ""
    row: dict[str, object] = {column.key: column.example for column in COLUMNS}
    row.update(
        candidate_reference=f"{organisation}-2024-017",
        scheme=schemes[0] if schemes else "",
        organisation=organisation,
        location=lists[Kind.LOCATION][0],
        grade=lists[Kind.GRADE][0],
        outcome=OutcomeCode.PERMANENT.label,
    )
    return row


def _date_window(column: HiresColumn, windows: rules.DateWindows) -> tuple[datetime.date, datetime.date]:
    if column.key == "date_of_birth":  # old enough at today's offer, young enough at the earliest one
        youngest = windows.today - datetime.timedelta(days=365 * windows.min_age)
        return datetime.date(windows.earliest_year - windows.max_age - 1, 1, 1), youngest
    field = {"outcome_on": "on"}.get(column.key, column.key)
    return datetime.date(windows.earliest_year, 1, 1), windows.latest(field)


def build_template(user) -> bytes:
    """The template for `user`, as the bytes of an .xlsx workbook."""
    lists = template_lists(user)
    windows = rules.DateWindows.from_settings()
    workbook = Workbook()
    hires = workbook.active
    hires.title = "Hires"
    example = workbook.create_sheet("Example")
    notes = workbook.create_sheet("Notes")
    values = workbook.create_sheet("Lists")

    # Lists: one column per kind of value, headed by the kind.
    ranges = {}
    for index, (kind, items) in enumerate(lists.items(), start=1):
        letter = get_column_letter(index)
        values.cell(row=1, column=index, value=f"{kind}s".capitalize()).font = BOLD
        for row, item in enumerate(items, start=2):
            values.cell(row=row, column=index, value=item)
        ranges[kind] = f"Lists!${letter}$2:${letter}${max(len(items), 1) + 1}"
        values.column_dimensions[letter].width = 24

    last_row = settings.IMPORT_MAX_ROWS
    row = example_row(lists)
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        cells = f"{letter}2:{letter}{last_row}"
        for sheet in (hires, example):
            heading = sheet.cell(row=1, column=index, value=column.heading)
            heading.font = BOLD
            sheet.column_dimensions[letter].width = max(14, len(column.heading) + 4)
        hires.cell(row=1, column=index).comment = Comment(_note(column), "Import template")
        filled = example.cell(row=2, column=index, value=row[column.key])
        if column.kind == Kind.DATE:
            filled.number_format = DATE_FORMAT
            hires.column_dimensions[letter].number_format = DATE_FORMAT
            start, end = _date_window(column, windows)
            check = DataValidation(type="date", operator="between", formula1=_serial(start), formula2=_serial(end))
            check.error = f"A date from {start:%d/%m/%Y} to {end:%d/%m/%Y}."
        elif column.kind == Kind.TEXT:
            check = DataValidation(type="textLength", operator="lessThanOrEqual", formula1=str(column.max_length))
            check.error = f"At most {column.max_length} characters."
        else:
            check = DataValidation(type="list", formula1=f"={ranges[_list_for(column)]}", errorStyle="warning")
            check.error = "Not in the list: the import accepts other spellings it knows, and says if it does not."
        check.errorTitle = column.heading
        check.showErrorMessage = True
        check.add(cells)
        hires.add_data_validation(check)
    hires.freeze_panes = "A2"
    example.freeze_panes = "A2"

    notes.append(["Column", "Required", "What to enter"])
    for cell in notes[1]:
        cell.font = BOLD
    for column in COLUMNS:
        notes.append([column.heading, "yes" if column.required else "no", _note(column)])
    notes.append([])
    for line in _general_notes(windows):
        notes.append([line])
    notes.column_dimensions["A"].width = 26
    notes.column_dimensions["C"].width = 110

    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _serial(day: datetime.date) -> str:
    """A date as Excel's data validation wants it: its serial number (days since 30 December 1899)."""
    return str((day - datetime.date(1899, 12, 30)).days)


def _note(column: HiresColumn) -> str:
    note = column.note
    if column.kind == Kind.TEXT:
        note += f" At most {column.max_length} characters."
    elif column.kind == Kind.DATE:
        note += " A date, e.g. 31/03/2024."
    elif column.key == "destination":
        note += " An organisation from the Lists sheet."
    else:
        note += f" One of the {column.kind.value}s on the Lists sheet."
    return note.strip()


def _general_notes(windows: rules.DateWindows) -> list[str]:
    return [
        "Fill in the Hires sheet, one row per placement; the import reads that sheet only (see Example).",
        "All or nothing: if any row is wrong, nothing is saved and every problem is listed by row and column.",
        "Importing the same file again changes nothing; a later row with an offer's date and a start date adds "
        "the start.",
        f"Dates run from {windows.earliest_year} (or the scheme's first year) to a short way ahead of today; "
        f"a candidate is {windows.min_age} to {windows.max_age} years old at the offer.",
        "Text starting with =, +, - or @ is refused: a spreadsheet would run it as a formula.",
        f"At most {settings.IMPORT_MAX_ROWS:,} rows and {settings.IMPORT_MAX_FILE_MB} MB a file.",
    ]
