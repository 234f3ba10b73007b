"""The managers' dashboards in a real browser: a manager signs in, sees their organisation's overview, filters
to one scheme and year, downloads a table and the test opens it, and sees nobody else's people; a scheme
administrator sees CLIS across departments; a council manager sees the pledge met. Every dashboard page passes
axe-core (the npm package's, pinned in package-lock.json) at WCAG 2.2 AA with its charts drawn, under the
pages' Content Security Policy, and the overview is walked by keyboard alone."""

import csv
import datetime
from pathlib import Path

import openpyxl
import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect

from schemes.models import Organisation, Scheme, Target
from schemes.services import set_up_user
from tests.factories import CandidateFactory, PlacementFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_CORE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def assert_accessible(page, name: str) -> None:
    results = Axe(AXE_CORE.read_text()).run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}})
    assert results.violations_count == 0, f"{name}: {results.generate_report()}"


def charts_drawn(page) -> None:
    """Every chart of the page is drawn (charts.js marks each figure once Chart.js has drawn it)."""
    figures = page.locator("figure[data-chart]")
    assert figures.count() > 0
    for index in range(figures.count()):
        expect(figures.nth(index)).to_have_attribute("data-drawn", "true")


@pytest.fixture
def last_year():
    return timezone.localdate().year - 1


@pytest.fixture
def dashboard_world(world, last_year):
    """ONS: 5 GFiE and 3 CLIS hires last year; DWP: 6 CLIS hires, with references nobody at ONS may see;
    Derby City Council: a pledge of 8 apprenticeships last year, and 9 placed."""

    def hire(organisation, scheme, month, reference=None):
        candidate = CandidateFactory(organisation=organisation, **({"reference": reference} if reference else {}))
        started = datetime.date(last_year, month, 3)
        PlacementFactory(
            candidate=candidate,
            scheme=Scheme.objects.get(code=scheme),
            offered_on=started - datetime.timedelta(days=45),
            started_on=started,
        )

    for month in range(1, 6):
        hire(world.ons, "GFiE", month)
    for month in range(1, 4):
        hire(world.ons, "CLIS", month)
    for number in range(6):
        hire(world.dwp, "CLIS", number + 1, reference=f"DWP-PRIVATE-{number}")
    council = Organisation.objects.create(code="DERBY", name="Derby City Council", kind="council")
    scheme = Scheme.objects.create(
        code="DCC-APPS", name="Derby Apprenticeship Scheme", kind="apprenticeship", owner=council
    )
    Target.objects.create(organisation=council, scheme=scheme, period=str(last_year), kind="pledge", number=8)
    for month in range(1, 10):
        hire(council, "DCC-APPS", month)
    set_up_user("derby_manager", "manager", ["DERBY"], password=world.password)
    return world


def sign_in(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")


def no_script_blocked(page) -> list[str]:
    """Console messages of Content Security Policy violations, collected from now on."""
    blocked: list[str] = []
    page.on(
        "console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None
    )
    return blocked


def headline_hires(page) -> str:
    row = page.locator("#headlines-heading ~ .app-table-wrapper tr", has_text="Hires (placements started)")
    return row.locator("td").first.inner_text().strip()


def test_a_manager_filters_downloads_and_sees_nobody_elses_people(
    page, live_server, dashboard_world, last_year, screenshot, tmp_path
):
    blocked = no_script_blocked(page)
    sign_in(page, live_server, "ons_manager", dashboard_world.password)
    page.get_by_role("link", name="Dashboard").first.click()
    expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible()
    charts_drawn(page)
    screenshot("dashboard-01-overview")
    assert_accessible(page, "overview")

    page.get_by_label("Scheme").select_option("CLIS")
    page.get_by_label("From year").fill(str(last_year))
    page.get_by_label("To year").fill(str(last_year))
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/dashboard/?*scheme=CLIS*")
    assert f"from={last_year}" in page.url
    expect(
        page.get_by_text(f"Showing: Scheme: CLIS; Organisation: all you can see; Period: {last_year}")
    ).to_be_visible()
    assert headline_hires(page) == "3"  # ONS's own three CLIS hires, not DWP's six
    charts_drawn(page)
    assert_accessible(page, "overview filtered")

    with page.expect_download() as csv_download:
        page.get_by_role("link", name="CSV file of Headline figures").click()
    path = tmp_path / "headlines.csv"
    csv_download.value.save_as(path)
    rows = {row[0]: row for row in csv.reader(path.read_text(encoding="utf-8-sig").splitlines())}
    assert rows["Hires (placements started)"][1] == "3"
    assert rows["Hires (placements started)"][4] == "9"  # all organisations together: published, 3 + 6

    with page.expect_download() as xlsx_download:
        page.get_by_role("link", name="spreadsheet (xlsx) of Hires by year").click()
    path = tmp_path / "by-year.xlsx"
    xlsx_download.value.save_as(path)
    sheet = openpyxl.load_workbook(path)["Table_1"]
    by_year = {row[0]: row[1] for row in sheet.iter_rows(min_row=4, values_only=True)}
    assert by_year[str(last_year)] == 3

    page.goto(f"{live_server.url}/dashboard/?organisation=DWP&scheme=CLIS&from={last_year}")
    assert headline_hires(page) == "0"
    for address in ("/dashboard/outcomes/?organisation=DWP", "/dashboard/targets/?organisation=DWP"):
        page.goto(f"{live_server.url}{address}")
        assert "DWP-PRIVATE" not in page.content()

    for address, name in (("/dashboard/outcomes/", "outcomes"), ("/dashboard/targets/", "targets")):
        page.goto(f"{live_server.url}{address}")
        if page.locator("figure[data-chart]").count():
            charts_drawn(page)
        screenshot(f"dashboard-{name}")
        assert_accessible(page, name)
    assert blocked == []


def test_the_overview_is_walked_by_keyboard_alone(page, live_server, dashboard_world, tmp_path):
    sign_in(page, live_server, "ons_manager", dashboard_world.password)
    page.goto(f"{live_server.url}/dashboard/")
    charts_drawn(page)
    reached_chart = False
    for _ in range(80):
        page.keyboard.press("Tab")
        focused = page.evaluate_handle("document.activeElement")
        assert page.evaluate("element => element !== document.body", focused)
        if page.evaluate("element => element.tagName", focused) == "CANVAS":
            reached_chart = True
            break
    assert reached_chart, "the chart is not reachable by Tab"
    page.keyboard.press("ArrowRight")
    expect(page.locator("figure[data-chart] [aria-live]").first).not_to_be_empty()
    for _ in range(40):  # on to the chart's table's download links, still by keyboard
        page.keyboard.press("Tab")
        if "CSV" in page.evaluate("document.activeElement.textContent || ''"):
            break
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename.endswith(".csv")


def test_a_scheme_administrator_sees_clis_across_departments(page, live_server, dashboard_world, last_year, screenshot):
    sign_in(page, live_server, "dfe_scheme_admin", dashboard_world.password)
    page.goto(f"{live_server.url}/dashboard/?scheme=CLIS&from={last_year}&to={last_year}")
    assert headline_hires(page) == "9"  # ONS's 3 and DWP's 6: DfE owns CLIS
    charts_drawn(page)
    screenshot("dashboard-scheme-admin")
    assert_accessible(page, "scheme administrator's overview")


def test_a_council_manager_sees_the_pledge_met(page, live_server, dashboard_world, last_year, screenshot):
    sign_in(page, live_server, "derby_manager", dashboard_world.password)
    page.get_by_role("link", name="Dashboard").first.click()
    page.get_by_role("link", name="Pledges and targets").click()
    pledge = (
        f"Derby City Council set a pledge of 8 hires on Derby Apprenticeship Scheme for the calendar year {last_year}."
    )
    expect(page.get_by_text(f"{pledge} 9 started: the pledge was met.")).to_be_visible()
    expect(page.locator(".govuk-tag", has_text="Met").first).to_be_visible()
    charts_drawn(page)
    screenshot("dashboard-targets-council")
    assert_accessible(page, "council's pledges")
