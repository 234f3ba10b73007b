"""Build small hires spreadsheets in a test, the way HR staff would fill them in."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook

from placements.import_columns import COLUMNS

HEADINGS = [column.heading for column in COLUMNS]


def write_xlsx(path: Path, rows: list[dict], headings: list[str] | None = None) -> Path:
    """One sheet, headings in row 1, one row per dict (missing keys are empty cells)."""
    headings = headings or HEADINGS
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headings)
    for row in rows:
        sheet.append([row.get(heading) for heading in headings])
    workbook.save(path)
    return path


def write_csv(path: Path, rows: list[dict], headings: list[str] | None = None) -> Path:
    headings = headings or HEADINGS
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(headings)
        for row in rows:
            writer.writerow(["" if row.get(heading) is None else row.get(heading) for heading in headings])
    return path
