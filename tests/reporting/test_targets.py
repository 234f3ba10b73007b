"""Pledges and targets against the hires of their period, as HR and scheme administrators read them."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reporting.targets import progress
from schemes.models import Organisation, Scheme, Target
from schemes.services import set_up_user
from tests.factories import PlacementFactory

D = datetime.date


@pytest.fixture(autouse=True)
def today():
    """Mid-way through the 2025-26 financial year and the 2025 calendar year."""
    with time_machine.travel(datetime.datetime(2025, 10, 15, 12, 0, tzinfo=datetime.UTC), tick=False):
        yield D(2025, 10, 15)


@pytest.fixture
def clis():
    return Scheme.objects.get(code="CLIS")


@pytest.fixture
def ons_unit(world):
    return Organisation.objects.create(code="ONS-DSC", name="ONS Data Science Campus", kind="unit", parent=world.ons)


def hire(organisation, started_on, scheme=None):
    return PlacementFactory(
        candidate__organisation=organisation,
        scheme=scheme or Scheme.objects.get(code="CLIS"),
        offered_on=started_on - datetime.timedelta(days=60),
        started_on=started_on,
    )


def target(organisation, period, number, kind="target", scheme="CLIS"):
    return Target.objects.create(
        organisation=organisation, scheme=Scheme.objects.get(code=scheme), period=period, kind=kind, number=number
    )


def test_a_calendar_year_counts_the_organisations_hires_on_the_scheme_that_started_in_it(world, ons_unit):
    pledge = target(world.ons, "2024", 3, kind="pledge")
    for counted in (D(2024, 1, 1), D(2024, 6, 3), D(2024, 12, 31)):
        hire(world.ons, counted)
    hire(ons_unit, D(2024, 9, 2))  # a unit's hires are the organisation's
    hire(world.ons, D(2023, 12, 31))  # another year
    hire(world.ons, D(2025, 1, 1))
    hire(world.dwp, D(2024, 6, 3))  # another organisation
    hire(world.ons, D(2024, 6, 3), scheme=Scheme.objects.get(code="GFiE"))  # another scheme
    no_start = {"offered_on": D(2024, 5, 1), "started_on": None}
    PlacementFactory(candidate__organisation=world.ons, scheme=pledge.scheme, **no_start)  # an offer, not a hire

    found = progress([pledge], world.ons_hr)[pledge.pk]
    assert found.actual == 4
    assert found.met is True
    assert found.label == "Met"


def test_a_financial_year_runs_from_1_april_to_31_march(world):
    year = target(world.ons, "2024-25", 3)
    for counted in (D(2024, 4, 1), D(2025, 3, 31)):
        hire(world.ons, counted)
    for outside in (D(2024, 3, 31), D(2025, 4, 1)):
        hire(world.ons, outside)

    found = progress([year], world.ons_hr)[year.pk]
    assert found.actual == 2
    assert (found.met, found.label) == (False, "Not met")  # the year is over


def test_a_period_still_running_is_not_yet_met_and_future_starts_do_not_count(world, today):
    current = target(world.ons, "2025-26", 2)
    hire(world.ons, today)
    hire(world.ons, today + datetime.timedelta(days=1))  # starts tomorrow: not yet a hire

    found = progress([current], world.ons_hr)[current.pk]
    assert found.actual == 1
    assert found.label == "Not yet met"
    hire(world.ons, D(2025, 4, 1))
    assert progress([current], world.ons_hr)[current.pk].label == "Met"


def test_guaranteed_interviews_are_not_a_number_of_hires(world):
    interviews = target(world.ons, "2024", 12, kind="guaranteed_interviews")
    hire(world.ons, D(2024, 6, 3))
    found = progress([interviews], world.ons_hr)[interviews.pk]
    assert found.actual == 1
    assert (found.met, found.label) == (None, "–")


@pytest.mark.parametrize(
    ("username", "shown"),
    [
        ("ons_hr", True),  # ONS's own records
        ("ons_manager", True),
        ("dfe_scheme_admin", True),  # DfE runs CLIS: every CLIS placement is theirs to see
        ("superuser", True),
        ("dwp_hr", False),  # another department's hires: exact counts are not theirs
        ("ons_foi", False),  # FOI officers see no records, and publish through disclosure control
    ],
)
def test_the_exact_count_is_shown_only_to_people_who_see_every_hire_it_counts(world, username, shown):
    ons_target = target(world.ons, "2024", 8)
    for _ in range(2):
        hire(world.ons, D(2024, 6, 3))
    found = progress([ons_target], getattr(world, username))[ons_target.pk]
    assert found.actual == (2 if shown else None)
    assert found.label == ("Not met" if shown else "–")


def test_staff_of_a_unit_see_their_units_count_but_not_the_whole_organisations(world, ons_unit):
    unit_hr = set_up_user("dsc_hr", "hr", ["ONS-DSC"], password=world.password)
    department, unit = target(world.ons, "2024", 8), target(ons_unit, "2024", 2)
    hire(world.ons, D(2024, 6, 3))
    hire(ons_unit, D(2024, 7, 1))
    found = progress([department, unit], unit_hr)
    assert found[department.pk].actual is None
    assert found[unit.pk].actual == 1


def test_a_page_of_targets_costs_the_same_few_queries_however_many_targets_it_holds(world, ons_unit):
    targets = [target(org, str(year), 5) for org in (world.ons, world.dwp) for year in range(2015, 2025)]
    targets += [target(world.ons, f"{year}-{(year + 1) % 100:02d}", 5) for year in range(2015, 2025)]
    for year in range(2015, 2025):
        hire(world.ons, D(year, 5, 1))
        hire(ons_unit, D(year, 11, 1))
    page = Target.objects.select_related("organisation", "scheme").filter(pk__in=[t.pk for t in targets])

    def queries_for(targets) -> tuple[int, dict]:
        with CaptureQueriesContext(connection) as queries:
            found = progress(targets, world.ons_hr)
        return len(queries), found

    queries_for(list(page[:1]))  # what is read once whatever the page (the organisation tree) is read now
    one, _ = queries_for(list(page[:1]))
    thirty, found = queries_for(list(page))
    assert one == thirty
    assert {found[t.pk].actual for t in targets if t.organisation == world.ons and "-" not in t.period} == {2}
    assert {found[t.pk].actual for t in targets if t.organisation == world.dwp} == {0}  # a true zero tells nothing


def test_the_admins_targets_list_shows_the_actual_hires_and_progress(client, world):
    target(world.ons, "2024", 1, kind="pledge")
    hire(world.ons, D(2024, 6, 3))
    client.force_login(world.ons_hr)
    page = client.get("/admin/schemes/target/").content.decode()
    assert "Actual hires" in page
    assert '<td class="field-actual_hires">1</td>' in page
    assert '<td class="field-progress_label">Met</td>' in page
