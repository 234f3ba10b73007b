"""The breakdown service counts hires and outcomes the way an FOI officer would count them by hand."""

import datetime
from collections import Counter

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from placements.models import Placement
from reporting.breakdowns import BreakdownError, Scope, count_hires, count_outcomes, starts_before
from reporting.dimensions import NO_BUSINESS_UNIT, NO_OUTCOME
from reporting.publication import Slice
from schemes.models import Grade, Location, Organisation, Scheme
from tests.factories import OutcomeFactory, PlacementFactory

D = datetime.date
TODAY = D(2025, 6, 1)


@pytest.fixture(autouse=True)
def pinned_clock():
    with time_machine.travel(datetime.datetime(2025, 6, 1, 12, 0), tick=False):
        yield


@pytest.fixture
def ons_hires(world):
    """GFiE hires at ONS: Newport and Titchfield, AO and EO, over several years (one year with none)."""
    newport, titchfield = Location.objects.get(name="Newport"), Location.objects.get(name="Titchfield")
    ao, eo = Grade.objects.get(code="AO"), Grade.objects.get(code="EO")
    rows = [
        (D(2019, 9, 2), newport, ao),
        (D(2019, 9, 2), newport, eo),
        (D(2020, 3, 31), titchfield, ao),  # financial year 2019-20
        (D(2020, 4, 1), titchfield, ao),  # financial year 2020-21
        (D(2022, 1, 10), newport, eo),
        (D(2022, 11, 7), titchfield, eo),
        (D(2022, 11, 7), newport, eo),
        (D(2024, 2, 5), newport, ao),
    ]
    return [
        hire(candidate__organisation=world.ons, location=location, grade=grade, started_on=start)
        for start, location, grade in rows
    ]


@pytest.fixture
def noise(world):
    """Records the ONS GFiE scope must not count: another department, another scheme, an offer not yet
    started, and a start date still in the future."""
    clis = Scheme.objects.get(code="CLIS")
    return [
        hire(candidate__organisation=world.dwp, started_on=D(2022, 5, 1)),
        hire(candidate__organisation=world.ons, scheme=clis, started_on=D(2022, 5, 1)),
        PlacementFactory(candidate__organisation=world.ons, offered_on=D(2024, 1, 1), started_on=None),
        PlacementFactory(candidate__organisation=world.ons, offered_on=D(2025, 5, 1), started_on=D(2025, 9, 1)),
    ]


def hire(**fields) -> Placement:
    """A placement that started (no offer date, so any start date is allowed)."""
    return PlacementFactory(offered_on=None, **fields)


def rows(breakdown) -> list[dict]:
    """The breakdown as exact statistics give it: {"year": "2023", "count": 3}, ..."""
    return Slice.exact(breakdown).rows()


def hire_batch(size: int, **fields) -> list[Placement]:
    return PlacementFactory.create_batch(size, offered_on=None, **fields)


ONS_GFIE = Scope(scheme="GFiE", organisation="ONS")


def test_hires_by_year_and_location_match_a_count_by_hand(ons_hires, noise):
    breakdown = count_hires(ONS_GFIE, ["year", "location"])
    by_hand = Counter((str(p.started_on.year), p.location.name) for p in ons_hires)
    assert breakdown.categories["year"] == ("2019", "2020", "2021", "2022", "2023", "2024")
    assert breakdown.categories["location"] == ("Newport", "Titchfield")
    for key in breakdown.cells():
        assert breakdown.count(*key) == by_hand[key]
    assert breakdown.count("2021", "Newport") == 0  # a year with no hires is a real zero, not missing
    assert breakdown.total == len(ons_hires)


def test_financial_years_run_from_april_to_march(ons_hires):
    breakdown = count_hires(Scope(scheme="GFiE", organisation="ONS", year_basis="financial"), ["year"])
    assert breakdown.categories["year"] == ("2019-20", "2020-21", "2021-22", "2022-23", "2023-24")
    assert rows(breakdown) == [
        {"year": "2019-20", "count": 3},  # Sep 2019 twice and 31 March 2020
        {"year": "2020-21", "count": 1},  # 1 April 2020
        {"year": "2021-22", "count": 1},
        {"year": "2022-23", "count": 2},
        {"year": "2023-24", "count": 1},
    ]


def test_a_year_range_limits_the_hires_and_lists_every_year_in_it(ons_hires):
    scope = Scope(scheme="GFiE", organisation="ONS", first_year=2021, last_year=2023)
    breakdown = count_hires(scope, ["year"])
    assert rows(breakdown) == [
        {"year": "2021", "count": 0},
        {"year": "2022", "count": 3},
        {"year": "2023", "count": 0},
    ]
    financial = count_hires(
        Scope(scheme="GFiE", organisation="ONS", year_basis="financial", first_year=2019, last_year=2019), ["year"]
    )
    assert rows(financial) == [{"year": "2019-20", "count": 3}]


def test_grades_come_in_order_of_seniority_and_local_grades_count_as_their_band(world):
    heo, g7 = Grade.objects.get(code="HEO"), Grade.objects.get(code="G7")
    local = Grade.objects.create(
        code="ONS-B1", name="ONS band 1", framework="local", rank=1, organisation=world.ons, band=heo
    )
    for grade in (g7, heo, local):
        hire(candidate__organisation=world.ons, grade=grade)
    breakdown = count_hires(ONS_GFIE, ["grade"])
    assert breakdown.categories["grade"] == ("HEO", "G7")  # HEO ranks below G7 though it sorts after it
    assert rows(breakdown) == [{"grade": "HEO", "count": 2}, {"grade": "G7", "count": 1}]


def test_an_organisation_includes_the_units_nested_under_it(world):
    unit = Organisation.objects.create(code="ONS-DSC", name="Data Science Campus", kind="unit", parent=world.ons)
    team = Organisation.objects.create(code="ONS-DSC-NLP", name="Text analysis team", kind="unit", parent=unit)
    hire(candidate__organisation=unit, business_unit="Data Science Campus")
    hire(candidate__organisation=team, business_unit="Data Science Campus")
    hire(candidate__organisation=world.ons)
    hire(candidate__organisation=world.dwp)
    breakdown = count_hires(Scope(organisation="ons"), ["organisation", "business_unit"])
    assert breakdown.categories["organisation"] == ("ONS", "ONS-DSC", "ONS-DSC-NLP")
    assert breakdown.count("ONS", NO_BUSINESS_UNIT) == 1
    assert breakdown.count("ONS-DSC", "Data Science Campus") == 1
    assert breakdown.count("ONS-DSC-NLP", "Data Science Campus") == 1
    assert count_hires(Scope(organisation="ONS-DSC"), []).total == 2
    assert count_hires(Scope(organisation="ONS-DSC-NLP"), []).total == 1


def test_regions_and_schemes_are_dimensions_too(world):
    hire(candidate__organisation=world.ons, location=Location.objects.get(name="Cardiff"))
    hire(candidate__organisation=world.ons, location=Location.objects.get(name="Newport"))
    hire(
        candidate__organisation=world.dwp,
        location=Location.objects.get(name="Leeds"),
        scheme=Scheme.objects.get(code="CLIS"),
    )
    breakdown = count_hires(Scope(), ["region", "scheme"])
    assert breakdown.categories["region"] == ("Yorkshire and The Humber", "Wales")
    assert breakdown.count("Wales", "GFiE") == 2
    assert breakdown.count("Yorkshire and The Humber", "CLIS") == 1
    assert breakdown.count("Wales", "CLIS") == 0


def test_outcomes_count_each_hire_once_by_its_latest_outcome(world):
    permanent = hire(candidate__organisation=world.ons, started_on=D(2022, 9, 5))
    OutcomeFactory(placement=permanent, code="in_post", on=D(2022, 9, 5))
    OutcomeFactory(placement=permanent, code="permanent", on=D(2023, 9, 5))
    failed = hire(candidate__organisation=world.ons, started_on=D(2022, 10, 3))
    OutcomeFactory(placement=failed, code="probation_failed", on=D(2023, 1, 9))
    hire(candidate__organisation=world.ons, started_on=D(2023, 1, 16))  # nothing recorded

    breakdown = count_outcomes(ONS_GFIE, ["outcome"])
    assert breakdown.categories["outcome"][0] == "Still in post"
    assert breakdown.categories["outcome"][-2:] == ("Not known", NO_OUTCOME)
    assert breakdown.count("Made permanent") == 1
    assert breakdown.count("Still in post") == 0
    assert breakdown.count("Did not pass probation") == 1
    assert breakdown.count(NO_OUTCOME) == 1
    assert breakdown.total == 3


def test_outcomes_as_at_a_past_date_use_the_history(world):
    placement = hire(candidate__organisation=world.ons, started_on=D(2022, 9, 5))
    OutcomeFactory(placement=placement, code="in_post", on=D(2022, 9, 5))
    OutcomeFactory(placement=placement, code="permanent", on=D(2023, 9, 5))
    hire(candidate__organisation=world.ons, started_on=D(2023, 12, 1))  # not yet a hire in June 2023
    left = hire(candidate__organisation=world.ons, started_on=D(2022, 10, 3))
    OutcomeFactory(placement=left, code="left_early", on=D(2023, 2, 1))  # its latest outcome, before June 2023

    in_june_2023 = count_outcomes(ONS_GFIE, ["outcome"], as_at=D(2023, 6, 30))
    assert in_june_2023.count("Still in post") == 1
    assert in_june_2023.count("Made permanent") == 0
    assert in_june_2023.count("Left early") == 1
    assert in_june_2023.total == 2
    assert count_outcomes(ONS_GFIE, ["outcome"], as_at=TODAY).count("Made permanent") == 1


@pytest.mark.parametrize(
    ("scope", "by", "parameter"),
    [
        (Scope(scheme="NOPE"), ["year"], "scheme"),
        (Scope(organisation="NOPE"), ["year"], "organisation"),
        (Scope(), ["year", "colour"], "by"),
        (Scope(), ["year", "location", "grade", "scheme"], "by"),
        (Scope(), ["year", "year"], "by"),
    ],
)
def test_bad_requests_name_the_parameter(world, scope, by, parameter):
    with pytest.raises(BreakdownError) as error:
        count_hires(scope, by)
    assert error.value.parameter == parameter


def test_bad_scopes_name_the_parameter():
    with pytest.raises(BreakdownError, match="year_basis"):
        Scope(year_basis="academic")
    with pytest.raises(BreakdownError, match="from"):
        Scope(first_year=2024, last_year=2020)


@pytest.mark.parametrize(
    ("years", "parameter"),
    [
        ({"first_year": 1}, "from"),
        ({"first_year": 1999}, "from"),
        ({"last_year": 1999}, "to"),
        ({"last_year": 99999}, "to"),
    ],
)
def test_years_outside_those_published_are_refused(years, parameter):
    """No range of years can stretch a table beyond PUBLISHED_FIRST_YEAR (2000 here) to LAST_POSSIBLE_YEAR."""
    with pytest.raises(BreakdownError) as error:
        Scope(**years)
    assert error.value.parameter == parameter
    assert "hires are counted from 2000" in str(error.value)


def test_a_start_date_stored_as_year_one_is_not_counted_and_does_not_stretch_the_years(ons_hires):
    """A mistyped date that got past the door (here written straight into the table) would otherwise make a
    table of two thousand years."""
    mistyped = ons_hires[0]
    Placement.objects.filter(pk=mistyped.pk).update(started_on=D(1, 9, 2))
    breakdown = count_hires(ONS_GFIE, ["year", "location"])
    assert breakdown.categories["year"] == ("2019", "2020", "2021", "2022", "2023", "2024")
    assert breakdown.total == len(ons_hires) - 1
    financial = count_outcomes(Scope(scheme="GFiE", organisation="ONS", year_basis="financial"), ["year", "outcome"])
    assert financial.categories["year"][0] == "2019-20"
    assert starts_before(ONS_GFIE) == 1  # what the published family's warning reports


def test_hires_are_counted_from_the_first_published_year(ons_hires, settings):
    settings.PUBLISHED_FIRST_YEAR = 2021
    breakdown = count_hires(ONS_GFIE, ["year"])
    assert breakdown.categories["year"] == ("2022", "2023", "2024")  # no hires in 2021: the years with hires
    assert breakdown.total == sum(1 for p in ons_hires if p.started_on.year >= 2021)
    assert starts_before(ONS_GFIE) == 4


def _queries(callable_) -> int:
    with CaptureQueriesContext(connection) as queries:
        callable_()
    return len(queries)


@pytest.mark.parametrize("by", [["year", "location", "grade"], ["year", "outcome"], ["region", "business_unit"]])
def test_the_number_of_queries_does_not_grow_with_the_number_of_placements(world, by):
    hire_batch(5, candidate__organisation=world.ons)
    count_hires(ONS_GFIE, by)
    few = _queries(lambda: count_hires(ONS_GFIE, by))
    few_past = _queries(lambda: count_outcomes(ONS_GFIE, by, as_at=D(2024, 1, 1)))
    hire_batch(95, candidate__organisation=world.ons, started_on=D(2021, 3, 1))
    assert Placement.objects.count() == 100
    assert _queries(lambda: count_hires(ONS_GFIE, by)) == few
    assert _queries(lambda: count_outcomes(ONS_GFIE, by, as_at=D(2024, 1, 1))) == few_past
