"""The FOI pack, opened as a requester would open it: layout, symbols, agreement between tables, true counts."""

import datetime
import io
import random
from collections import Counter

import pytest
import time_machine
from openpyxl import load_workbook

from placements.models import Placement
from reporting import publication
from reporting.breakdowns import Scope
from reporting.dimensions import NO_OUTCOME
from reporting.disclosure import DisclosureError, ProtectedTable, Rule
from reporting.packs import build_pack, build_pack_with_details
from schemes.models import Grade, Location, Organisation, Scheme
from tests.accessible_workbooks import checklist_problems, notes_table
from tests.factories import OutcomeFactory, PlacementFactory

D = datetime.date
TABLE_SHEETS = ["Table_1", "Table_2", "Table_3", "Table_4", "Table_5"]


@pytest.fixture(autouse=True)
def pinned_clock():
    with time_machine.travel(datetime.datetime(2025, 6, 2, 9, 0), tick=False):
        yield


@pytest.fixture
def ons_gfie(world):
    """The ONS-style case: GFiE hires at Newport and Titchfield, AO and EO, 2019-2024, small numbers."""
    rng = random.Random(2480)
    sites = [Location.objects.get(name="Newport"), Location.objects.get(name="Titchfield")]
    grades = [Grade.objects.get(code="AO"), Grade.objects.get(code="EO")]
    placements = []
    for _ in range(37):
        started = D(rng.randint(2019, 2024), rng.randint(1, 12), rng.randint(1, 28))
        placement = PlacementFactory(
            candidate__organisation=world.ons,
            location=rng.choice(sites),
            grade=rng.choice(grades),
            offered_on=None,
            started_on=started,
        )
        outcome = rng.choice(["permanent", "transferred", "probation_failed", "in_post", None])
        if outcome:
            recorded_on = min(started + datetime.timedelta(days=200), D(2025, 6, 1))
            OutcomeFactory(placement=placement, code=outcome, on=recorded_on)
        placements.append(placement)
    return placements


def financial_year(day: datetime.date) -> str:
    first = day.year if day.month >= 4 else day.year - 1
    return f"{first}-{(first + 1) % 100:02d}"


def open_pack(content: bytes):
    return load_workbook(io.BytesIO(content))


def notes_by_subject(workbook) -> dict:
    return {subject: text for _, subject, text in notes_table(workbook)}


def read_table(sheet) -> dict:
    """A table sheet as {(row label, column heading): value}, checking the Excel table covers it exactly."""
    (table,) = sheet.tables.values()
    first, last = table.ref.split(":")
    header_row, last_row = int(first[1:]), int("".join(c for c in last if c.isdigit()))
    width = sheet.max_column
    headings = [sheet.cell(header_row, column).value for column in range(1, width + 1)]
    cells = {}
    for row in range(header_row + 1, last_row + 1):
        label = sheet.cell(row, 1).value
        for column in range(2, width + 1):
            cells[(label, headings[column - 1])] = sheet.cell(row, column).value
    rows = [sheet.cell(row, 1).value for row in range(header_row + 1, last_row + 1)]
    return {"headings": headings, "cells": cells, "rows": rows}


def test_the_pack_follows_the_analysis_function_layout(ons_gfie, settings):
    settings.FOI_CONTACT_EMAIL = "foi@ons.example.gov.uk"
    scope = Scope(scheme="GFiE", organisation="ONS", first_year=2019, last_year=2024)
    content = build_pack(scope, reference="FOI-2024-2480")
    workbook = open_pack(content)
    assert workbook.sheetnames == ["Cover", "Contents", "Notes", *TABLE_SHEETS]

    cover = workbook["Cover"]
    cover_text = " ".join(str(cell.value) for row in cover.iter_rows() for cell in row if cell.value)
    assert cover["A1"].value.startswith("Care leavers hired")
    for expected in ("FOI-2024-2480", "GFiE", "ONS", "2019 to 2024", "02 June 2025", "foi@ons.example.gov.uk"):
        assert expected in cover_text

    assert workbook.properties.title == f"{cover['A1'].value}: {cover['B3'].value}"
    assert workbook.properties.creator == "Care leaver employment schemes"
    assert checklist_problems(workbook) == []

    contents = workbook["Contents"]
    links = {cell.value: cell.hyperlink.location for cell in contents["A"] if cell.hyperlink}
    assert links == {sheet: f"'{sheet}'!A1" for sheet in workbook.sheetnames}

    notes = notes_by_subject(workbook)
    assert "started a placement" in notes["Hire"]
    assert "Calendar years" in notes["Year"]
    assert "Counts from 1 to 4 are not shown" in notes["Suppression rule"]
    assert "Confidential" in notes["[c]"]
    assert NO_OUTCOME in notes["Latest outcome"]
    numbers = {subject: number for number, subject, _ in notes_table(workbook)}
    # Each table's title refers to the notes on what it counts, by number.
    assert f"[{numbers['Location']}]" in workbook["Table_2"]["A1"].value
    assert f"[{numbers['Location']}]" not in workbook["Table_3"]["A1"].value
    assert f"[{numbers['Latest outcome']}]" in workbook["Table_5"]["A1"].value
    for name in TABLE_SHEETS:
        assert f"[{numbers['Hire']}]" in workbook[name]["A1"].value
        assert f"[{numbers['[c]']}]" in workbook[name]["A1"].value

    by_year = read_table(workbook["Table_1"])
    assert by_year["headings"] == ["Year", "Number of hires"]
    assert by_year["rows"] == ["2019", "2020", "2021", "2022", "2023", "2024", "Total"]
    year_location = read_table(workbook["Table_2"])
    assert year_location["headings"] == ["Year", "Newport", "Titchfield", "Total"]
    assert year_location["rows"][-1] == "Total"
    assert read_table(workbook["Table_3"])["headings"] == ["Year", "AO", "EO", "Total"]
    assert read_table(workbook["Table_4"])["headings"] == ["Location", "AO", "EO", "Total"]
    outcomes = read_table(workbook["Table_5"])
    assert outcomes["headings"][:3] == ["Year", "Still in post", "Contract extended"]
    assert outcomes["headings"][-2:] == [NO_OUTCOME, "Total"]


def test_the_checklist_finds_each_point_a_workbook_misses(ons_gfie):
    """The checklist the pack passes is not one that passes anything: a pack spoilt point by point fails it."""
    workbook = open_pack(build_pack(Scope(scheme="GFiE", organisation="ONS")))
    workbook.properties.title = None
    workbook.properties.creator = "openpyxl"
    workbook["Cover"].insert_rows(3)
    for cell in workbook["Contents"]["A"]:
        if cell.value == "Notes":
            cell.hyperlink = None
    last_note = notes_table(workbook)[-1][0]
    for name in TABLE_SHEETS:
        workbook[name]["A1"] = workbook[name]["A1"].value.replace(f"[{last_note}]", "")
    workbook["Table_1"]["A1"] = workbook["Table_1"]["A1"].value + " [note 99]"
    workbook["Table_2"]["B4"] = "[note 1]"
    workbook["Table_3"]["A2"] = None
    workbook["Table_4"]["B4"] = None
    assert checklist_problems(workbook) == [
        "the workbook's title property is not set",
        "the workbook's author property is not set",
        "the cover has blank rows [3]",
        "the contents does not list the sheet Notes",
        "Table_2!B4 refers to a note inside the table's data",
        "[note 99] is referred to but the notes have no note 99",
        f"{last_note} is referred to nowhere",
        "Table_3 has blank rows [2] above its table",
        "Table_4 has a blank cell inside its table (row 4)",
    ]


def test_the_tables_agree_with_each_other_and_with_a_count_by_hand(ons_gfie):
    pack = build_pack_with_details(Scope(scheme="GFiE", organisation="ONS"))
    assert pack.family.hidden_values_audited > 0
    workbook = open_pack(pack.content)
    tables = {name: read_table(workbook[name])["cells"] for name in TABLE_SHEETS}

    by_hand = {
        "year": Counter(str(p.started_on.year) for p in ons_gfie),
        "year_location": Counter((str(p.started_on.year), p.location.name) for p in ons_gfie),
        "year_grade": Counter((str(p.started_on.year), p.grade.code) for p in ons_gfie),
        "location_grade": Counter((p.location.name, p.grade.code) for p in ons_gfie),
    }
    hidden = 0
    for (row, column), value in tables["Table_2"].items():
        if value == "[c]":
            hidden += 1
            continue
        if row != "Total" and column != "Total":
            assert value == by_hand["year_location"][(row, column)]
    assert hidden, "small numbers everywhere: some cells must be hidden"
    for (row, column), value in tables["Table_3"].items():
        if value != "[c]" and row != "Total" and column != "Total":
            assert value == by_hand["year_grade"][(row, column)]
    for (row, column), value in tables["Table_4"].items():
        if value != "[c]" and row != "Total" and column != "Total":
            assert value == by_hand["location_grade"][(row, column)]

    # Totals shared between tables are the same number (or hidden) everywhere, and true where shown.
    for (year, _), value in tables["Table_1"].items():
        for other in ("Table_2", "Table_3", "Table_5"):
            assert tables[other][(year, "Total")] == value
        if value != "[c]":
            assert value == (len(ons_gfie) if year == "Total" else by_hand["year"][year])
    for location in ("Newport", "Titchfield"):
        assert tables["Table_2"][("Total", location)] == tables["Table_4"][(location, "Total")]
    for grade in ("AO", "EO"):
        assert tables["Table_3"][("Total", grade)] == tables["Table_4"][("Total", grade)]

    for table in tables.values():
        for value in table.values():
            assert value == "[c]" or value == 0 or value >= 5
    # Protection hides what it must, not the answer to "how many since the start": the grand total stays.
    assert tables["Table_1"][("Total", "Number of hires")] == len(ons_gfie)


def test_outcomes_table_counts_latest_outcomes(ons_gfie):
    pack = build_pack_with_details(Scope(scheme="GFiE", organisation="ONS"))
    outcomes = read_table(open_pack(pack.content)["Table_5"])["cells"]
    refreshed = Placement.objects.filter(pk__in=[p.pk for p in ons_gfie])
    latest = Counter(p.get_latest_outcome_display() if p.latest_outcome else NO_OUTCOME for p in refreshed)
    assert latest[NO_OUTCOME] < len(ons_gfie)
    for (row, column), value in outcomes.items():
        if row == "Total" and column != "Total" and value != "[c]":
            assert value == latest[column]


def test_a_national_clis_register_passes_its_audit_and_matches_a_count_by_hand(world):
    rng = random.Random(880)
    clis = Scheme.objects.get(code="CLIS")
    departments = list(Organisation.objects.filter(kind="department"))
    sites = list(Location.objects.all())
    grades = [Grade.objects.get(code="AO"), Grade.objects.get(code="EO")]
    for _ in range(300):
        PlacementFactory(
            candidate__organisation=rng.choice(departments),
            scheme=clis,
            location=rng.choice(sites[:4]),
            grade=rng.choice(grades),
            offered_on=None,
            started_on=D(rng.randint(2020, 2024), rng.randint(1, 12), 1),
        )
    pack = build_pack_with_details(Scope(scheme="CLIS", year_basis="financial", first_year=2020, last_year=2023))
    year_location = read_table(open_pack(pack.content)["Table_2"])["cells"]
    started = Placement.objects.filter(scheme=clis, started_on__gte=D(2020, 4, 1), started_on__lte=D(2024, 3, 31))
    by_hand = Counter((financial_year(p.started_on), p.location.name) for p in started.select_related("location"))
    shown = 0
    for (year, location), value in year_location.items():
        if value != "[c]" and year != "Total" and location != "Total":
            assert value == by_hand[(year, location)]
            shown += 1
    interior = sum(1 for year, location in year_location if "Total" not in (year, location))
    assert shown > interior // 2  # bigger numbers: most cells are published
    assert year_location[("Total", "Total")] == started.count()


def test_text_that_looks_like_a_formula_is_written_as_text(world):
    site = Location.objects.create(name='=HYPERLINK("http://evil.example")', region="london")
    PlacementFactory.create_batch(6, candidate__organisation=world.ons, location=site)
    workbook = open_pack(build_pack(Scope(organisation="ONS"), reference="=1+1"))
    for sheet in workbook:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
    assert workbook["Table_2"]["B3"].value == site.name
    assert workbook["Cover"]["B2"].value == "=1+1"


def test_the_10_5_rule_rounds_and_the_notes_say_so(ons_gfie):
    workbook = open_pack(build_pack(Scope(scheme="GFiE"), rule=Rule.ons_10_5()))
    notes = notes_by_subject(workbook)
    assert "nearest 5" in notes["Suppression rule"]
    for name in TABLE_SHEETS:
        for value in read_table(workbook[name])["cells"].values():
            assert value == "[c]" or value % 5 == 0


def test_financial_years_are_labelled_and_explained(ons_gfie):
    workbook = open_pack(build_pack(Scope(scheme="GFiE", year_basis="financial", first_year=2019, last_year=2023)))
    assert read_table(workbook["Table_1"])["rows"] == ["2019-20", "2020-21", "2021-22", "2022-23", "2023-24", "Total"]
    notes = notes_by_subject(workbook)
    assert "1 April to 31 March" in notes["Year"]


def test_a_pack_that_fails_its_audit_is_not_produced(ons_gfie, monkeypatch):
    def primary_only(tables, rule):
        return [ProtectedTable(table, rule, hidden=frozenset()) for table in tables]

    monkeypatch.setattr(publication, "protect", primary_only)
    with pytest.raises(DisclosureError, match="small count"):
        build_pack(Scope(scheme="GFiE", organisation="ONS"))


def test_a_start_date_stored_as_year_one_is_not_counted_and_the_pack_says_what_it_counts(ons_gfie, caplog):
    """One mistyped date already in the table (written past every check) once made the pack list every year
    from year 1 and take minutes; now the pack covers the years with hires from PUBLISHED_FIRST_YEAR on."""
    mistyped = ons_gfie[0]
    Placement.objects.filter(pk=mistyped.pk).update(started_on=D(1, 1, 1))
    workbook = open_pack(build_pack(Scope(scheme="GFiE", organisation="ONS", year_basis="financial")))
    by_year = read_table(workbook["Table_1"])
    starts = [p.started_on for p in ons_gfie[1:]]
    first, last = financial_year(min(starts)), financial_year(max(starts))
    assert by_year["rows"][0] == first
    assert by_year["rows"][-2:] == [last, "Total"]
    assert len(by_year["rows"]) == int(last[:4]) - int(first[:4]) + 2
    assert by_year["cells"][("Total", "Number of hires")] == len(ons_gfie) - 1
    notes = notes_by_subject(workbook)
    assert "Hires are counted from 2000-01" in notes["Year"]
    assert "1 placements start before 2000-01 and are not counted" in caplog.text


def test_an_empty_scope_still_gives_a_valid_pack(world):
    workbook = open_pack(build_pack(Scope(scheme="CLIS", organisation="ONS", first_year=2024, last_year=2024)))
    assert read_table(workbook["Table_1"])["cells"] == {("2024", "Number of hires"): 0, ("Total", "Number of hires"): 0}
