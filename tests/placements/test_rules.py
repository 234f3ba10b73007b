"""One set of rules (placements/rules.py) for forms, imports and the API, covering every database check."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction

from placements import rules
from placements.models import Outcome, Placement
from schemes.models import Organisation
from tests.factories import CandidateFactory, OutcomeFactory, PlacementFactory

D = datetime.date

# For every CheckConstraint: values that break it, and the field and words the rules use to say so.
PLACEMENT_CASES = {
    "placement_end_not_before_start": (
        {"started_on": D(2023, 9, 4), "ended_on": D(2023, 1, 31)},
        ("ended_on", "2023-01-31 is before the start date 2023-09-04"),
    ),
    "placement_planned_end_not_before_start": (
        {"started_on": D(2023, 9, 4), "planned_end_on": D(2023, 9, 3)},
        ("planned_end_on", "2023-09-03 is before the start date 2023-09-04"),
    ),
    "placement_start_not_before_offer": (
        {"offered_on": D(2023, 10, 1), "started_on": D(2023, 9, 4)},
        ("started_on", "2023-09-04 is before the offer date 2023-10-01"),
    ),
    "placement_offer_not_before_application": (
        {"applied_on": D(2023, 5, 2), "offered_on": D(2023, 5, 1)},
        ("offered_on", "2023-05-01 is before the application date 2023-05-02"),
    ),
    "placement_clearance_granted_after_request": (
        {"clearance_requested_on": D(2023, 7, 1), "clearance_granted_on": D(2023, 6, 30)},
        ("clearance_granted_on", "2023-06-30 is before the date security clearance was requested 2023-07-01"),
    ),
    "placement_has_a_pipeline_date": (
        {"offered_on": None, "started_on": None},
        ("started_on", "a placement needs a start date"),
    ),
}


def test_every_placement_check_constraint_has_a_rule_case():
    checks = {c.name for c in Placement._meta.constraints if isinstance(c, models.CheckConstraint)}
    assert checks == set(PLACEMENT_CASES)


@pytest.mark.parametrize("constraint", sorted(PLACEMENT_CASES))
def test_the_rules_refuse_what_the_database_refuses_with_the_same_field(world, constraint):
    fields, (field, words) = PLACEMENT_CASES[constraint]
    values = {"offered_on": D(2023, 6, 1), "started_on": D(2023, 9, 4)} | fields
    problems = rules.placement_date_problems(**values)
    assert words in problems[field]

    placement = PlacementFactory.build(candidate=PlacementFactory().candidate, **values)
    with pytest.raises(ValidationError) as refused:
        placement.full_clean()
    assert words[0].upper() + words[1:] in " ".join(refused.value.message_dict[field])
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        placement.save()


def test_an_end_date_without_a_start_is_refused_by_rules_and_database(world):
    problems = rules.placement_date_problems(offered_on=D(2023, 1, 1), ended_on=D(2023, 5, 1))
    assert problems == {"ended_on": "an end date needs a start date"}


def test_good_dates_have_no_problems():
    assert (
        rules.placement_date_problems(
            applied_on=D(2023, 5, 1),
            offered_on=D(2023, 6, 1),
            clearance_requested_on=D(2023, 6, 2),
            clearance_granted_on=D(2023, 8, 1),
            started_on=D(2023, 9, 4),
            planned_end_on=D(2024, 9, 3),
            ended_on=D(2024, 9, 3),
        )
        == {}
    )


def test_an_outcome_on_an_offer_that_never_started_must_be_a_withdrawal(world):
    problems = rules.outcome_problems(code="permanent", on=D(2024, 1, 1), started_on=None)
    assert problems == {
        "code": "'Made permanent' cannot be recorded for a placement that never started; "
        "only 'Withdrew before start' fits an offer that has not started"
    }
    assert rules.outcome_problems(code="withdrew", on=D(2024, 1, 1), started_on=None) == {}
    offer = PlacementFactory(started_on=None)
    with pytest.raises(ValidationError, match="cannot be recorded for a placement that never started"):
        OutcomeFactory.build(placement=offer, code="permanent", on=D(2024, 1, 1)).full_clean()


def test_an_outcome_before_the_start_is_refused(world):
    placement = PlacementFactory(started_on=D(2023, 9, 4))
    with pytest.raises(ValidationError) as refused:
        OutcomeFactory.build(placement=placement, code="in_post", on=D(2023, 9, 1)).full_clean()
    assert refused.value.message_dict == {"on": ["2023-09-01 is before the start date 2023-09-04."]}


def test_a_destination_only_for_transfers_in_rules_and_database(world):
    dwp = Organisation.objects.get(code="DWP")
    problems = rules.outcome_problems(
        code="left_early", on=D(2024, 1, 1), started_on=D(2023, 9, 4), has_destination=True
    )
    assert "only recorded for transfers" in problems["destination_organisation"]
    checks = {c.name for c in Outcome._meta.constraints if isinstance(c, models.CheckConstraint)}
    assert checks == {"outcome_destination_only_for_transfers"}
    outcome = OutcomeFactory.build(placement=PlacementFactory(), code="left_early", destination_organisation=dwp)
    with pytest.raises(ValidationError, match="only recorded for transfers"):
        outcome.full_clean()
    with pytest.raises(IntegrityError, match="outcome_destination_only_for_transfers"), transaction.atomic():
        outcome.save()


def test_formula_text_is_refused_by_the_forms_too(world):
    candidate = CandidateFactory.build(organisation=world.ons, reference="=HYPERLINK(1)")
    with pytest.raises(ValidationError, match="which a spreadsheet would run as a formula"):
        candidate.full_clean()
    placement = PlacementFactory.build(candidate=PlacementFactory().candidate, business_unit="@SUM(A1)")
    with pytest.raises(ValidationError) as refused:
        placement.full_clean()
    assert "starts with '@'" in refused.value.message_dict["business_unit"][0]
