"""The rules that protect placement records hold in the database, and each user sees only their own."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from placements.access import Action, restrict
from placements.choices import PlacementStatus
from placements.models import Candidate, Outcome, Placement
from schemes.models import Organisation, Scheme
from tests.factories import CandidateFactory, OutcomeFactory, PlacementFactory

D = datetime.date


@pytest.fixture
def ons_and_dwp_placements(world):
    ons = PlacementFactory(candidate__organisation=world.ons)
    dwp = PlacementFactory(candidate__organisation=world.dwp, scheme=Scheme.objects.get(code="CLIS"))
    return ons, dwp


def test_hr_staff_see_only_their_own_organisations_records(world, ons_and_dwp_placements):
    ons, dwp = ons_and_dwp_placements
    assert list(Placement.objects.for_user(world.ons_hr)) == [ons]
    assert list(Placement.objects.for_user(world.dwp_hr)) == [dwp]
    assert list(Candidate.objects.for_user(world.ons_hr)) == [ons.candidate]
    OutcomeFactory(placement=dwp)
    assert not Outcome.objects.for_user(world.ons_hr).exists()
    assert Outcome.objects.for_user(world.dwp_hr).count() == 1


def test_scheme_admin_sees_placements_on_the_schemes_their_organisation_owns(world, ons_and_dwp_placements):
    ons, dwp = ons_and_dwp_placements  # DfE owns CLIS, which the DWP placement is on
    assert list(Placement.objects.for_user(world.dfe_scheme_admin)) == [dwp]
    assert list(Candidate.objects.for_user(world.dfe_scheme_admin)) == [dwp.candidate]


def test_foi_and_api_users_see_no_records_and_superusers_see_all(world, ons_and_dwp_placements):
    assert not Placement.objects.for_user(world.ons_foi).exists()
    assert not Placement.objects.for_user(world.ons_api).exists()
    assert Placement.objects.for_user(world.superuser).count() == 2


def test_managers_see_but_cannot_edit_records(world, ons_and_dwp_placements):
    assert Placement.objects.for_user(world.ons_manager).count() == 1
    assert not restrict(Placement.objects.all(), world.ons_manager, Action.CHANGE).exists()
    assert restrict(Placement.objects.all(), world.ons_hr, Action.CHANGE).count() == 1


def test_staff_of_a_parent_organisation_see_its_units_records(world):
    unit = Organisation.objects.create(code="ONS-DSC", name="ONS Data Science Campus", kind="unit", parent=world.ons)
    placement = PlacementFactory(candidate__organisation=unit)
    assert list(Placement.objects.for_user(world.ons_hr)) == [placement]
    assert not Placement.objects.for_user(world.dwp_hr).exists()


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"started_on": D(2023, 9, 4), "ended_on": D(2023, 1, 31)}, "placement_end_not_before_start"),
        (
            {"started_on": None, "offered_on": D(2023, 1, 1), "ended_on": D(2023, 5, 1)},
            "placement_end_not_before_start",
        ),
        ({"offered_on": D(2023, 10, 1), "started_on": D(2023, 9, 4)}, "placement_start_not_before_offer"),
        ({"started_on": D(2023, 9, 4), "planned_end_on": D(2023, 9, 3)}, "placement_planned_end_not_before_start"),
        ({"started_on": None, "offered_on": None}, "placement_has_a_pipeline_date"),
    ],
)
def test_the_database_refuses_impossible_dates(world, fields, constraint):
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        PlacementFactory(**fields)


def test_a_candidate_reference_is_unique_within_an_organisation_only(world):
    CandidateFactory(organisation=world.ons, reference="X1")
    CandidateFactory(organisation=world.dwp, reference="X1")
    with pytest.raises(IntegrityError), transaction.atomic():
        CandidateFactory(organisation=world.ons, reference="X1")


def test_latest_outcome_and_status_follow_the_history(world):
    placement = PlacementFactory(started_on=D(2023, 9, 4), ended_on=None)
    OutcomeFactory(placement=placement, code="in_post", on=D(2024, 3, 1))
    made_permanent = OutcomeFactory(placement=placement, code="permanent", on=D(2024, 9, 4))
    placement.refresh_from_db()
    assert (placement.latest_outcome, placement.latest_outcome_on) == ("permanent", D(2024, 9, 4))
    made_permanent.delete()
    placement.refresh_from_db()
    assert placement.latest_outcome == "in_post"


@pytest.mark.parametrize(
    ("dates", "as_at", "expected"),
    [
        ({"offered_on": D(2024, 1, 5), "started_on": None}, D(2024, 2, 1), PlacementStatus.OFFERED),
        ({"offered_on": D(2024, 1, 5), "started_on": D(2024, 6, 1)}, D(2024, 2, 1), PlacementStatus.OFFERED),
        (
            {"offered_on": D(2024, 1, 5), "clearance_requested_on": D(2024, 1, 10), "started_on": None},
            D(2024, 2, 1),
            PlacementStatus.CHECKS,
        ),
        ({"offered_on": D(2024, 1, 5), "started_on": D(2024, 1, 20)}, D(2024, 2, 1), PlacementStatus.STARTED),
        (
            {"offered_on": None, "started_on": D(2023, 1, 5), "ended_on": D(2024, 1, 4)},
            D(2024, 2, 1),
            PlacementStatus.ENDED,
        ),
    ],
)
def test_status_is_derived_from_the_dates_in_sql_and_python_alike(world, dates, as_at, expected):
    placement = PlacementFactory(**dates)
    assert placement.status_on(as_at) == expected
    assert Placement.objects.with_status(as_at).get(pk=placement.pk).status == expected


def test_an_offer_withdrawn_before_start_is_withdrawn(world):
    placement = PlacementFactory(offered_on=D(2024, 1, 5), started_on=None)
    Outcome.objects.create(placement=placement, code="withdrew", on=D(2024, 3, 1))
    placement.refresh_from_db()
    assert placement.status_on(D(2024, 4, 1)) == PlacementStatus.WITHDRAWN
    assert Placement.objects.with_status(D(2024, 4, 1)).get().status == PlacementStatus.WITHDRAWN
