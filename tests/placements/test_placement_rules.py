"""Rules on a placement that every way in (admin, import, API) shares through the model's own validation."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from placements.models import Placement
from tests.factories import CandidateFactory, OutcomeFactory, PlacementFactory

D = datetime.date


@pytest.mark.parametrize(
    ("dates", "field", "message"),
    [
        (
            {"started_on": D(2023, 9, 4), "ended_on": D(2023, 1, 31)},
            "ended_on",
            "2023-01-31 is before the start date 2023-09-04.",
        ),
        (
            {"started_on": D(2023, 9, 4), "planned_end_on": D(2023, 9, 3)},
            "planned_end_on",
            "2023-09-03 is before the start date 2023-09-04.",
        ),
        (
            {"offered_on": D(2023, 10, 1), "started_on": D(2023, 9, 4)},
            "started_on",
            "2023-09-04 is before the offer date 2023-10-01.",
        ),
        (
            {"applied_on": D(2023, 6, 2), "offered_on": D(2023, 6, 1)},
            "offered_on",
            "2023-06-01 is before the application date 2023-06-02.",
        ),
        (
            {"clearance_requested_on": D(2023, 7, 1), "clearance_granted_on": D(2023, 6, 30)},
            "clearance_granted_on",
            "2023-06-30 is before the date security clearance was requested 2023-07-01.",
        ),
        ({"started_on": None, "ended_on": D(2023, 5, 1)}, "ended_on", "An end date needs a start date."),
    ],
)
def test_dates_out_of_order_are_reported_on_the_field_to_correct(world, dates, field, message):
    placement = PlacementFactory.build(candidate=CandidateFactory(organisation=world.ons), **dates)
    with pytest.raises(ValidationError) as error:
        placement.full_clean()
    assert error.value.message_dict[field] == [message]


def test_a_placement_with_its_last_outcome_removed_has_no_latest_outcome(world):
    outcome = OutcomeFactory(placement__candidate__organisation=world.ons, code="in_post")
    placement = outcome.placement
    outcome.delete()
    placement.refresh_from_db()
    assert (placement.latest_outcome, placement.latest_outcome_on) == ("", None)
    assert Placement.objects.filter(pk=placement.pk).refresh_latest_outcomes() == 1
