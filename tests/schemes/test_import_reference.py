"""`manage.py import_reference FILE.xlsx`: reference data from a workbook, all or nothing, matched on Code."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from schemes.models import Grade, Location, Organisation, Scheme, Target

DERBY_WORKBOOK = {
    "Organisations": [
        ["Code", "Name", "Kind", "Parent"],
        ["DCC-CS", "Derby City Council Children's Services", "council", "DCC"],  # parent is further down
        ["DCC", "Derby City Council", "council", None],
    ],
    "Locations": [["Name", "Region"], ["Derby Council House", "East Midlands"], ["Titchfield", "south_east"]],
    "Schemes": [
        ["Code", "Name", "Kind", "Owner", "Length in months"],
        ["DCC-APP", "Children in Care and Leaving Care Apprenticeship Scheme", "apprenticeship", "DCC", 18],
    ],
    "Grades": [
        ["Code", "Name", "Rank", "Aliases"],
        ["EO", "Executive Officer", 3, "Officer, Exec Officer"],
        ["DCC-G3", "Derby Grade 3", 3, ""],
    ],
    "Targets": [
        ["Organisation", "Scheme", "Period", "Kind", "Number"],
        ["DCC", "DCC-APP", "2024-25", "pledge", 8],
        ["Derby City Council", "Children in Care and Leaving Care Apprenticeship Scheme", 2024, "target", 10],
    ],
}


def workbook(path, sheets):
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # text typed as '=..., not a formula: what an attacker would send
    book.save(path)
    return path


def load(path, *options):
    out, err = StringIO(), StringIO()
    call_command("import_reference", str(path), *options, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def refused(path):
    err = StringIO()
    with pytest.raises(CommandError, match="Nothing was saved"):
        call_command("import_reference", str(path), stdout=StringIO(), stderr=err)
    return err.getvalue()


def snapshot():
    return [list(model.objects.order_by("pk").values()) for model in (Organisation, Location, Scheme, Grade, Target)]


def test_a_workbook_adds_a_council_with_its_scheme_sites_grades_and_pledges(db, tmp_path):
    out, _ = load(workbook(tmp_path / "ref.xlsx", DERBY_WORKBOOK))

    council = Organisation.objects.get(code="DCC")
    assert (council.name, council.kind, council.parent) == ("Derby City Council", "council", None)
    assert Organisation.objects.get(code="DCC-CS").parent == council
    assert Location.objects.get(name="Derby Council House").region == "east_midlands"
    scheme = Scheme.objects.get(code="DCC-APP")
    assert (scheme.owner, scheme.kind, scheme.length_months) == (council, "apprenticeship", 18)
    assert Grade.objects.get(code="EO").alias_list() == ["Officer", "Exec Officer"]
    assert Grade.objects.get(code="DCC-G3").rank == 3
    targets = {(t.period, t.kind, t.number) for t in Target.objects.filter(scheme=scheme)}
    assert targets == {("2024-25", "pledge", 8), ("2024", "target", 10)}
    assert "Organisations: 2 created, 0 updated, 0 unchanged" in out
    assert "Grades: 1 created, 1 updated, 0 unchanged" in out


def test_loading_the_same_workbook_twice_changes_nothing(db, tmp_path):
    path = workbook(tmp_path / "ref.xlsx", DERBY_WORKBOOK)
    load(path)
    before, history = snapshot(), Organisation.history.count() + Grade.history.count()

    out, _ = load(path)

    assert snapshot() == before
    assert Organisation.history.count() + Grade.history.count() == history
    assert "Organisations: 0 created, 0 updated, 2 unchanged" in out


@pytest.mark.parametrize(
    ("sheet", "row", "expected"),
    [
        ("Schemes", ["X", "X scheme", "apprenticeship", "NOPE", 12], "Schemes row 3, Owner: 'NOPE' is not a known"),
        ("Targets", ["DCC", "DCC-APP", "2024-26", "pledge", 8], "Targets row 4, Period: 2024-26 is not a financial"),
        ("Targets", ["DCC", "DCC-APP", "24/25", "pledge", 8], "Targets row 4, Period: '24/25' is not a year"),
        ("Targets", ["DCC", "DCC-APP", "2023", "promise", 8], "Targets row 4, Kind: 'promise' is not one of"),
        ("Targets", ["DCC", "DCC-APP", "2023", "pledge", "eight"], "Targets row 4, Number: 'eight' is not a whole"),
        ("Locations", ["Derby", "Midlands"], "Locations row 4, Region: 'Midlands' is not one of"),
        ("Grades", ["G9", "Grade 9", "high", ""], "Grades row 4, Rank: 'high' is not a whole number"),
        ("Organisations", ["NEW", "=1+1", "council", None], "Organisations row 4, Name: '=1+1' starts with '='"),
        ("Organisations", ["ONS2", "Office for National Statistics", "agency", None], "is already the name of ONS"),
    ],
)
def test_one_bad_row_refuses_the_whole_workbook_naming_sheet_row_and_heading(db, tmp_path, sheet, row, expected):
    sheets = {name: [list(r) for r in rows] for name, rows in DERBY_WORKBOOK.items()}
    sheets[sheet].append(row)
    before = snapshot()
    err = refused(workbook(tmp_path / "bad.xlsx", sheets))
    assert expected in err
    assert snapshot() == before


def test_an_organisation_cannot_be_put_inside_its_own_unit(db, tmp_path):
    load(workbook(tmp_path / "ref.xlsx", DERBY_WORKBOOK))
    loop = {"Organisations": [["Code", "Name", "Kind", "Parent"], ["DCC", "Derby City Council", "council", "DCC-CS"]]}
    err = refused(workbook(tmp_path / "loop.xlsx", loop))
    assert "Organisations row 2, Parent: DCC would sit inside itself" in err


def test_a_missing_column_and_unknown_sheets_are_reported(db, tmp_path):
    err = refused(workbook(tmp_path / "nokind.xlsx", {"Schemes": [["Code", "Name", "Owner"]], "Notes": [["x"]]}))
    assert "Schemes row 1, Kind: this column is missing" in err
    assert "Sheet 'Notes' is not a reference data sheet" in err


def test_dry_run_saves_nothing(db, tmp_path):
    before = snapshot()
    out, _ = load(workbook(tmp_path / "ref.xlsx", DERBY_WORKBOOK), "--dry-run")
    assert "Dry run: nothing was saved." in out
    assert snapshot() == before


def test_an_organisations_own_grade_is_updated_in_place_keeping_its_band(db, tmp_path):
    derby = Organisation.objects.create(code="DCC", name="Derby City Council", kind="council")
    local = Grade.objects.create(
        code="DCC-G3", name="Grade 3", framework="local", rank=3, organisation=derby, band=Grade.objects.get(code="AO")
    )
    load(
        workbook(
            tmp_path / "grades.xlsx", {"Grades": [["Code", "Name", "Rank", "Aliases"], ["DCC-G3", "Scale 3", 3, "G3"]]}
        )
    )
    local.refresh_from_db()
    assert (local.name, local.alias_list(), local.organisation, local.band.code) == ("Scale 3", ["G3"], derby, "AO")


def test_codes_match_whatever_their_case_and_keep_their_stored_spelling(db, tmp_path):
    sheets = {"Schemes": [["Code", "Name", "Kind", "Owner"], ["gfie", "Going Forward into Employment", "other", "co"]]}
    out, _ = load(workbook(tmp_path / "case.xlsx", sheets))
    assert "Schemes: 0 created, 0 updated, 1 unchanged" in out
    assert Scheme.objects.filter(code="GFiE").exists()


def test_a_council_adds_its_own_pay_scale_counted_as_common_grades(db, tmp_path):
    sheets = {
        "Organisations": DERBY_WORKBOOK["Organisations"],
        "Grades": [
            ["Code", "Name", "Rank", "Aliases", "Organisation", "Band"],
            ["DCC-S4", "Scale 4", 4, "S4", "Derby City Council", "NEWBAND"],  # a band added further down
            ["DCC-S3", "Scale 3", 3, "", "DCC", "ao"],
            ["NEWBAND", "A new common grade", 2, "", None, None],
        ],
    }
    out, _ = load(workbook(tmp_path / "scale.xlsx", sheets))
    assert "Grades: 3 created" in out
    derby = Organisation.objects.get(code="DCC")
    scale_3, scale_4 = Grade.objects.get(code="DCC-S3"), Grade.objects.get(code="DCC-S4")
    assert (scale_3.organisation, scale_3.band.code, scale_3.framework) == (derby, "AO", "local")
    assert (scale_4.organisation, scale_4.band.code, scale_4.alias_list()) == (derby, "NEWBAND", ["S4"])
    assert Grade.objects.get(code="NEWBAND").organisation is None
    out, _ = load(workbook(tmp_path / "scale.xlsx", sheets))
    assert "Grades: 0 created, 0 updated, 3 unchanged" in out


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (["DCC-S3", "Scale 3", 3, "", "DCC", None], "Grades row 2, Band: is empty; an organisation's own grade needs"),
        (["DCC-S3", "Scale 3", 3, "", None, "AO"], "Grades row 2, Organisation: is empty; only an organisation's own"),
        (["DCC-S3", "Scale 3", 3, "", "NOPE", "AO"], "Grades row 2, Organisation: 'NOPE' is not a known organisation"),
        (["DCC-S3", "Scale 3", 3, "", "DCC", "Z9"], "Grades row 2, Band: 'Z9' is not a known grade"),
        (["DCC-S3", "Scale 3", 3, "", "DCC", "DCC-G1"], "Grades row 2, Band: 'DCC-G1' is itself an organisation's"),
    ],
)
def test_an_organisations_own_grade_needs_a_common_band(db, tmp_path, row, expected):
    derby = Organisation.objects.create(code="DCC", name="Derby City Council", kind="council")
    Grade.objects.create(
        code="DCC-G1", name="Grade 1", framework="local", rank=1, organisation=derby, band=Grade.objects.get(code="AA")
    )
    before = snapshot()
    err = refused(
        workbook(tmp_path / "bad.xlsx", {"Grades": [["Code", "Name", "Rank", "Aliases", "Organisation", "Band"], row]})
    )
    assert expected in err
    assert snapshot() == before
