"""The managers' dashboards as their users check them: a manager's own figures exact, nobody else's people,
all organisations together from the published family (hidden as [c], never 0) released once per content,
filters checked like the API's, downloads that match the page, and a fixed number of queries."""

import csv
import datetime
import io
import re

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from placements.models import Placement
from reporting.breakdowns import Scope
from reporting.dashboard import median_of, parse_filters
from reporting.models import Release, ReleaseKind
from reporting.publication import published_family, release_pack
from schemes.models import Location, Organisation, Scheme, Target
from schemes.services import set_up_user
from tests.factories import CandidateFactory, OutcomeFactory, PlacementFactory

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = datetime.datetime(2025, 6, 2, 9, 0)


@pytest.fixture(autouse=True)
def pinned_clock():
    with time_machine.travel(TODAY, tick=False):
        yield


def hire(organisation, started_on, *, scheme="GFiE", offered_on=None, outcome=None, outcome_on=None, **fields):
    placement = PlacementFactory(
        candidate=CandidateFactory(organisation=organisation),
        scheme=Scheme.objects.get(code=scheme),
        started_on=started_on,
        offered_on=offered_on or started_on - datetime.timedelta(days=60),
        **fields,
    )
    if outcome:
        OutcomeFactory(placement=placement, code=outcome, on=outcome_on or started_on + datetime.timedelta(days=30))
    return placement


@pytest.fixture
def hires(world):
    """ONS: 6 GFiE hires in 2024 (2 made permanent), 4 in 2025 (one left early); DWP: 7 CLIS hires in 2025."""
    for number in range(6):
        hire(world.ons, D(2024, 1, 8), outcome="permanent" if number < 2 else None, outcome_on=D(2025, 1, 10))
    for number in range(4):
        hire(world.ons, D(2025, 2, 3), offered_on=D(2024, 12, 4), outcome="left_early" if number == 0 else None)
    for _ in range(7):
        hire(world.dwp, D(2025, 1, 6), scheme="CLIS", business_unit="DWP-ONLY-UNIT")
    return world


def table_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def row_named(rows, name):
    return next(row for row in rows if row[0] == name)


def download(client, page, slug, extension, **params):
    response = client.get(f"/dashboard/{page}/{slug}.{extension}", params)
    assert response.status_code == 200, response.content[:300]
    return response


def test_a_manager_sees_their_organisations_hires_exactly_with_the_change_in_words(hires, client):
    client.force_login(hires.ons_manager)
    page = client.get("/dashboard/", {"from": "2025", "to": "2025"}).content.decode()
    assert "Headline figures, 2025" in page
    assert "down 2 from 6 in 2024" in page  # 4 hires in 2025 against 6 in 2024
    rows = table_rows(download(client, "overview", "headlines", "csv", **{"from": "2025", "to": "2025"}).content)
    assert rows[0][:3] == ["Figure", "2025", "2024"]
    assert row_named(rows, "Hires (placements started)")[1:3] == ["4", "6"]
    assert row_named(rows, "Left early")[1:3] == ["1", "0"]
    assert row_named(rows, "Median days from offer to start")[1:3] == ["61", "60"]
    assert row_named(rows, "Made permanent")[1:3] == ["0", "2"]
    # 2024's hires have all reached 12 months (January 2024 to June 2025), and none has left.
    assert row_named(rows, "Still in post at 12 months")[2] == "6 of 6 (100%)"
    assert row_named(rows, "Still in post at 6 months")[1] == "none yet"  # February 2025 starters: 4 months


def test_all_organisations_together_come_from_the_published_family_and_a_hidden_count_is_c_never_0(hires, client):
    client.force_login(hires.ons_manager)
    rows = table_rows(download(client, "overview", "headlines", "csv", **{"from": "2025", "to": "2025"}).content)
    family = published_family(Scope())
    national_hires = row_named(rows, "Hires (placements started)")[4]
    assert national_hires == str(family.figure({}, ["2025"])) == "11"  # ONS 4 and DWP 7
    assert row_named(rows, "Left early")[4] == "[c]"  # one person nationally: hidden, not 0 and not 1
    assert row_named(rows, "Median days from offer to start")[4] == "not published"


def test_the_dashboards_national_figures_are_released_once_a_quarter_not_once_per_view_or_change(hires, client):
    client.force_login(hires.ons_manager)
    for _ in range(3):
        client.get("/dashboard/", {"from": "2025"})
        client.get("/dashboard/outcomes/")
    (released,) = Release.objects.filter(kind=ReleaseKind.DASHBOARD)
    assert released.scheme is None
    assert released.organisation is None
    assert released.released_by == hires.ons_manager
    # A new hire the same quarter: the page still shows what was released, and says when it was counted, so
    # two releases a few minutes apart never give away the one hire between them.
    hire(hires.dwp, D(2025, 3, 3), scheme="CLIS")
    rows = table_rows(download(client, "overview", "headlines", "csv", **{"from": "2025", "to": "2025"}).content)
    assert row_named(rows, "Hires (placements started)")[4] == "11"  # not 12: as released on 2 June
    assert "as counted on 2 June 2025" in client.get("/dashboard/", {"from": "2025"}).content.decode()
    assert Release.objects.filter(kind=ReleaseKind.DASHBOARD).count() == 1
    with time_machine.travel(datetime.datetime(2025, 7, 1, 9, 0), tick=False):  # the next quarter
        client.force_login(hires.ons_manager)  # signed in afresh: a session lasts a working day
        rows = table_rows(download(client, "overview", "headlines", "csv", **{"from": "2025", "to": "2025"}).content)
    assert row_named(rows, "Hires (placements started)")[4] == "12"
    assert Release.objects.filter(kind=ReleaseKind.DASHBOARD).count() == 2
    later = Release.objects.filter(kind=ReleaseKind.DASHBOARD).order_by("pk").last()
    assert list(later.checked_against.all()) == [released]  # audited together with what was shown before


def test_a_pack_for_all_schemes_and_organisations_counts_every_hire(hires):
    """The joint audit of a release for everything once counted no hire at all, and refused every such
    release as if the records had changed."""
    released = release_pack(Scope())
    assert released.family.figure({}, ["2025"]) == 11


def test_a_manager_never_sees_another_organisations_people_even_when_asking_for_them(hires, client):
    client.force_login(hires.ons_manager)
    for page in ("/dashboard/", "/dashboard/outcomes/", "/dashboard/targets/"):
        text = client.get(page, {"organisation": "DWP", "from": "2025"}).content.decode()
        assert "DWP-ONLY-UNIT" not in text
    rows = table_rows(download(client, "overview", "headlines", "csv", organisation="DWP", **{"from": "2025"}).content)
    assert row_named(rows, "Hires (placements started)")[1] == "0"  # none of DWP's 7 is a record they see
    rows = table_rows(download(client, "outcomes", "where-now", "csv", organisation="DWP").content)
    assert rows[1:] == []


def test_a_scheme_administrator_sees_clis_across_departments(hires, client):
    hire(hires.ons, D(2025, 1, 6), scheme="CLIS")
    client.force_login(hires.dfe_scheme_admin)  # DfE owns CLIS
    rows = table_rows(download(client, "overview", "headlines", "csv", scheme="CLIS", **{"from": "2025"}).content)
    assert row_named(rows, "Hires (placements started)")[1] == "8"  # DWP's 7 and ONS's 1
    assert row_named(rows, "Hires (placements started)")[4] == "8"  # and all organisations together


def test_outcomes_by_cohort_with_still_in_post_at_6_12_and_18_months(world, client):
    for number in range(5):  # 2023's starters: one left after 8 months, one made permanent
        placement = hire(world.ons, D(2023, 1, 9))
        if number == 0:
            OutcomeFactory(placement=placement, code="left_early", on=D(2023, 9, 1))
            Placement.objects.filter(pk=placement.pk).update(ended_on=D(2023, 9, 1))
        if number == 1:
            OutcomeFactory(placement=placement, code="permanent", on=D(2024, 1, 9))
    client.force_login(world.ons_manager)
    rows = table_rows(download(client, "outcomes", "in-post", "csv").content)
    cohort = row_named(rows, "2023")
    assert cohort[1] == "5"
    assert cohort[2:4] == ["5 of 5 (100%)", "100"]  # at 6 months (July 2023) all five
    assert cohort[4:6] == ["4 of 5 (80%)", "80"]  # at 12 months one had left
    assert cohort[6:8] == ["4 of 5 (80%)", "80"]
    where = table_rows(download(client, "outcomes", "where-now", "csv").content)
    assert where[0][-1] == "Conversion to permanent"
    assert row_named(where, "2023")[-1] == "1 of 5 (20%)"


@pytest.fixture
def derby(world):
    council = Organisation.objects.create(code="DERBY", name="Derby City Council", kind="council")
    scheme = Scheme.objects.create(code="DCC-APPS", name="Derby Apprenticeships", kind="apprenticeship", owner=council)
    Target.objects.create(organisation=council, scheme=scheme, period="2024", kind="pledge", number=8)
    Target.objects.create(
        organisation=world.ons, scheme=Scheme.objects.get(code="CLIS"), period="2024-25", kind="target", number=3
    )
    for month in range(1, 10):
        hire(council, D(2024, month, 2), scheme="DCC-APPS")
    hire(world.ons, D(2024, 5, 1), scheme="CLIS")
    hire(world.ons, D(2025, 3, 31), scheme="CLIS")  # in the financial year 2024-25
    hire(world.ons, D(2025, 4, 1), scheme="CLIS")  # in 2025-26
    return set_up_user("derby_manager", "manager", ["DERBY"])


def test_a_council_manager_reads_the_pledge_met_as_a_committee_would(derby, world, client):
    client.force_login(derby)
    page = client.get("/dashboard/targets/").content.decode()
    assert "Derby City Council set a pledge of 8 hires on Derby Apprenticeships for the calendar year 2024." in page
    assert "9 started: the pledge was met." in page
    assert "Of the 1 pledge or target whose period has ended, 1 was met." in page
    assert "CLIS" not in page.split("About this data")[0].split("Showing:")[1]  # ONS's target is not theirs


def test_a_financial_year_target_counts_its_own_april_to_march(derby, world, client):
    client.force_login(world.ons_manager)
    rows = table_rows(download(client, "targets", "targets", "csv").content)
    (target,) = rows[1:]
    assert target[3] == "financial year 2024-25"
    assert target[5:9] == ["3", "2", "-1", "Not met"]


def test_the_filters_are_the_apis_and_a_wrong_one_is_named_not_a_500(hires, client):
    client.force_login(hires.ons_manager)
    response = client.get("/dashboard/", {"from": "20x5", "scheme": "NOPE", "grade": "ZZ"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "There is a problem" in text
    assert 'href="#filter-scheme"' in text
    assert 'href="#filter-grade"' in text
    response = client.get("/dashboard/", {"from": "2025", "to": "2024"})
    assert response.status_code == 400
    assert "is after the last year" in response.content.decode()
    filters = parse_filters({"scheme": "gfie", "organisation": "ons", "year_basis": "financial", "location": "Newport"})
    assert (filters.scope.scheme, filters.scope.organisation, filters.year_basis) == ("GFiE", "ONS", "financial")
    assert filters.period_label == "2025-26"
    assert "location=Newport" in filters.query_string
    # A download with a wrong filter is answered as its page: the error summary, not plain text.
    response = client.get("/dashboard/outcomes/where-now.csv", {"scheme": "NOPE"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert 'href="#filter-scheme"' in response.content.decode()


def test_location_and_grade_narrow_the_figures(hires, client):
    hire(hires.ons, D(2025, 2, 3), location=Location.objects.get(name="London"))
    client.force_login(hires.ons_manager)
    rows = table_rows(download(client, "overview", "headlines", "csv", location="London", **{"from": "2025"}).content)
    assert row_named(rows, "Hires (placements started)")[1] == "1"
    assert row_named(rows, "Made permanent")[4] == "not published"  # outcomes are not published by location


def test_the_xlsx_download_follows_the_packs_conventions(hires, client, tmp_path):
    client.force_login(hires.ons_manager)
    response = download(client, "overview", "headlines", "xlsx", **{"from": "2025", "to": "2025"})
    path = tmp_path / "headlines.xlsx"
    path.write_bytes(response.content)
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["Cover", "Notes", "Table_1"]
    cover = [cell.value or "" for row in workbook["Cover"].iter_rows() for cell in row]
    assert any("Organisation: all you can see; Period: 2025, calendar years" in value for value in cover)
    sheet = workbook["Table_1"]
    assert sheet["A1"].value == "Headline figures, 2025 (Table 1)"
    assert list(sheet.tables) == ["table_1"]
    values = {row[0]: row[1:] for row in sheet.iter_rows(min_row=4, values_only=True)}
    assert values["Hires (placements started)"][:2] == (4, 6)
    assert values["Left early"][3] == "[c]"


def test_only_staff_who_work_with_records_use_the_dashboards(hires, client):
    assert client.get("/dashboard/").status_code == 302  # to sign in
    client.force_login(hires.ons_foi)
    assert client.get("/dashboard/").status_code == 403
    assert client.get("/dashboard/overview/headlines.csv").status_code == 403
    client.force_login(hires.ons_manager)
    assert client.get("/dashboard/overview/nothing.csv").status_code == 404
    assert client.get("/dashboard/overview/headlines.exe").status_code == 404
    assert "Dashboard" in client.get("/").content.decode()
    page = client.get("/dashboard/targets/").content.decode()
    assert 'href="/exports/?export=progress_report"' in page  # the dashboards link to their exports
    assert client.get("/exports/?export=progress_report").status_code == 200


@pytest.mark.django_db(transaction=True)  # cached figures are shared once their transaction commits
def test_every_page_takes_a_fixed_number_of_queries_whatever_the_data(committed_reference_data, world, client):
    client.force_login(world.ons_manager)

    def queries(page: str) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(page, {"from": "2024"}).status_code == 200
        return [query["sql"] for query in captured.captured_queries]

    pages = ("/dashboard/", "/dashboard/outcomes/", "/dashboard/targets/")
    for _ in range(6):
        hire(world.dwp, D(2024, 3, 4))
    queries(pages[0])  # the first dashboard release: those after it are audited against (and linked to) it
    for _ in range(6):
        hire(world.ons, D(2024, 3, 4))
    small = [len(queries(page)) for page in pages]
    for day in range(1, 28):  # five times the hires, on more days, sites and organisations
        hire(world.ons, D(2024, 5, day), outcome="permanent")
        hire(world.dwp, D(2025, 1, day), scheme="CLIS", outcome="left_early")
    larger = [len(queries(page)) for page in pages]
    assert small == larger
    # Nothing changed since: every figure comes from the statistics cache, and no page reads a record.
    for page in pages:
        assert not [sql for sql in queries(page) if "placements_placement" in sql], page


@pytest.mark.parametrize(
    ("histogram", "median"),
    [({}, None), ({5: 1}, 5), ({3: 1, 9: 1}, 6), ({1: 2, 4: 1}, 1), ({1: 1, 4: 1, 10: 2}, 7), ({2: 3, 8: 3}, 5)],
)
def test_the_median_wait_is_read_off_a_histogram_of_days(histogram, median):
    assert median_of(histogram) == median


def test_the_pages_run_no_inline_script_so_their_policy_forbids_them(hires, client):
    client.force_login(hires.ons_manager)
    for page in ("/dashboard/", "/dashboard/outcomes/", "/dashboard/targets/"):
        response = client.get(page)
        assert "script-src 'self'" in response["Content-Security-Policy"]
        scripts = re.findall(r"<script([^>]*)>", response.content.decode())
        assert scripts, page
        for attributes in scripts:  # each a file, or a JSON data island that never runs
            assert "src=" in attributes or 'type="application/json"' in attributes, (page, attributes)
