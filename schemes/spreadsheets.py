"""Pieces every spreadsheet import shares: how a problem is reported, how a cell is read, which text is refused.

Lives in `schemes` (the bottom of the dependency chain) so the reference-data import here and the hires
import in placements use the same words for the same things.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Text that a spreadsheet program would run as a formula if it were written back out into a cell.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class UnreadableFile(ValueError):
    """The file is not a spreadsheet the import can read (wrong type, damaged, no headings)."""


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


def formula_problem(value: str) -> str | None:
    """Why a piece of text is refused: a spreadsheet would run it as a formula when it is exported again.

    Imports refuse such text rather than alter it, so nothing stored can turn into a formula in any
    export (FOI packs, admin exports, scheduled exports) and nothing is silently changed."""
    if value and value.startswith(FORMULA_PREFIXES):
        shown = value.strip()[:40]
        first = value[0] if value[0].strip() else "a tab or line break"
        return f"'{shown}' starts with '{first}', which a spreadsheet would run as a formula; remove that character"
    return None
