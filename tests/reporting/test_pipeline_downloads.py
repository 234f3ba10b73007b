"""The pipeline's tables downloaded as CSV and xlsx through the dashboards' one download view, as a manager and
HR use them and as someone would try to get more out of them than the page shows (clock pinned to 23 November
2026, as the page's own tests)."""

import csv
import datetime
import io

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from placements.models import RecordAccess
from tests.reporting.test_pipeline_dashboard import PIPELINE, days_ago, offer


@pytest.fixture(autouse=True)
def pinned_clock():
    with time_machine.travel(datetime.datetime(2026, 11, 23, 10, 0, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def offers(world):
    return {
        "ons": offer(world.ons, "ONS-WAIT-1", 95, name="Sam", clearance_requested_on=days_ago(80)),
        "ons_clis": offer(world.ons, "ONS-WAIT-2", 12, scheme="CLIS", name="Robin", last_contact_on=days_ago(3)),
        "dwp": offer(world.dwp, "DWP-WAIT-1", 150, name="Alex"),
    }


def download(client, user, table: str, extension: str, query: str = ""):
    client.force_login(user)
    response = client.get(f"{PIPELINE}{table}.{extension}{query}")
    assert response.status_code == 200, response.content
    return response


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def xlsx_rows(response, tmp_path) -> list[dict]:
    path = tmp_path / "table.xlsx"
    path.write_bytes(response.content)
    sheet = openpyxl.load_workbook(path)["Table_1"]
    heading, *rows = sheet.iter_rows(min_row=3, values_only=True)
    return [dict(zip(heading, row, strict=True)) for row in rows]


def test_a_manager_downloads_every_waiting_offer_not_only_the_page_of_50(client, world, tmp_path):
    for number in range(60):
        offer(world.ons, f"ONS-MANY-{number:02}", 10 + number)
    expected = {f"ONS-MANY-{number:02}": 10 + number for number in range(60)}
    for rows in (
        csv_rows(download(client, world.ons_manager, "waiting", "csv")),
        xlsx_rows(download(client, world.ons_manager, "waiting", "xlsx"), tmp_path),
    ):
        assert len(rows) == 60
        assert {row["Candidate reference"]: int(row["Days waited"]) for row in rows} == expected
        assert rows[0]["Candidate reference"] == "ONS-MANY-59"  # longest wait first, as on the page
        assert "Name" not in rows[0]  # a manager sees no names


def test_the_xlsx_keeps_days_waited_as_numbers_and_says_what_it_covers(client, world, offers, tmp_path):
    response = download(client, world.ons_manager, "waiting", "xlsx", "?scheme=GFiE")
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    cover = {row[0]: row[1] for row in workbook["Cover"].iter_rows(min_row=3, values_only=True)}
    assert cover["What this covers"] == "Offers waiting to start as at 23 November 2026; Scheme: GFiE; " + (
        "Organisation: all you can see"
    )
    terms = [row[0] for row in workbook["Notes"].iter_rows(min_row=4, values_only=True)]
    assert "Days waited" in terms
    assert "Hires" not in terms  # the dashboards' terms are not the pipeline's
    rows = xlsx_rows(download(client, world.ons_manager, "waiting", "xlsx"), tmp_path)
    waits = [(row["Candidate reference"], row["Days waited"]) for row in rows]
    assert waits == [("ONS-WAIT-1", 95), ("ONS-WAIT-2", 12)]
    assert rows[0]["Stage"] == "Pre-employment checks"


def test_hr_download_names_where_the_access_rule_allows(client, world, offers):
    rows = csv_rows(download(client, world.ons_hr, "waiting", "csv"))
    assert {row["Candidate reference"]: row["Name"].split()[0] for row in rows} == {
        "ONS-WAIT-1": "Sam",
        "ONS-WAIT-2": "Robin",
    }


def test_the_keep_in_touch_download_holds_every_offer_due_a_contact(client, world, offers):
    rows = csv_rows(download(client, world.ons_manager, "keep-in-touch", "csv"))
    assert [row["Candidate reference"] for row in rows] == ["ONS-WAIT-1"]  # waited 95 days, never contacted


def test_another_organisation_s_offers_are_never_in_a_download(client, world, offers, tmp_path):
    for query in ("", "?organisation=DWP", "?organisation=ONS"):
        for table in ("waiting", "keep-in-touch"):
            rows = csv_rows(download(client, world.ons_manager, table, "csv", query))
            assert not any(row["Candidate reference"].startswith("DWP") for row in rows), (table, query)
    rows = xlsx_rows(download(client, world.ons_hr, "waiting", "xlsx", "?organisation=DWP"), tmp_path)
    assert rows == []


def test_the_filters_apply_to_the_download(client, world, offers):
    rows = csv_rows(download(client, world.ons_manager, "waiting", "csv", "?scheme=CLIS"))
    assert [row["Candidate reference"] for row in rows] == ["ONS-WAIT-2"]


def test_a_download_is_recorded_as_a_read_of_each_record_in_it(client, world, offers):
    download(client, world.ons_manager, "waiting", "csv")
    read = RecordAccess.objects.filter(user=world.ons_manager, how=RecordAccess.How.EXPORT)
    assert set(read.values_list("record_id", flat=True)) == {offers["ons"].pk, offers["ons_clis"].pk}
    assert set(read.values_list("path", flat=True)) == {f"{PIPELINE}waiting.csv"}


def test_the_waits_table_of_counts_downloads_and_records_no_read(client, world, offers):
    offer(world.ons, "ONS-HIRED", 130, started_on=days_ago(30))
    rows = csv_rows(download(client, world.ons_manager, "waits", "csv"))
    ons = next(row for row in rows if row["Scheme"] == "GFiE" and row["Organisation"] == "ONS")
    assert (ons["Hires counted"], ons["Median days"], ons["90th percentile days"]) == ("1", "100", "100")
    assert not RecordAccess.objects.filter(user=world.ons_manager, how=RecordAccess.How.EXPORT).exists()


def test_a_formula_looking_reference_is_text_in_both_files(client, world, tmp_path):
    offer(world.ons, '=HYPERLINK("http://evil.example","x")', 20)
    rows = csv_rows(download(client, world.ons_manager, "waiting", "csv"))
    assert rows[0]["Candidate reference"] == '\'=HYPERLINK("http://evil.example","x")'
    path = tmp_path / "table.xlsx"
    path.write_bytes(download(client, world.ons_manager, "waiting", "xlsx").content)
    cell = openpyxl.load_workbook(path)["Table_1"]["A4"]
    assert cell.data_type == "s"
    assert cell.value == '=HYPERLINK("http://evil.example","x")'


def test_the_page_links_each_table_s_downloads_with_its_filters(client, world, offers):
    client.force_login(world.ons_manager)
    page = client.get(PIPELINE + "?scheme=CLIS").content.decode()
    for table in ("keep-in-touch", "waiting", "waits"):
        for extension in ("csv", "xlsx"):
            assert f'href="{PIPELINE}{table}.{extension}?scheme=CLIS"' in page


def test_those_who_may_not_use_the_pipeline_download_nothing(client, world, offers):
    client.force_login(world.ons_foi)
    assert client.get(f"{PIPELINE}waiting.csv").status_code == 403
    client.force_login(world.ons_manager)
    assert client.get(f"{PIPELINE}nothing.csv").status_code == 404
    refused = client.get(f"{PIPELINE}waiting.csv?organisation=NOPE")
    assert refused.status_code == 400
    # The page, as it answers the same filter: an error summary naming it, not a line of plain text.
    assert refused["Content-Type"].startswith("text/html")
    assert "There is a problem" in refused.content.decode()
    assert "There is no organisation NOPE" in refused.content.decode()


def test_a_download_is_named_after_its_day_and_filters_not_a_period_it_does_not_have(client, world, offers):
    response = download(client, world.ons_manager, "waiting", "csv", "?scheme=GFiE&from=2020")
    assert response["Content-Disposition"] == 'attachment; filename="waiting-2026-11-23-gfie.csv"'


def test_a_download_s_queries_do_not_grow_with_the_offers_in_it(client, world, offers):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            download(client, world.ons_hr, "waiting", "csv")
        return len(captured)

    queries()  # once to fill the caches (the reference codes, the session)
    few = queries()
    for number in range(30):
        offer(world.ons, f"ONS-MORE-{number:02}", 30 + number, name="Jo")
    assert queries() == few
