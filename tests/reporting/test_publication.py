"""The one publication path: a family keeps only what it publishes, and slices say nothing more than it does."""

import datetime
import pickle

import pytest

from reporting.breakdowns import BreakdownError, Scope, count_tables
from reporting.disclosure import Rule
from reporting.publication import FAMILY_TABLES, published_family
from schemes.models import Location
from tests.factories import PlacementFactory

D = datetime.date


@pytest.fixture
def ons_hires(world):
    """ONS hires: 2022 has 3 at Titchfield (a small count), the other cells are larger."""
    newport, titchfield = Location.objects.get(name="Newport"), Location.objects.get(name="Titchfield")
    for year, location, number in (
        (2021, newport, 6),
        (2021, titchfield, 7),
        (2022, newport, 8),
        (2022, titchfield, 3),
    ):
        PlacementFactory.create_batch(
            number, candidate__organisation=world.ons, location=location, offered_on=None, started_on=D(year, 5, 1)
        )
    return world


def test_a_family_keeps_only_the_numbers_it_publishes(ons_hires):
    rule = Rule()
    family = published_family(Scope(organisation="ONS"), rule)
    truth = count_tables(Scope(organisation="ONS"), [table.dimensions for table in FAMILY_TABLES])
    assert [table.dimensions for table in family.tables] == [table.dimensions for table in FAMILY_TABLES]
    year_location = family.table(["year", "location"])
    assert year_location.value(("2022", "Titchfield")) is None
    assert family.hidden_values_audited >= 1
    for table, breakdown in zip(family.tables, truth, strict=True):
        for key, shown in table.shown.items():
            true = breakdown.with_totals[key]
            assert shown is None or (shown == true and not rule.is_primary(true))
    # What the cache keeps: published numbers only, no table of true counts.
    kept = pickle.dumps(family)
    assert b"Breakdown" not in kept
    assert b"ProtectedTable" not in kept


def test_a_slice_gives_only_tables_of_the_family_and_their_totals(ons_hires):
    family = published_family(Scope(organisation="ONS"))
    by_location = family.slice(["location"])
    assert by_location.rows() == [
        {"location": "Newport", "count": 14},
        {"location": "Titchfield", "count": 10},
    ]
    assert by_location.total_row() == {"count": 24}
    one_year = family.slice(["location"], 2022, 2022)
    assert one_year.rows()[1] == {"location": "Titchfield", "count": None, "suppressed": True}
    assert one_year.total == family.value({"year": "2022"})
    assert family.slice(["year"], 2019, 2020).rows() == [
        {"year": "2019", "count": 0},  # before the first hire: a true zero
        {"year": "2020", "count": 0},
    ]
    with pytest.raises(BreakdownError) as refused:
        family.slice(["location", "grade"], 2022, 2022)  # location by grade is published over all years only
    assert refused.value.parameter == "from"
    with pytest.raises(BreakdownError) as refused:
        family.slice(["region"])
    assert refused.value.parameter == "by"


def test_a_family_for_a_range_of_years_says_nothing_about_other_years(ons_hires):
    family = published_family(Scope(organisation="ONS", first_year=2022, last_year=2022))
    assert family.categories["year"] == ("2022",)
    assert family.value({"year": "2022"}) == 11
    with pytest.raises(ValueError, match="outside the years"):
        family.value({"year": "2021"})
