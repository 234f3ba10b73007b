"""A manager in a real browser: opens the pipeline, sees their organisation's offers waiting by reference (and
nobody else's), records a contact for the one waiting longest with no news, and the page then shows it; every
page passes axe-core (WCAG 2.2 AA). The clock is pinned to 23 November 2026 (ticking, for the browser's sake)."""

import datetime

import pytest
import time_machine
from playwright.sync_api import expect

from placements.models import Contact
from schemes.models import Scheme
from tests.browser.test_foi_browser import assert_accessible
from tests.factories import PlacementFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = datetime.date(2026, 11, 23)


@pytest.fixture(autouse=True)
def pinned_clock():
    with time_machine.travel(datetime.datetime(2026, 11, 23, 9, 0, tzinfo=datetime.UTC), tick=True):
        yield


def offer(organisation, reference: str, waited: int, scheme: str = "CLIS", **dates):
    return PlacementFactory(
        candidate__organisation=organisation,
        candidate__reference=reference,
        candidate__given_name="Jordan",
        scheme=Scheme.objects.get(code=scheme),
        offered_on=TODAY - datetime.timedelta(days=waited),
        **{"started_on": None, **dates},
    )


def test_a_manager_records_a_contact_from_the_pipeline(page, live_server, world, screenshot):
    waiting = offer(world.ons, "ONS-0042", 120, clearance_requested_on=TODAY - datetime.timedelta(days=100))
    offer(world.ons, "ONS-0043", 20, scheme="GFiE", last_contact_on=TODAY - datetime.timedelta(days=2))
    offer(world.dwp, "DWP-0007", 200)
    PlacementFactory(
        candidate__organisation=world.ons,
        scheme=Scheme.objects.get(code="CLIS"),
        offered_on=TODAY - datetime.timedelta(days=150),
        started_on=TODAY - datetime.timedelta(days=30),
    )

    page.goto(f"{live_server.url}/dashboard/pipeline/")
    page.get_by_label("Username").fill("ons_manager")
    page.get_by_label("Password").fill(world.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/dashboard/pipeline/")
    expect(page.get_by_role("heading", name="Offers waiting to start", level=1)).to_be_visible()
    due = page.get_by_role("table", name="Waited more than 28 days")
    expect(due.get_by_role("rowheader", name="ONS-0042")).to_be_visible()
    expect(due.get_by_role("rowheader", name="ONS-0043")).to_have_count(0)
    listed = page.get_by_role("table", name="Offers waiting to start: 2")
    row = listed.get_by_role("row", name="ONS-0042")
    expect(row).to_contain_text("Pre-employment checks")
    expect(row).to_contain_text("120")
    expect(row).to_contain_text("None recorded")
    expect(page.get_by_text("DWP-0007")).to_have_count(0)
    expect(page.get_by_text("Jordan")).to_have_count(0)  # references, never names, for a manager
    waits = page.get_by_role("table", name="Hires who started in the last 365 days")
    expect(waits.get_by_role("row", name="CLIS ONS")).to_contain_text(
        "120"
    )  # offered 150 days ago, started 30 days ago
    screenshot("pipeline-01-manager")
    assert_accessible(page, "the pipeline")

    row.get_by_role("link", name="Record a contact for ONS-0042").click()
    expect(page.get_by_role("heading", name="Record a contact")).to_be_visible()
    page.get_by_role("button", name="Record the contact").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary.get_by_role("link", name="Enter the date of contact")).to_be_visible()
    expect(summary.get_by_role("link", name="Select how you were in touch")).to_be_visible()
    screenshot("pipeline-02-contact-errors")
    assert_accessible(page, "a contact with errors")

    page.get_by_label("Date of contact").fill("23/11/2026")
    page.get_by_label("Phone call").check()
    page.get_by_label("Note (optional)").fill("Clearance expected in December; start date to follow.")
    assert_accessible(page, "a contact filled in")
    page.get_by_role("button", name="Record the contact").click()

    page.wait_for_url(f"{live_server.url}/dashboard/pipeline/")
    expect(page.get_by_text("Contact with ONS-0042 recorded.")).to_be_visible()
    row = page.get_by_role("table", name="Offers waiting to start: 2").get_by_role("row", name="ONS-0042")
    expect(row).to_contain_text("23 Nov 2026 (phone call)")
    expect(page.get_by_role("table", name="Waited more than 28 days").get_by_role("rowheader")).to_have_count(0)
    screenshot("pipeline-03-after-contact")
    assert_accessible(page, "the pipeline after a contact")
    contact = Contact.objects.get()
    assert (contact.placement_id, contact.recorded_by.username) == (waiting.pk, "ons_manager")
