"""Spreadsheet files read at the door, for both imports (hires, reference data) and both doors (the commands
and the admin): what comes out is a sheet's headings and rows; what never gets in is a file over the limits.

Every file is checked against the import limits (settings `IMPORT_MAX_*`, docs/decisions/0016) before any sheet
is parsed, so a hostile file is refused within a second or two, in little memory, with a message that names the
limit and the setting that changes it:
- the file's size;
- an .xlsx: how many parts its archive holds and how much they inflate to, from the archive's directory (the
  zip readers, Python's and python-calamine's, refuse a part that inflates to more than the directory says,
  so those sizes hold without inflating anything); then, for each sheet that will be read, the dimension it
  declares and the rows, columns and cells its cells really span, found by scanning the sheet's XML as it
  inflates. Only then does python-calamine (decision 0013) parse the sheet: it allocates every cell between A1
  and the farthest one used, so two cells at A1 and XFD1048576 would have it ask for 512 GiB;
- a .csv: its text encoding (UTF-8 with or without a byte-order mark, UTF-16 with one, else Windows-1252;
  anything else is refused with a message), then its rows, columns and cells, counted before any row is
  handed on.
Rows come back one at a time, as lists, with empty rows kept so row numbers stay those the spreadsheet shows.
"""

from __future__ import annotations

import codecs
import csv
import html
import io
import os
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings

from .spreadsheets import UnreadableFile, column_letter

MB = 1024 * 1024
# An .xlsx holds a few dozen parts; a directory of a million tiny ones would cost memory just to list.
MAX_XLSX_PARTS = 10_000
# The workbook's list of sheets and its relationships are read whole; real ones are a few kilobytes.
MAX_WORKBOOK_PART_BYTES = MB
# How much of a sheet's start is read for its declared dimension (it comes before the cells).
DIMENSION_WINDOW = 64 * 1024
SCAN_CHUNK = MB

Source = str | Path | IO[bytes]


@dataclass(frozen=True)
class ImportLimits:
    """What the door lets in; defaults (careleavers/settings.py) fit a national register of 100,000 rows."""

    file_mb: int
    inflated_mb: int
    rows: int
    columns: int
    cells: int

    @classmethod
    def from_settings(cls) -> ImportLimits:
        return cls(
            file_mb=settings.IMPORT_MAX_FILE_MB,
            inflated_mb=settings.IMPORT_MAX_INFLATED_MB,
            rows=settings.IMPORT_MAX_ROWS,
            columns=settings.IMPORT_MAX_COLUMNS,
            cells=settings.IMPORT_MAX_CELLS,
        )


class FileRefused(UnreadableFile):
    """The file is over one of the import limits; nothing of it was parsed."""


def _refused(what: str, limit: str, setting: str) -> FileRefused:
    return FileRefused(
        f"{what}; at most {limit} can be imported (setting {setting}). Nothing was saved: split the file, "
        "or ask an administrator to raise the limit."
    )


@dataclass
class Sheet:
    """One sheet as an import reads it: its name, its headings (row 1) and its other rows, lazily."""

    name: str
    headings: list[Any]
    rows: Iterator[list[Any]]


def file_label(source: Source, name: str | None = None) -> str:
    """The file's name as messages give it (no folders)."""
    return Path(str(name or getattr(source, "name", None) or source)).name


def file_size(source: Source) -> int:
    if isinstance(source, str | Path):
        return os.path.getsize(source)
    size = getattr(source, "size", None)  # Django's uploaded files know theirs
    if size is not None:
        return size
    position = source.tell()
    size = source.seek(0, io.SEEK_END)
    source.seek(position)
    return size


def check_file_size(size: int, label: str, limits: ImportLimits | None = None) -> None:
    """Refuse a file larger than IMPORT_MAX_FILE_MB (the admin calls this on the upload, before reading it)."""
    limits = limits or ImportLimits.from_settings()
    if size > limits.file_mb * MB:
        raise _refused(f"{label} is {size / MB:,.1f} MB", f"{limits.file_mb} MB", "IMPORT_MAX_FILE_MB")


def read_first_sheet(
    source: Source, *, name: str | None = None, kind: str | None = None, limits: ImportLimits | None = None
) -> Sheet:
    """The first sheet of an .xlsx file, or a .csv file, checked against the import limits first.

    `kind` (".xlsx" or ".csv") is the file's type when its name does not say (the admin's chosen format)."""
    label = file_label(source, name)
    limits = limits or ImportLimits.from_settings()
    suffix = kind or Path(label).suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise UnreadableFile(f"{label}: only .xlsx and .csv files can be imported.")
    check_file_size(file_size(source), label, limits)
    if suffix == ".csv":
        return _read_csv(source, label, limits)
    sheets, _others = _read_xlsx(source, label, limits, wanted=None)
    return sheets[0]


def read_workbook(
    source: Source, wanted: Callable[[str], bool], *, name: str | None = None, limits: ImportLimits | None = None
) -> tuple[list[Sheet], list[str]]:
    """The sheets of an .xlsx workbook whose names `wanted` accepts, checked and read in workbook order, and
    the names of the others (neither checked nor read)."""
    label = file_label(source, name)
    limits = limits or ImportLimits.from_settings()
    check_file_size(file_size(source), label, limits)
    return _read_xlsx(source, label, limits, wanted=wanted)


# .xlsx ------------------------------------------------------------------------------------------------------


def _read_xlsx(
    source: Source, label: str, limits: ImportLimits, *, wanted: Callable[[str], bool] | None
) -> tuple[list[Sheet], list[str]]:
    """Check the archive and the chosen sheets (the first one when `wanted` is None), then parse them."""
    from python_calamine import CalamineError, CalamineWorkbook

    unreadable = f"{label} could not be read as an .xlsx workbook"
    if not isinstance(source, str | Path):
        source.seek(0)
    try:
        with zipfile.ZipFile(source) as archive:
            _check_archive(archive, label, limits)
            parts = _sheet_parts(archive, unreadable)
            if not parts:
                raise UnreadableFile(f"{unreadable} (it has no sheets).")
            indexed = list(enumerate(parts))
            chosen = indexed[:1] if wanted is None else [(index, part) for index, part in indexed if wanted(part[0])]
            others = [] if wanted is None else [sheet for sheet, _part in parts if not wanted(sheet)]
            for _index, (sheet, part) in chosen:
                _check_sheet(archive, part, f"Sheet '{sheet}' of {label}", limits, unreadable)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, RuntimeError, EOFError) as error:
        # RuntimeError: an encrypted part; EOFError: a truncated one.
        raise UnreadableFile(f"{unreadable} ({error}).") from error
    try:
        if isinstance(source, str | Path):
            workbook = CalamineWorkbook.from_path(str(source))
        else:
            source.seek(0)
            workbook = CalamineWorkbook.from_filelike(source)
        with workbook:
            sheets = [_calamine_sheet(workbook.get_sheet_by_index(index), sheet) for index, (sheet, _part) in chosen]
    except (CalamineError, ValueError, OSError) as error:
        raise UnreadableFile(f"{unreadable} ({error}).") from error
    return sheets, others


def _check_archive(archive: zipfile.ZipFile, label: str, limits: ImportLimits) -> None:
    parts = archive.infolist()
    if len(parts) > MAX_XLSX_PARTS:
        raise UnreadableFile(f"{label} holds {len(parts):,} parts; an .xlsx workbook holds a few dozen.")
    inflated = sum(part.file_size for part in parts)
    if inflated > limits.inflated_mb * MB:
        raise _refused(
            f"{label} inflates to {inflated / MB:,.0f} MB when opened",
            f"{limits.inflated_mb} MB",
            "IMPORT_MAX_INFLATED_MB",
        )


_SHEET_TAG = re.compile(rb"<(?:[\w.-]+:)?sheet(?=[\s/>])[^>]*>")
_RELATIONSHIP_TAG = re.compile(rb"<(?:[\w.-]+:)?Relationship(?=[\s/>])[^>]*>")
_ATTRIBUTE = re.compile(rb"""([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _attributes(tag: bytes) -> dict[bytes, bytes]:
    return {match[1]: match[2] if match[2] is not None else match[3] for match in _ATTRIBUTE.finditer(tag)}


def _small_part(archive: zipfile.ZipFile, part: str, unreadable: str) -> bytes:
    try:
        info = archive.getinfo(part)
    except KeyError:
        raise UnreadableFile(f"{unreadable} (it has no {part}).") from None
    if info.file_size > MAX_WORKBOOK_PART_BYTES:
        raise UnreadableFile(f"{unreadable} ({part} is {info.file_size / MB:,.0f} MB; a real one is a few KB).")
    return archive.read(info)


def _sheet_parts(archive: zipfile.ZipFile, unreadable: str) -> list[tuple[str, str]]:
    """(sheet name, part holding it) for every sheet, in workbook order, found as python-calamine finds them:
    `xl/workbook.xml` lists the sheets with a relationship id each, `xl/_rels/workbook.xml.rels` gives each
    id's target, relative to `xl/` unless it starts with `xl/` or `/xl/`."""
    targets = {}
    for tag in _RELATIONSHIP_TAG.findall(_small_part(archive, "xl/_rels/workbook.xml.rels", unreadable)):
        attributes = _attributes(tag)
        targets[attributes.get(b"Id")] = attributes.get(b"Target", b"").decode("utf-8", "replace")
    parts = []
    for tag in _SHEET_TAG.findall(_small_part(archive, "xl/workbook.xml", unreadable)):
        attributes = _attributes(tag)
        name = html.unescape(attributes.get(b"name", b"").decode("utf-8", "replace"))
        target = targets.get(attributes.get(b"r:id", attributes.get(b"relationships:id")))
        if target is None:
            raise UnreadableFile(f"{unreadable} (sheet '{name}' has no part).")
        if target.startswith("/xl/"):
            target = target[1:]
        elif not target.startswith("xl/"):
            target = f"xl/{target}"
        parts.append((name, target))
    return parts


@dataclass(frozen=True)
class _Span:
    """How far a sheet's cells reach: the last row and column used (1-based), and how many cells it holds."""

    rows: int
    columns: int
    cells: int

    @property
    def area(self) -> int:
        """The cells a reader allocates: every one from A1 to the farthest row and column used."""
        return self.rows * self.columns


def _check_span(span: _Span, where: str, limits: ImportLimits, declared: str = "") -> None:
    says = f"{where} {'declares' if declared else 'spans'}"
    dimension = f" ({declared})" if declared else ""
    if span.rows > limits.rows:
        raise _refused(f"{says} {span.rows:,} rows{dimension}", f"{limits.rows:,} rows", "IMPORT_MAX_ROWS")
    if span.columns > limits.columns:
        raise _refused(
            f"{says} {span.columns:,} columns, to column {column_letter(span.columns - 1)}{dimension}",
            f"{limits.columns:,} columns",
            "IMPORT_MAX_COLUMNS",
        )
    if span.area > limits.cells or span.cells > limits.cells:
        raise _refused(
            f"{says} {span.rows:,} rows by {span.columns:,} columns, {span.area:,} cells{dimension}",
            f"{limits.cells:,} cells",
            "IMPORT_MAX_CELLS",
        )


_DIMENSION = re.compile(rb"""<(?:[\w.-]+:)?dimension\s[^>]*?\bref\s*=\s*["']([^"']*)["']""")
_REFERENCE = re.compile(rb"^([A-Za-z]+)([0-9]+)$")


def _cell_position(reference: bytes) -> tuple[int, int] | None:
    """(row, column), both 1-based, of a reference such as `XFD1048576`; None if it is not one."""
    match = _REFERENCE.match(reference)
    if match is None:
        return None
    column = 0
    for letter in match[1].upper():
        column = column * 26 + letter - 64
    return int(match[2]), column


def _check_sheet(archive: zipfile.ZipFile, part: str, where: str, limits: ImportLimits, unreadable: str) -> None:
    """The sheet's declared dimension, then what its cells really span, within the limits; or FileRefused."""
    try:
        info = archive.getinfo(part)
    except KeyError:
        raise UnreadableFile(f"{unreadable} (it has no {part}).") from None
    with archive.open(info) as stream:
        start = stream.read(DIMENSION_WINDOW)
    if match := _DIMENSION.search(start):
        declared = match[1].decode("ascii", "replace")
        end = _cell_position(match[1].split(b":")[-1].strip())
        if end is not None:
            _check_span(_Span(rows=end[0], columns=end[1], cells=0), where, limits, declared=declared)
    with archive.open(info) as stream:
        span = _fast_span(stream, limits, where)
    if span is None:  # cells written in a form the quick scan does not follow: follow each one
        with archive.open(info) as stream:
            span = _exact_span(stream, limits, where)
    _check_span(span, where, limits)


def _chunks(stream: IO[bytes]) -> Iterator[bytes]:
    """The stream in pieces that each end just before a `<`, so no tag is cut in two."""
    pending: list[bytes] = []  # read, but not yet ended by a `<`
    while data := stream.read(SCAN_CHUNK):
        cut = data.rfind(b"<")
        if cut < 0:
            pending.append(data)
            continue
        piece = b"".join([*pending, data[:cut]])
        pending = [data[cut:]]
        if piece:
            yield piece
    if pending:
        yield b"".join(pending)


_CELL_OPENINGS = (b"<c ", b"<c>", b"<c/", b"<c\n", b"<c\r", b"<c\t")
_PREFIXED_CELL_OPENINGS = (b":c ", b":c>", b":c/", b":c\n", b":c\r", b":c\t")


def _fast_span(stream: IO[bytes], limits: ImportLimits, where: str) -> _Span | None:
    """The sheet's span, from the references of the cells that reach far; None if the quick scan cannot tell.

    Every spreadsheet program writes each cell as `<c r="B7" ...>`. A reference with fewer letters than the
    column limit has and fewer digits than the row limit has is within both, so only the others are read;
    when the area the small ones could span is within the cell limit too, nothing else need be known. Cells
    written any other way (no reference, another attribute first, a namespace prefix) send the sheet to the
    exact scan."""
    column_letters = len(column_letter(limits.columns - 1))
    row_digits = len(str(limits.rows))
    far = re.compile(rb'<c r="([A-Za-z]{%d,}[0-9]+|[A-Za-z]+[0-9]{%d,})"' % (column_letters, row_digits))
    small_rows, small_columns = 10 ** (row_digits - 1) - 1, sum(26**n for n in range(1, column_letters))
    cells = rows = columns = 0
    small = False
    for data in _chunks(stream):
        opened = sum(data.count(opening) for opening in _CELL_OPENINGS)
        referenced = data.count(b'<c r="')
        if opened != referenced or any(opening in data for opening in _PREFIXED_CELL_OPENINGS):
            return None
        references = far.findall(data)
        cells += opened
        small = small or opened > len(references)
        for reference in references:
            row, column = _cell_position(reference)
            rows, columns = max(rows, row), max(columns, column)
        _check_span(_Span(rows, columns, cells), where, limits)  # stop at once, not at the end of a bomb
    if small:
        rows, columns = max(rows, small_rows), max(columns, small_columns)
        if rows * columns > limits.cells:
            return None  # within the limits only if the small ones stay small: find out exactly
    return _Span(rows, columns, cells)


_TAG = re.compile(rb"<(?:[\w.-]+:)?(row|c)(?=[\s/>])[^>]*>")
_R_ATTRIBUTE = re.compile(rb"""\sr\s*=\s*["']([^"']*)["']""")


def _exact_span(stream: IO[bytes], limits: ImportLimits, where: str) -> _Span:
    """The sheet's span, following every row and cell as python-calamine places them: by its reference, or
    next to the one before when it has none."""
    rows = columns = cells = 0
    row = column = 0
    for data in _chunks(stream):
        for tag in _TAG.finditer(data):
            reference = _R_ATTRIBUTE.search(tag[0])
            if tag[1] == b"row":
                number = reference[1] if reference else b""
                row = int(number) if number.isdigit() else row + 1
                column = 0
                continue
            cells += 1
            position = _cell_position(reference[1]) if reference else None
            if position is not None:
                row, column = position
            else:
                column += 1
            rows, columns = max(rows, row), max(columns, column)
        _check_span(_Span(rows, columns, cells), where, limits)
    return _Span(rows, columns, cells)


def _calamine_sheet(sheet, name: str) -> Sheet:
    """A parsed sheet's rows from A1: calamine starts each row at the first column used, so the columns
    before it are put back (its rows already start at row 1)."""
    start = sheet.start
    padding = [""] * (start[1] if start else 0)
    rows = iter(sheet.iter_rows())
    first = next(rows, None)
    if first is None:
        raise UnreadableFile(f"Sheet '{name}' is empty: row 1 should hold the headings.")
    return Sheet(name, padding + first, (padding + row for row in rows))


# .csv -------------------------------------------------------------------------------------------------------

_SAVE_AS = "save it from the spreadsheet as 'CSV UTF-8', or as an .xlsx workbook"


def csv_encoding(data: bytes, label: str) -> str:
    """The encoding a spreadsheet program wrote a CSV file in: UTF-8 (with or without the byte-order mark Excel's
    "CSV UTF-8" adds), UTF-16 with its byte-order mark (Excel's "Unicode text"), else Windows-1252 (Excel's plain
    "CSV" on Windows; Latin-1 text reads the same). Anything else is refused with a message."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise UnreadableFile(f"{label} is in UTF-32, which the import does not read: {_SAVE_AS}.")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    else:
        sample = data[:4096]
        if sample and sample.count(b"\x00") * 4 > len(sample):
            raise UnreadableFile(
                f"{label} looks like UTF-16 text without the byte-order mark that says so: {_SAVE_AS}."
            )
        encoding = "utf-8"
    try:
        data.decode(encoding)  # only to know it decodes: the rows are decoded as they are read
    except UnicodeDecodeError as error:
        if encoding != "utf-8":
            raise UnreadableFile(
                f"{label} says it is Unicode text but byte {error.start:,} is not: {_SAVE_AS}."
            ) from None
        encoding = "cp1252"
        try:
            data.decode(encoding)
        except UnicodeDecodeError as error:
            raise UnreadableFile(
                f"{label} is neither UTF-8 nor Windows-1252 text (byte {error.start:,} is "
                f"0x{data[error.start]:02X}): {_SAVE_AS}."
            ) from None
    return encoding


def _csv_records(data: bytes, encoding: str, delimiter: str) -> Iterator[list[str]]:
    # The csv module's own cap on a cell (128 KiB) would stop the file with an exception; the file-size
    # limit bounds every cell instead, and the import reports a cell too long for its column as a row error.
    csv.field_size_limit(max(csv.field_size_limit(), len(data) + 1))
    text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")  # decoded a piece at a time
    return csv.reader(text, delimiter=delimiter)


def _delimiter(data: bytes, encoding: str) -> str:
    """Commas, unless the headings line has none and tabs (Excel's "Unicode text") or semicolons instead."""
    first_line = next(io.TextIOWrapper(io.BytesIO(data[:65536]), encoding=encoding, errors="ignore"), "")
    if "," not in first_line:
        for other in ("\t", ";"):
            if other in first_line:
                return other
    return ","


def _read_csv(source: Source, label: str, limits: ImportLimits) -> Sheet:
    if isinstance(source, str | Path):
        data = Path(source).read_bytes()
    else:
        source.seek(0)
        data = source.read()
    encoding = csv_encoding(data, label)
    delimiter = _delimiter(data, encoding)
    rows = columns = cells = 0
    try:
        for record in _csv_records(data, encoding, delimiter):  # counted first: nothing is handed on over a limit
            rows += 1
            columns = max(columns, len(record))
            cells += len(record)
            _check_span(_Span(rows, columns, cells), label, limits)
    except csv.Error as error:
        raise UnreadableFile(f"{label} could not be read as CSV at line {rows + 1:,} ({error}).") from None
    records = _csv_records(data, encoding, delimiter)
    headings = next(records, None)
    if headings is None:
        raise UnreadableFile(f"{label} is empty: row 1 should hold the headings.")
    return Sheet(Path(label).stem, headings, records)
