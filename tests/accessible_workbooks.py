"""The Analysis Function's checklist for accessible spreadsheets ("Releasing statistics in spreadsheets"), as
a person checking a workbook opened in Excel would go through it, for the workbooks the product publishes (the
FOI pack, the progress report). `checklist_problems` names every point a workbook misses; an empty list passes.

Checked: the title and author properties; a cover sheet first with no blank row among its lines; a contents
sheet listing every sheet, each name a link to that sheet; a notes sheet numbering its notes `note 1`,
`note 2`... in a table, every note referred to as `[note N]` from a table's sheet (its title or headings),
every reference naming a note that exists, and no reference inside a table's data cells; every other sheet
with its title in A1, exactly one Excel table starting in column A with no blank row above it from the title
down, no merged cells and no blank cell inside the table.
"""

from __future__ import annotations

import re

from openpyxl.utils.cell import range_boundaries

NOTE_REFERENCE = re.compile(r"\[note (\d+)\]")


def _text_cells(sheet):
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                yield cell


def table_bounds(table) -> tuple[int, int, int, int]:
    """(first row, first column, last row, last column) of an Excel table's range, 1-based."""
    first_column, first_row, last_column, last_row = range_boundaries(table.ref)
    return first_row, first_column, last_row, last_column


def notes_table(workbook) -> list[tuple]:
    """The rows of the Notes sheet's table below its headings."""
    sheet = workbook["Notes"]
    (table,) = sheet.tables.values()
    first_row, first_column, last_row, last_column = table_bounds(table)
    return [
        tuple(sheet.cell(row, column).value for column in range(first_column, last_column + 1))
        for row in range(first_row + 1, last_row + 1)
    ]


def checklist_problems(workbook, *, cover: str = "Cover", contents: str = "Contents", notes: str = "Notes") -> list:
    problems = []
    properties = workbook.properties
    if not (properties.title or "").strip():
        problems.append("the workbook's title property is not set")
    if not (properties.creator or "").strip() or properties.creator == "openpyxl":
        problems.append("the workbook's author property is not set")

    names = workbook.sheetnames
    if names[:1] != [cover]:
        problems.append(f"the first sheet is {names[:1]}, not the cover")
    else:
        lines = [
            row
            for row in range(1, workbook[cover].max_row + 1)
            if any(cell.value not in (None, "") for cell in workbook[cover][row])
        ]
        blank = sorted(set(range(1, (lines[-1] if lines else 0) + 1)) - set(lines))
        if blank:
            problems.append(f"the cover has blank rows {blank}")

    if contents not in names:
        problems.append("there is no contents sheet")
    else:
        links = {}
        for cell in _text_cells(workbook[contents]):
            if cell.hyperlink is not None:
                links[cell.value] = cell.hyperlink.location
        for name in names:
            if name not in links:
                problems.append(f"the contents does not list the sheet {name}")
            elif links[name].split("!")[0].strip("'") != name:
                problems.append(f"the contents' link for {name} goes to {links[name]}")

    numbers = []
    if notes not in names:
        problems.append("there is no notes sheet")
    else:
        if len(workbook[notes].tables) != 1:
            problems.append("the notes are not in one table")
        else:
            numbers = [row[0] for row in notes_table(workbook)]
            expected = [f"note {number}" for number in range(1, len(numbers) + 1)]
            if numbers != expected:
                problems.append(f"the notes are numbered {numbers}, not {expected}")

    referenced = set()  # from the tables' sheets: what the cover and notes say about notes refers to none
    for name in names:
        sheet = workbook[name]
        data_cells = set()
        for table in sheet.tables.values():
            first_row, first_column, last_row, last_column = table_bounds(table)
            rows, columns = range(first_row + 1, last_row + 1), range(first_column, last_column + 1)
            data_cells |= {(row, column) for row in rows for column in columns}
        for cell in _text_cells(sheet):
            found = NOTE_REFERENCE.findall(cell.value)
            if not found:
                continue
            if name in (cover, notes):
                continue
            if (cell.row, cell.column) in data_cells:
                problems.append(f"{name}!{cell.coordinate} refers to a note inside the table's data")
            elif name != contents:
                referenced |= {f"note {number}" for number in found}
    for missing in sorted(referenced - set(numbers)):
        problems.append(f"[{missing}] is referred to but the notes have no {missing}")
    for unused in [number for number in numbers if number not in referenced]:
        problems.append(f"{unused} is referred to nowhere")

    for name in names:
        if name == cover:
            continue
        sheet = workbook[name]
        if not sheet["A1"].value:
            problems.append(f"{name} has no title in A1")
        if sheet.merged_cells.ranges:
            problems.append(f"{name} has merged cells")
        if len(sheet.tables) != 1:
            problems.append(f"{name} holds {len(sheet.tables)} tables, not one")
            continue
        (table,) = sheet.tables.values()
        first_row, first_column, last_row, last_column = table_bounds(table)
        if first_column != 1:
            problems.append(f"{name}'s table does not start in column A")
        above = [row for row in range(1, first_row) if sheet.cell(row, 1).value in (None, "")]
        if above:
            problems.append(f"{name} has blank rows {above} above its table")
        for row in sheet.iter_rows(min_row=first_row, max_row=last_row, min_col=first_column, max_col=last_column):
            if any(cell.value in (None, "") for cell in row):
                problems.append(f"{name} has a blank cell inside its table (row {row[0].row})")
                break
    return problems
