"""Any dashboard table as a CSV file or an accessible xlsx workbook, written from the same Table the page shows.

The workbook follows the FOI pack's conventions (reporting/packs.py, whose writer helpers it uses): a Cover
sheet saying what the figures cover, a Notes sheet defining every figure and the symbol, and the table on a
sheet of its own as one real Excel table with its title in A1; hidden counts are the symbol (`[c]`), never 0.
"""

from __future__ import annotations

import csv
import io

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from reporting.dashboard import DEFINITIONS, Filters
from reporting.packs import _add_table, _title, _write_rows

from .tables import Table

EMPTY = ""  # a cell with nothing to show ("–" on the page)


def cell_value(value):
    """What a download holds for a cell: numbers as numbers, hidden counts as their symbol, the rest as text."""
    if value is None:
        return EMPTY
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int | float):
        return value
    return str(value)


def _rows(table: Table) -> list[tuple]:
    return [tuple(column.heading for column in table.columns)] + [
        tuple(cell_value(cell) for cell in row) for row in table.rows
    ]


def as_csv(table: Table) -> bytes:
    """The table as CSV (UTF-8 with a byte order mark, so Excel reads it as UTF-8). Text starting with a
    character a spreadsheet would read as a formula is quoted with a leading apostrophe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in _rows(table):
        writer.writerow([_safe_text(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode()


def _safe_text(value):
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") and not _is_number(value):
        return "'" + value
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def as_xlsx(
    table: Table, filters: Filters, page_title: str, covers: str = "", definitions: dict[str, str] | None = None
) -> bytes:
    workbook = Workbook()
    cover = workbook.active
    cover.title = "Cover"
    _title(cover, f"{table.title}: {page_title}")
    about = [
        ("What this covers", covers or filters.describe()),
        ("Date produced", timezone.localdate().strftime("%d %B %Y")),
        ("Source", table.source or "Care leaver employment schemes"),
        ("About this table", "The table is on the sheet Table_1; the Notes sheet defines every figure."),
    ]
    _write_rows(cover, about, first_row=3)
    for row in range(3, 3 + len(about)):
        cover.cell(row=row, column=1).font = Font(bold=True)
    cover.column_dimensions["A"].width = 22
    cover.column_dimensions["B"].width = 100

    notes_sheet = workbook.create_sheet("Notes")
    _title(notes_sheet, "Notes")
    notes_sheet["A2"] = "This worksheet contains one table of definitions and notes."
    notes = [
        ("Term", "Meaning"),
        *(DEFINITIONS if definitions is None else definitions).items(),
        *((f"Note {n}", note) for n, note in enumerate(table.notes, 1)),
    ]
    _write_rows(notes_sheet, notes, first_row=3)
    _add_table(notes_sheet, "notes", 3, 2 + len(notes), 2)
    notes_sheet.column_dimensions["A"].width = 30
    notes_sheet.column_dimensions["B"].width = 120

    sheet = workbook.create_sheet("Table_1")
    _title(sheet, f"{table.title} (Table 1)")
    sheet["A2"] = "This worksheet contains one table. Hidden counts are shown as [c]: see Notes."
    rows = _rows(table)
    _write_rows(sheet, rows, first_row=3)
    _add_table(sheet, "table_1", 3, 2 + len(rows), len(table.columns))
    for position, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(position)].width = max(12, min(40, len(column.heading) + 2))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
