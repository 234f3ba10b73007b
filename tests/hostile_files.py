"""Hostile spreadsheets, built the way an attacker (or a broken export) would build them, for the door's tests.

Each one is small on disk, or small in what it holds, and large in what a careless reader would make of it.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path

from openpyxl import Workbook

MB = 1024 * 1024
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>'
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        f'2006/relationships"><Relationship Id="rId1" Type="{RELATIONSHIPS}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        f'2006/relationships"><Relationship Id="rId1" Type="{RELATIONSHIPS}/worksheet" '
        'Target="worksheets/sheet1.xml"/></Relationships>'
    ),
}


def cell(reference: str, text: str) -> str:
    return f'<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>'


def raw_xlsx(path: Path, sheet_data: Iterable[str], *, dimension: str | None = None, title: str = "Hires") -> Path:
    """An .xlsx written part by part: the sheet's XML exactly as given (streamed, so it may inflate hugely)."""
    workbook = (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">'
        f'<sheets><sheet name="{title}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in PARTS.items():
            archive.writestr(name, text)
        archive.writestr("xl/workbook.xml", workbook)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            declared = f'<dimension ref="{dimension}"/>' if dimension else ""
            opening = f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">{declared}<sheetData>'
            sheet.write(opening.encode())
            for piece in sheet_data:
                sheet.write(piece.encode())
            sheet.write(b"</sheetData></worksheet>")
    return path


def dimension_bomb(path: Path, title: str = "Hires") -> Path:
    """Only two cells, A1 and XFD1048576, as a spreadsheet program saves them: a reader that fills in every cell
    between them asks for 17 billion cells (512 GiB)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet["A1"] = "Candidate reference"
    sheet["XFD1048576"] = "x"
    workbook.save(path)
    return path


def inflating_xlsx(path: Path, megabytes: int, title: str = "Hires") -> Path:
    """A sheet of two real rows and `megabytes` MiB of XML whitespace between them: a few hundred KiB on disk."""
    padding = " " * MB

    def sheet_data():
        yield f'<row r="1">{cell("A1", "Candidate reference")}</row>'
        for _ in range(megabytes):
            yield padding
        yield f'<row r="2">{cell("A2", "ONS-1")}</row>'

    return raw_xlsx(path, sheet_data(), title=title)


def oversized_csv(path: Path, megabytes: int) -> Path:
    """A CSV of `megabytes` MiB of plausible rows."""
    row = "ONS-000001,2003-05-17,GFiE,ONS,Data Science Campus,Newport,AO,2023-06-01,2023-09-04\r\n"
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("Candidate reference,Date of birth,Scheme,Organisation,Business unit,Location,Grade,Offer date,")
        handle.write("Start date\r\n")
        handle.write(row * (megabytes * MB // len(row) + 1))
    return path
