"""An FOI officer on /exports/ in a real browser: the schedules and runs, a running export whose progress the
page announces politely as it changes, the download once it is done; every page passes axe-core (WCAG 2.2 AA)."""

import pytest
from playwright.sync_api import expect

from reporting.exports import runs
from reporting.exports.models import ExportRun, ExportSchedule
from reporting.exports.periods import Period
from tests.browser.test_foi_browser import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_foi_officer_watches_an_export_finish_and_downloads_it(
    page, live_server, world, screenshot, settings, tmp_path
):
    settings.EXPORTS_ROOT = tmp_path / "exports"
    schedule = ExportSchedule.objects.create(
        name="ONS FOI pack", export="foi_pack", organisation=world.ons, frequency="monthly"
    )
    run, _ = runs.request_run(
        "foi_pack", Period.parse("2024-09"), organisation=world.ons, schedule=schedule, via="schedule", queue=False
    )
    ExportRun.objects.filter(pk=run.pk).update(status="running", progress=35, progress_note="Counting.")

    page.goto(f"{live_server.url}/exports/")
    page.get_by_label("Username").fill("ons_foi")
    page.get_by_label("Password").fill(world.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/exports/")
    expect(page.get_by_role("heading", name="Exports", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Run now ONS FOI pack")).to_be_visible()
    screenshot("exports-01-index")
    assert_accessible(page, "exports")

    page.get_by_role("link", name="FOI-ready pack: all schemes, ONS").click()
    status = page.get_by_role("status")
    expect(status).to_have_text("Running: 35% done. Counting.")
    assert status.get_attribute("aria-live") == "polite"
    expect(page.get_by_role("link", name="Download the file")).to_be_hidden()
    assert_accessible(page, "a running export")

    runs.execute_run(run.pk, token=ExportRun.objects.get(pk=run.pk).claimed_by)  # the worker finishes it
    expect(status).to_have_text("Done.", timeout=15_000)
    expect(page.get_by_text("Done", exact=True)).to_be_visible()
    screenshot("exports-02-done")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the file").click()
    assert download.value.suggested_filename == "foi_pack-all-schemes-ONS-2024-09.xlsx"
    assert_accessible(page, "a finished export")

    page.goto(f"{live_server.url}/exports/schedules/new/")
    page.get_by_role("button", name="Save the schedule").click()
    expect(
        page.locator(".govuk-error-summary").get_by_role("link", name="Enter a name for the schedule")
    ).to_be_visible()
    screenshot("exports-03-schedule-errors")
    assert_accessible(page, "a schedule with errors")
