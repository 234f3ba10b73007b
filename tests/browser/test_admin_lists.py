"""HR staff on a laptop: the admin's lists show their key columns on a 1280 or 1366 px screen, beside the
filters, without scrolling sideways."""

import datetime

import pytest

from placements.choices import OutcomeCode
from placements.models import Placement
from schemes.models import Location, Organisation, Scheme, Target
from tests.factories import OutcomeFactory, PlacementFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENS = [(1280, 800), (1366, 768)]
# The columns HR look for in each list (the first links to the record); the rest is on the change page.
KEY_COLUMNS = {
    "placements/placement": [
        "candidate_reference",
        "organisation_code",
        "scheme_code",
        "grade",
        "started_on",
        "status_label",
        "latest_outcome",
    ],
    "placements/candidate": ["reference", "organisation_code", "date_of_birth", "placement_count"],
    "placements/outcome": ["candidate_reference", "scheme_code", "code", "on", "destination_code"],
    "schemes/target": [
        "organisation_code",
        "scheme_code",
        "period",
        "kind",
        "number",
        "actual_hires",
        "progress_label",
    ],
}


@pytest.fixture
def records(world):
    """Records with the longest values a list shows: a campus site, a nested unit's references, a transfer."""
    unit = Organisation.objects.create(code="ONS-DSC", name="ONS Data Science Campus", kind="unit", parent=world.ons)
    campus = Location.objects.get(name="Darlington Economic Campus")
    clis = Scheme.objects.get(code="CLIS")
    for number in range(12):
        placement = PlacementFactory(
            candidate__organisation=unit if number % 2 else world.ons,
            candidate__reference=f"DEMO-ONS-DSC-{number:05d}",
            candidate__date_of_birth=datetime.date(2004, 2, 29),
            scheme=clis,
            location=campus,
            offered_on=datetime.date(2023, 6, 1),
            started_on=datetime.date(2023, 9, 4),
        )
        OutcomeFactory(
            placement=placement,
            code=OutcomeCode.TRANSFERRED,
            on=datetime.date(2024, 9, 30),
            destination_organisation=world.dwp,
        )
    Placement.objects.refresh_latest_outcomes()
    for year in range(2019, 2025):
        Target.objects.create(
            organisation=world.ons, scheme=clis, period=f"{year}-{(year + 1) % 100:02d}", kind="target", number=12
        )
        Target.objects.create(
            organisation=world.ons, scheme=clis, period=str(year), kind="guaranteed_interviews", number=20
        )


def sign_in_to_the_admin(page, live_server, username, password):
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/admin/")


@pytest.mark.parametrize(("width", "height"), SCREENS)
def test_the_key_columns_of_each_list_are_on_screen_without_scrolling(
    page, live_server, world, records, screenshot, width, height
):
    page.set_viewport_size({"width": width, "height": height})
    sign_in_to_the_admin(page, live_server, "ons_hr", world.password)
    for path, columns in KEY_COLUMNS.items():
        page.goto(f"{live_server.url}/admin/{path}/")
        screenshot(f"admin-{path.replace('/', '-')}-{width}")
        assert page.locator("#result_list tbody tr").count() > 0, path
        for column in columns:
            header = page.locator(f"#result_list thead th.column-{column}")
            box = header.bounding_box()
            assert box is not None, f"{path}: no column {column}"
            assert box["x"] >= 0, f"{path} at {width} px: {column} is off screen"
            assert box["x"] + box["width"] <= width, f"{path} at {width} px: {column} is off screen"
        results = page.locator("#changelist .results")
        overflow = results.evaluate("element => element.scrollWidth - element.clientWidth")
        assert overflow <= 0, f"{path} at {width} px scrolls sideways by {overflow} px"
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path


def test_hr_read_the_actual_hires_beside_their_targets(page, live_server, world, records):
    sign_in_to_the_admin(page, live_server, "ons_hr", world.password)
    page.goto(f"{live_server.url}/admin/schemes/target/?period=2023-24")
    row = page.locator("#result_list tbody tr").first
    assert row.locator("td.field-actual_hires").inner_text() == "12"  # 12 hires started in September 2023
    assert row.locator("td.field-progress_label").inner_text() == "Met"
