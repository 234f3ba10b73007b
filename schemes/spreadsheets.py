"""Pieces every spreadsheet import shares: how a problem is reported, how a cell is read and quoted, which
text is refused, and how a sheet's headings are matched to the columns an import knows.

Lives in `schemes` (the bottom of the dependency chain) so the reference-data import here and the hires
import in placements use the same words and the same rules for the same things. Reading the files
themselves, within the import limits, is `schemes/spreadsheet_files.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .models import normalise_name

# Text that a spreadsheet program would run as a formula if it were written back out into a cell.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# How much of a value a message quotes: enough to find the cell, never a whole megabyte pasted into it.
QUOTED_CHARACTERS = 40


class UnreadableFile(ValueError):
    """The file is not a spreadsheet the import can read (wrong type, damaged, no headings, over a limit)."""


@dataclass(frozen=True)
class ImportProblem:
    """One problem with a file: the spreadsheet row (headings are row 1), the column heading and why.

    `sheet` names the worksheet when a file has several (the reference-data workbook)."""

    row: int
    heading: str
    message: str
    sheet: str = ""

    def __str__(self) -> str:
        where = f"{self.sheet} row {self.row}" if self.sheet else f"row {self.row}"
        return f"{where}, {self.heading}: {self.message}"


def cell_text(value: Any) -> str | None:
    """A cell as trimmed text; whole numbers lose the '.0' a spreadsheet gives them; blank is None."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def quoted(text: str) -> str:
    """A value as a message quotes it: in quotes, and cut to its first 40 characters when longer."""
    if len(text) <= QUOTED_CHARACTERS:
        return f"'{text}'"
    return f"'{text[:QUOTED_CHARACTERS]}…' ({len(text):,} characters)"


def formula_problem(value: str) -> str | None:
    """Why a piece of text is refused: a spreadsheet would run it as a formula when it is exported again.

    Imports refuse such text rather than alter it, so nothing stored can turn into a formula in any
    export (FOI packs, admin exports, scheduled exports) and nothing is silently changed."""
    if value and value.startswith(FORMULA_PREFIXES):
        first = value[0] if value[0].strip() else "a tab or line break"
        return (
            f"{quoted(value.strip())} starts with '{first}', which a spreadsheet would run as a formula; "
            "remove that character"
        )
    return None


def nul_problem(value: str) -> str | None:
    """Why text holding a NUL character is refused: the database cannot store it."""
    if value and "\x00" in value:
        return "contains a NUL character (a zero byte), which cannot be stored; remove it"
    return None


def column_letter(index: int) -> str:
    """The spreadsheet's name of a 0-based column index: 0 is A, 26 is AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


@dataclass(frozen=True)
class Column:
    """A column an import reads: the key its code uses, the heading that names it, whether a sheet needs it."""

    key: str
    heading: str
    required: bool = False


@dataclass
class MatchedHeadings:
    """Where each known column is in a sheet (0-based), and what was wrong or odd about the headings."""

    positions: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (heading, message), both of row 1


def match_headings(cells: Sequence[Any], columns: Sequence[Column]) -> MatchedHeadings:
    """Match a headings row to the columns an import knows: one rule for every import.

    A heading matches a column whatever its case, spaces and punctuation (`start_date` is `Start date`). An
    unknown heading is a warning (the column is ignored). A known column appearing twice is a problem: which
    of the two the sheet means cannot be known. A required column that is absent is a problem."""
    by_folded = {normalise_name(column.heading): column for column in columns}
    matched = MatchedHeadings()
    for index, cell in enumerate(cells):
        text = cell_text(cell)
        if text is None:
            continue
        column = by_folded.get(normalise_name(text))
        if column is None:
            matched.warnings.append(f"Column {quoted(text)} is not one the import knows; it was ignored.")
        elif column.key in matched.positions:
            first = column_letter(matched.positions[column.key])
            matched.problems.append(
                (column.heading, f"this column appears twice (columns {first} and {column_letter(index)}); keep one")
            )
        else:
            matched.positions[column.key] = index
    for column in columns:
        if column.required and column.key not in matched.positions:
            matched.problems.append((column.heading, "this column is missing; the import needs it"))
    return matched
