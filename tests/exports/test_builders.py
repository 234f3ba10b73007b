"""The three exports' files, opened as their readers would: the FOI pack as on the FOI pages, the progress
report against each pledge, and HR's records extract, which cannot run a formula and imports back cleanly."""

import datetime
import io
import zipfile

import pytest
import time_machine
from openpyxl import load_workbook

from placements.importing import import_placements_file
from placements.models import Candidate, Placement
from reporting.breakdowns import Scope
from reporting.exports import runs
from reporting.exports.builders import RECORD_HEADINGS
from reporting.exports.models import RequestedVia
from reporting.exports.periods import Period
from reporting.packs import build_pack
from schemes.models import Organisation, Scheme, Target
from tests.accessible_workbooks import checklist_problems
from tests.factories import OutcomeFactory, PlacementFactory

D = datetime.date


@pytest.fixture(autouse=True)
def pinned_clock():
    with time_machine.travel(datetime.datetime(2024, 10, 1, 7, 0, tzinfo=datetime.UTC), tick=False):
        yield


def made(export, period="2024-09", user=None, **scope):
    run, _ = runs.request_run(
        export,
        Period.parse(period),
        user=user,
        via=RequestedVia.PAGE if user else RequestedVia.COMMAND,
        queue=False,
        **scope,
    )
    runs.execute_run(run.pk, token="test")
    run.refresh_from_db()
    assert run.status == "done", run.error
    return run, runs.export_storage().path(run.file)


def test_the_foi_ready_pack_is_the_foi_pages_workbook(world):
    clis = Scheme.objects.get(code="CLIS")
    PlacementFactory.create_batch(
        9, candidate__organisation=world.ons, scheme=clis, offered_on=None, started_on=D(2023, 5, 2)
    )
    run, path = made("foi_pack", scheme=clis, organisation=world.ons)
    exported = load_workbook(path)
    pack = build_pack(Scope(scheme="CLIS", organisation="ONS", last_year=2024))
    on_the_pages = load_workbook(io.BytesIO(pack))
    assert exported.sheetnames == on_the_pages.sheetnames
    for name in exported.sheetnames[3:]:
        assert list(exported[name].values) == list(on_the_pages[name].values)
    assert checklist_problems(exported) == []


def test_the_progress_report_sets_each_pledge_against_its_hires_and_their_outcomes(world):
    clis = Scheme.objects.get(code="CLIS")
    Target.objects.create(organisation=world.ons, scheme=clis, period="2024-25", kind="pledge", number=20)
    Target.objects.create(organisation=world.dwp, scheme=clis, period="2024", kind="target", number=4)
    Target.objects.create(
        organisation=world.ons, scheme=clis, period="2023-24", kind="pledge", number=99
    )  # not this year
    hires = PlacementFactory.create_batch(
        12, candidate__organisation=world.ons, scheme=clis, offered_on=None, started_on=D(2024, 5, 1)
    )
    for placement in hires[:6]:
        OutcomeFactory(placement=placement, code="permanent", on=D(2024, 9, 1))
    PlacementFactory.create_batch(
        2, candidate__organisation=world.dwp, scheme=clis, offered_on=None, started_on=D(2024, 2, 1)
    )
    # The financial year before (2023-24), not counted against the 2024-25 pledge; five, so that no count the
    # report shows needs hiding to protect it (the report shows what the scope's published family shows).
    PlacementFactory.create_batch(
        5, candidate__organisation=world.ons, scheme=clis, offered_on=None, started_on=D(2024, 3, 31)
    )

    run, path = made("progress_report", period="2024-Q3", scheme=clis)
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["Cover", "Contents", "Notes", "Table_1"]
    assert workbook.properties.title.startswith("Pledges and targets against hires: CLIS")
    assert workbook.properties.creator == "Care leaver employment schemes"
    table = list(workbook["Table_1"].values)
    headings = table[2]
    rows = {(row[0], row[2]): dict(zip(headings, row, strict=True)) for row in table[3:]}
    assert set(rows) == {("ONS", "2024-25"), ("DWP", "2024")}
    ons = rows[("ONS", "2024-25")]
    assert ons["Number pledged"] == 20
    assert ons["Hires [note 1] [note 3]"] == 12
    assert ons["Hires as a percentage of the pledge [note 6]"] == 60
    assert ons["Latest outcome: Made permanent [note 5]"] == 6
    assert ons["Latest outcome: No outcome recorded [note 5]"] == 6
    dwp = rows[("DWP", "2024")]
    assert dwp["Hires [note 1] [note 3]"] == "[c]"  # 2 hires: too few to show
    assert dwp["Hires as a percentage of the pledge [note 6]"] == "[x]"
    notes = [row[0] for row in list(workbook["Notes"].values)[3:]]
    assert notes == [f"note {number}" for number in range(1, 7)]
    assert checklist_problems(workbook) == []


def test_the_records_extract_lists_the_organisation_s_records_under_the_import_s_headings(world):
    PlacementFactory.create_batch(3, candidate__organisation=world.ons)
    PlacementFactory(candidate__organisation=world.dwp)
    run, path = made("records_extract", user=world.ons_hr, organisation=world.ons)
    sheet = load_workbook(path)["Records"]
    rows = list(sheet.values)
    assert list(rows[0]) == RECORD_HEADINGS
    assert {row[3] for row in rows[1:]} == {"ONS"}
    assert len(rows) == 4
    assert run.rows == 3
    assert sheet.freeze_panes == "A2"


def test_nothing_in_the_records_extract_can_run_as_a_formula(world):
    placement = PlacementFactory(candidate__organisation=world.ons, business_unit="Survey team")
    # Written past the import's and the forms' refusal, as an older record or a direct database fix might be.
    Candidate.objects.filter(pk=placement.candidate_id).update(reference='=HYPERLINK("http://evil.example","x")')
    Placement.objects.filter(pk=placement.pk).update(business_unit="@SUM(1+1)")
    _, path = made("records_extract", user=world.ons_hr, organisation=world.ons)
    sheet = load_workbook(path)["Records"]
    reference, unit = sheet["A2"], sheet["E2"]
    assert reference.value == '=HYPERLINK("http://evil.example","x")'
    assert (reference.data_type, unit.data_type) == ("s", "s")  # text, not formulas
    assert reference.quotePrefix
    assert unit.quotePrefix
    with zipfile.ZipFile(path) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()


def test_the_records_extract_imports_back_without_a_change(world, tmp_path):
    for started in (D(2022, 9, 5), D(2023, 9, 4)):
        placement = PlacementFactory(candidate__organisation=world.ons, started_on=started, offered_on=D(2022, 6, 1))
        OutcomeFactory(placement=placement, code="in_post", on=started)
    transferred = PlacementFactory(candidate__organisation=world.ons, offered_on=None, started_on=D(2021, 9, 6))
    OutcomeFactory(placement=transferred, code="transferred", on=D(2022, 3, 1), destination_organisation=world.dwp)
    _, path = made("records_extract", user=world.ons_hr, organisation=world.ons)
    result = import_placements_file(path, dry_run=True, user=world.ons_hr)
    assert result.errors == []
    assert (result.created, result.updated, result.unchanged) == (0, 0, 3)


def test_a_records_extract_lists_only_what_its_requester_may_see(world):
    clis = Scheme.objects.get(code="CLIS")
    on_clis = PlacementFactory(candidate__organisation=world.ons, scheme=clis)
    PlacementFactory(candidate__organisation=world.ons)  # GFiE: not the DfE scheme administrator's
    dfe_unit = Organisation.objects.create(code="DFE-X", name="DfE unit", kind="unit", parent=world.dfe)
    PlacementFactory(candidate__organisation=dfe_unit, scheme=clis)
    run, path = made("records_extract", user=world.dfe_scheme_admin, organisation=world.dfe)
    assert run.rows == 1  # DfE's own unit; ONS's CLIS hire belongs to ONS's extract
    run, path = made("records_extract", user=world.superuser, organisation=world.ons)
    assert run.rows == 2
    assert on_clis.pk in set(run.records.values_list("placement_id", flat=True))
