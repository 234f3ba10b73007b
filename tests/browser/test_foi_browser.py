"""An FOI officer in a real browser: signs in, logs a request, sees its due date, generates and downloads
the pack; and every page passes an automated WCAG 2.2 AA check (axe-core) with no violations."""

import datetime

import openpyxl
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from reporting.models import FoiRequest
from tests.factories import PlacementFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def assert_accessible(page, name: str) -> None:
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}})
    assert results.violations_count == 0, f"{name}: {results.generate_report()}"


def test_an_foi_officer_logs_a_request_and_downloads_its_pack(page, live_server, world, screenshot, tmp_path):
    for started_on in [datetime.date(2023, 9, 4)] * 6 + [datetime.date(2024, 1, 8)] * 5:
        PlacementFactory(started_on=started_on)

    page.goto(f"{live_server.url}/foi/")
    assert page.url.startswith(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.locator("header").get_by_text("Care leaver employment schemes")).to_be_visible()
    screenshot("01-sign-in")
    assert_accessible(page, "sign in")

    page.get_by_label("Username").fill("ons_foi")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert").get_by_text("There is a problem")).to_be_visible()
    screenshot("02-sign-in-error")
    assert_accessible(page, "sign in with an error")

    page.get_by_label("Username").fill("ons_foi")
    page.get_by_label("Password").fill(world.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/foi/")
    expect(page.get_by_role("heading", name="FOI requests")).to_be_visible()
    screenshot("03-register-empty")
    assert_accessible(page, "register")

    page.get_by_role("button", name="Log a new request").click()
    page.get_by_role("button", name="Log the request").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary.get_by_role("link", name="Enter the FOI reference")).to_be_visible()
    expect(summary.get_by_role("link", name="Enter the date received")).to_be_visible()
    assert page.title().startswith("Error: ")
    screenshot("04-new-request-errors")
    assert_accessible(page, "new request with errors")

    # The error summary links take the user to the field.
    summary.get_by_role("link", name="Enter the FOI reference").click()
    assert page.evaluate("document.activeElement.id") == "id_reference"

    page.get_by_label("FOI reference").fill("FOI-2024-2480")
    page.get_by_label("Date received").fill("19/12/2024")
    page.get_by_label("Questions").fill("How many care leavers have you hired each year since 2019?")
    page.get_by_label("First year (optional)").fill("2019")
    page.get_by_label("Last year (optional)").fill("2024")
    screenshot("05-new-request-filled")
    assert_accessible(page, "new request")
    page.get_by_role("button", name="Log the request").click()

    expect(page.get_by_role("heading", name="FOI-2024-2480")).to_be_visible()
    due = page.locator(".govuk-summary-list__row", has=page.get_by_text("Due", exact=True))
    assert "Wednesday 22 January 2025" in due.inner_text()
    screenshot("06-request-detail")
    assert_accessible(page, "request detail")

    page.get_by_role("button", name="Generate the pack").click()
    expect(page.get_by_text("The pack for FOI-2024-2480 is ready to download.")).to_be_visible()
    screenshot("07-request-with-pack")
    assert_accessible(page, "request detail with pack")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the pack").click()
    download = download_info.value
    assert download.suggested_filename == "foi-2024-2480-pack.xlsx"
    download.save_as(tmp_path / download.suggested_filename)
    workbook = openpyxl.load_workbook(tmp_path / download.suggested_filename)
    assert {"Cover", "Contents", "Notes", "Table_1"} <= set(workbook.sheetnames)
    by_year = {row[0]: row[1] for row in workbook["Table_1"].iter_rows(min_row=2, values_only=True) if row[0]}
    assert by_year["2023"] == 6
    assert by_year["2024"] == 5

    page.get_by_role("link", name="Back to FOI requests").click()
    expect(page.get_by_role("link", name="FOI-2024-2480")).to_be_visible()
    screenshot("08-register")
    assert_accessible(page, "register with a request")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="You have signed out")).to_be_visible()
    screenshot("09-signed-out")
    assert_accessible(page, "signed out")


def sign_in(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_the_request_steps_are_accessible_too(page, live_server, world, screenshot):
    foi_request = FoiRequest.objects.create(
        reference="FOI-2025-0007",
        received_on=datetime.date(2025, 4, 1),
        questions="How many apprentices?",
        organisation=world.ons,
    )
    sign_in(page, live_server, "ons_foi", world.password)
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("link", name="FOI requests").first).to_be_visible()
    screenshot("10-home")
    assert_accessible(page, "home")

    page.goto(f"{live_server.url}/foi/{foi_request.pk}/")
    page.get_by_role("link", name="Ask for a clarification").click()
    page.get_by_role("button", name="Stop the clock").click()
    error_summary = page.locator(".govuk-error-summary")
    expect(error_summary.get_by_role("link", name="Enter the date clarification")).to_be_visible()
    screenshot("11-clarification-errors")
    assert_accessible(page, "ask for a clarification, with an error")
    page.get_by_label("Date clarification was asked for").fill("03/04/2025")
    page.get_by_role("button", name="Stop the clock").click()
    expect(page.get_by_text("Clock stopped: waiting for a clarification")).to_be_visible()
    assert_accessible(page, "request detail, clock stopped")

    page.get_by_role("link", name="Record the clarification received").click()
    assert_accessible(page, "clarification received")
    page.get_by_label("Date clarification was received").fill("07/04/2025")
    page.get_by_role("button", name="Restart the clock").click()
    # Received Tue 1 Apr 2025, due Thu 1 May without a pause (test_foi_dates.py). Asked Thu 3 Apr (day 2),
    # received Mon 7 Apr: Fri 4 and Mon 7 do not count, so the deadline moves two working days to Tue 6 May
    # (Mon 5 May is the Early May bank holiday).
    due = page.locator(".govuk-summary-list__row", has=page.get_by_text("Due", exact=True))
    assert "Tuesday 6 May 2025" in due.inner_text()

    page.get_by_role("link", name="Extend for the public interest test").click()
    page.get_by_label("Extra working days").fill("25")
    page.get_by_role("button", name="Extend the deadline").click()
    expect(page.locator(".govuk-error-summary").get_by_text("An extension is at most 20 working days")).to_be_visible()
    screenshot("12-extension-errors")
    assert_accessible(page, "extension, with an error")

    page.goto(f"{live_server.url}/foi/{foi_request.pk}/answer/")
    assert_accessible(page, "record the answer")
    page.goto(f"{live_server.url}/foi/{foi_request.pk}/withdraw/")
    screenshot("13-withdraw")
    assert_accessible(page, "withdraw")

    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server.url}/foi/?show=all")
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_be_visible()  # the service navigation collapses on a phone, and opens on demand
    menu.click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    screenshot("14-register-phone")
    assert_accessible(page, "register on a phone")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_server, "ons_hr", world.password)
    page.goto(f"{live_server.url}/foi/")
    expect(page.get_by_role("heading", name="You do not have access to this page")).to_be_visible()
    screenshot("15-refused")
    assert_accessible(page, "refused (403)")
