"""A visitor who follows a link to the API documentation without signing in is told how to get in, on an
accessible page, and signing in from there leads back to the documentation."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_foi_browser import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_docs_page_explains_how_to_get_in_and_signing_in_leads_back(page, live_server, world, screenshot):
    page.goto(f"{live_server.url}/api/v1/docs/")
    expect(page.get_by_role("heading", name="Using the API")).to_be_visible()
    expect(page.get_by_text("Authorization: Token")).to_be_visible()
    screenshot("20-api-docs-signed-out")
    assert_accessible(page, "API docs, signed out")

    page.get_by_role("button", name="Sign in to see the API documentation").click()
    page.get_by_label("Username").fill("ons_hr")
    page.get_by_label("Password").fill(world.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/api/v1/docs/")
    # Swagger UI loads the schema and draws the endpoints from it.
    expect(page.get_by_text("/api/v1/stats/hires/").first).to_be_visible()
