"""The import door (issue 13): hostile files refused before any sheet is parsed, the same way by the command line
and the admin, with a message naming the limit and its setting, and nothing saved; text in any encoding a
spreadsheet program writes read or refused with a message; cells that cannot be stored are row errors."""

import codecs
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from placements.models import Candidate, Outcome, Placement
from schemes.models import Organisation
from schemes.spreadsheet_files import read_first_sheet
from schemes.spreadsheets import column_letter
from tests.hostile_files import MB, cell, dimension_bomb, inflating_xlsx, oversized_csv, raw_xlsx

from .spreadsheets import HEADINGS, write_csv, write_xlsx
from .test_import_admin import CSV_FORMAT, XLSX_FORMAT, upload
from .test_import_placements import hire, import_command

IMPORT_URL = "admin:placements_placement_import"


def counts():
    return Candidate.objects.count(), Placement.objects.count(), Outcome.objects.count()


def command_refuses(path, *words):
    """The command refuses the file at the door (no row is judged): its message says each of `words`."""
    with pytest.raises(CommandError) as refused:
        call_command("import_placements", str(path), stdout=StringIO(), stderr=StringIO())
    message = str(refused.value)
    for word in words:
        assert word in message
    assert counts() == (0, 0, 0)
    return message


def admin_page(client, user, path, format_index=XLSX_FORMAT):
    client.force_login(user)
    page = upload(client, path, format_index)
    assert page.status_code == 200
    return re.sub(r"\s+", " ", page.content.decode())


@pytest.fixture
def calamine_never_runs(monkeypatch):
    """Fail the test if python-calamine is asked to parse anything: the file must be refused before."""
    import python_calamine

    def parse(*args, **kwargs):
        raise AssertionError("python-calamine was asked to parse a file the door should have refused")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_path", parse)
    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike", parse)


HEADING_ROW = '<row r="1">' + "".join(cell(f"{chr(65 + i)}1", h) for i, h in enumerate(HEADINGS[:7])) + "</row>"


def far_cell_sheets():
    """Sheets whose cells reach far beyond what they hold, each written another way a reader accepts."""
    return {
        "declares A1:XFD1048576": ([HEADING_ROW], "A1:XFD1048576"),
        "declares A1:G2 but reaches XFD1048576": (
            [HEADING_ROW, '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'],
            "A1:G2",
        ),
        "lower-case reference": ([HEADING_ROW, '<row r="9"><c r="xfd9"><v>1</v></c></row>'], None),
        "reference not first": ([HEADING_ROW, '<row r="9"><c s="0" r="XFD9"><v>1</v></c></row>'], None),
        "namespace prefix": ([HEADING_ROW, '<row r="9"><x:c r="XFD9" xmlns:x="x"><x:v>1</x:v></x:c></row>'], None),
        "single quotes": ([HEADING_ROW, "<row r='9'><c r='XFD9'><v>1</v></c></row>"], None),
        "cells without references": ([HEADING_ROW, '<row r="2">' + "<c><v>1</v></c>" * 16_384 + "</row>"], None),
    }


def test_two_cells_at_a1_and_xfd1048576_are_refused_before_the_sheet_is_parsed(world, tmp_path, calamine_never_runs):
    message = command_refuses(dimension_bomb(tmp_path / "bomb.xlsx"), "1,048,576 rows", "IMPORT_MAX_ROWS")
    assert "Sheet 'Hires' of bomb.xlsx" in message
    assert "Nothing was saved" in message


@pytest.mark.parametrize("name", list(far_cell_sheets()))
def test_a_sheet_reaching_far_is_refused_however_its_cells_are_written(world, tmp_path, calamine_never_runs, name):
    rows, dimension = far_cell_sheets()[name]
    message = command_refuses(raw_xlsx(tmp_path / "far.xlsx", rows, dimension=dimension), "can be imported")
    assert re.search(r"IMPORT_MAX_(ROWS|COLUMNS|CELLS)", message)


def test_a_sheet_inflating_past_the_limit_is_refused_from_the_archives_directory(
    world, tmp_path, settings, calamine_never_runs
):
    settings.IMPORT_MAX_INFLATED_MB = 2
    path = inflating_xlsx(tmp_path / "inflating.xlsx", megabytes=3)
    assert path.stat().st_size < 100_000
    command_refuses(path, "inflates to 3 MB when opened", "at most 2 MB", "IMPORT_MAX_INFLATED_MB")


def test_a_part_inflating_to_more_than_the_directory_says_is_refused(world, tmp_path):
    """The directory is trusted because the zip reader checks it: a part that lies about its size is refused."""
    path = inflating_xlsx(tmp_path / "liar.xlsx", megabytes=3)
    data = bytearray(path.read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # local header, then central directory
        at = data.find(signature + b"")
        while at != -1:
            name_length = int.from_bytes(data[at + (26 if signature == b"PK\x03\x04" else 28) :][:2], "little")
            start = at + (30 if signature == b"PK\x03\x04" else 46)
            if data[start : start + name_length] == name:
                data[at + size_at : at + size_at + 4] = (1000).to_bytes(4, "little")
            at = data.find(signature, at + 4)
    path.write_bytes(bytes(data))
    command_refuses(path, "could not be read as an .xlsx workbook")


def test_a_csv_over_the_size_limit_is_refused_before_it_is_read(world, tmp_path, settings):
    settings.IMPORT_MAX_FILE_MB = 1
    command_refuses(oversized_csv(tmp_path / "big.csv", megabytes=2), "big.csv is 2.0 MB", "IMPORT_MAX_FILE_MB")


@pytest.mark.parametrize("writer", [write_xlsx, write_csv])
def test_a_file_with_more_rows_than_the_limit_is_refused_naming_the_setting(world, tmp_path, settings, writer):
    settings.IMPORT_MAX_ROWS = 20
    path = writer(tmp_path / f"rows{'.xlsx' if writer is write_xlsx else '.csv'}", [hire(f"R{n}") for n in range(20)])
    command_refuses(path, "21 rows", "at most 20 rows", "IMPORT_MAX_ROWS")


def test_the_default_limits_let_a_national_register_of_100000_hires_through(tmp_path):
    def sheet_data():
        yield HEADING_ROW.replace(HEADINGS[6], HEADINGS[6])  # the headings, then 100,000 rows of 14 cells
        values = ["ONS-000001", "2003-05-17", "GFiE", "ONS", "Data Science Campus", "Newport", "AO"] * 2
        for number in range(2, 100_002):
            cells = "".join(cell(f"{column_letter(index)}{number}", value) for index, value in enumerate(values))
            yield f'<row r="{number}">{cells}</row>'

    sheet = read_first_sheet(raw_xlsx(tmp_path / "register.xlsx", sheet_data()))
    assert sum(1 for _row in sheet.rows) == 100_000


def test_the_admin_refuses_the_same_hostile_files_with_the_same_words(world, client, tmp_path, settings):
    settings.IMPORT_MAX_INFLATED_MB = 2
    bomb = admin_page(client, world.ons_hr, dimension_bomb(tmp_path / "bomb.xlsx"))
    assert "Sheet &#x27;Hires&#x27; of the uploaded file declares 1,048,576 rows (A1:XFD1048576)" in bomb
    assert "(setting IMPORT_MAX_ROWS)" in bomb
    inflating = admin_page(client, world.ons_hr, inflating_xlsx(tmp_path / "inflating.xlsx", megabytes=3))
    assert "The uploaded file inflates to 3 MB when opened; at most 2 MB can be imported" in inflating
    assert "(setting IMPORT_MAX_INFLATED_MB)" in inflating
    assert "Confirm import" not in bomb + inflating
    assert counts() == (0, 0, 0)


def test_the_admin_refuses_an_upload_over_the_size_limit_before_reading_it(world, client, tmp_path, settings):
    settings.IMPORT_MAX_FILE_MB = 1
    page = admin_page(client, world.ons_hr, oversized_csv(tmp_path / "big.csv", megabytes=2), CSV_FORMAT)
    assert "big.csv is 2.0 MB; at most 1 MB can be imported (setting IMPORT_MAX_FILE_MB)" in page
    assert counts() == (0, 0, 0)


def test_the_reference_import_refuses_the_same_files_on_both_doors(world, client, tmp_path, settings):
    settings.IMPORT_MAX_INFLATED_MB = 2
    bomb = dimension_bomb(tmp_path / "bomb.xlsx", title="Organisations")
    inflating = inflating_xlsx(tmp_path / "inflating.xlsx", megabytes=3, title="Locations")
    before = Organisation.objects.count()
    for path, words in ((bomb, "IMPORT_MAX_ROWS"), (inflating, "IMPORT_MAX_INFLATED_MB")):
        with pytest.raises(CommandError, match=words):
            call_command("import_reference", str(path), stdout=StringIO(), stderr=StringIO())
        client.force_login(world.superuser)
        with path.open("rb") as handle:
            page = client.post(reverse("admin:schemes_import_reference"), {"workbook": handle, "check": "Check"})
        assert page.status_code == 200
        assert words in page.content.decode()
    assert Organisation.objects.count() == before


def test_a_message_quotes_a_short_prefix_of_a_huge_value_never_the_value(world, client, tmp_path):
    huge = "Grade " + "9" * MB
    path = write_csv(tmp_path / "huge.csv", [hire(f"H{n}", Grade=huge) for n in range(5)])
    with pytest.raises(CommandError):
        call_command("import_placements", str(path), stdout=StringIO(), stderr=(err := StringIO()))
    assert f"row 2, Grade: '{huge[:40]}…' (1,048,582 characters) is not a known grade" in err.getvalue()
    assert len(err.getvalue()) < 5_000
    client.force_login(world.ons_hr)
    with path.open("rb") as handle:
        page = client.post(reverse(IMPORT_URL), {"import_file": handle, "format": CSV_FORMAT, "resource": "0"})
    assert page.status_code == 200
    assert len(page.content) < 200_000


# Text encodings ------------------------------------------------------------------------------------------

ROWS_TEXT = ",".join(HEADINGS[:9]) + "\r\nONS-É1,,GFiE,ONS,Café team,Newport,AO,01/06/2023,04/09/2023\r\n"


@pytest.mark.parametrize(
    "encoded",
    [
        ROWS_TEXT.encode("utf-8"),
        codecs.BOM_UTF8 + ROWS_TEXT.encode("utf-8"),
        ROWS_TEXT.encode("utf-16"),  # with its byte-order mark, as Excel's "Unicode text" saves it
        ROWS_TEXT.replace(",", "\t").encode("utf-16"),  # ... which is tab-separated
        ROWS_TEXT.encode("cp1252"),
    ],
    ids=["utf-8", "utf-8 with BOM", "utf-16", "utf-16 with tabs", "windows-1252"],
)
def test_every_encoding_a_spreadsheet_program_writes_is_read_the_same_by_both_doors(world, client, tmp_path, encoded):
    path = tmp_path / "hires.csv"
    path.write_bytes(encoded)
    page = admin_page(client, world.ons_hr, path, CSV_FORMAT)
    assert "1 rows read: 1 placements created" in page
    import_command(path)
    placement = Placement.objects.get()
    assert (placement.candidate.reference, placement.business_unit) == ("ONS-É1", "Café team")


@pytest.mark.parametrize(
    ("encoded", "words"),
    [
        (ROWS_TEXT.encode("utf-32"), "is in UTF-32"),
        (ROWS_TEXT.encode("utf-16-le"), "looks like UTF-16 text without the byte-order mark"),
        (ROWS_TEXT.encode("cp1252").replace(b"Caf", b"\x81Caf"), "neither UTF-8 nor Windows-1252 text"),
        (codecs.BOM_UTF16_LE + b"\x00\xd8" + ROWS_TEXT.encode("utf-16-le"), "says it is Unicode text"),
    ],
    ids=["utf-32", "utf-16 without BOM", "undefined in windows-1252", "broken utf-16"],
)
def test_text_in_no_encoding_the_import_reads_is_refused_with_a_message_by_both_doors(
    world, client, tmp_path, encoded, words
):
    path = tmp_path / "hires.csv"
    path.write_bytes(encoded)
    assert words in admin_page(client, world.ons_hr, path, CSV_FORMAT)
    command_refuses(path, words, "CSV UTF-8")


@pytest.mark.parametrize(
    ("cell_value", "expected"),
    [
        ("Data\x00Campus", "row 2, Business unit: contains a NUL character (a zero byte), which cannot be stored"),
        ("x" * 200_000, "row 2, Business unit: is 200,000 characters long; at most 120 fit"),
        ("ONS-\x001", "row 2, Candidate reference: contains a NUL character"),
    ],
    ids=["NUL", "cell over 128 KiB", "NUL in a reference"],
)
def test_cells_that_cannot_be_stored_are_row_errors_on_both_doors(world, client, tmp_path, cell_value, expected):
    heading = "Business unit" if "Business" in expected else "Candidate reference"
    path = write_csv(tmp_path / "bad.csv", [hire("ONS-1", **{heading: cell_value}), hire("ONS-2")])
    page = admin_page(client, world.ons_hr, path, CSV_FORMAT)
    assert expected in page
    assert "Confirm import" not in page
    with pytest.raises(CommandError, match="Nothing was saved: 1 problem in 2 rows read"):
        call_command("import_placements", str(path), stdout=StringIO(), stderr=(err := StringIO()))
    assert expected in err.getvalue()
    assert counts() == (0, 0, 0)
