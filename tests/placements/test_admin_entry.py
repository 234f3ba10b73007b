"""HR data entry in the admin: saving, validation on the right field, history, read audit, flat query counts."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from placements.models import Candidate, Placement, RecordAccess
from schemes.models import Grade, Location, Scheme, Target
from tests.factories import CandidateFactory, OutcomeFactory, PlacementFactory

D = datetime.date


def placement_form(placement, outcomes=(), **changes):
    """The POST a person makes by pressing Save on the placement page, with `changes` typed in."""
    fields = {
        "candidate": placement.candidate_id,
        "organisation": placement.organisation_id,
        "scheme": placement.scheme_id,
        "business_unit": placement.business_unit,
        "location": placement.location_id,
        "grade": placement.grade_id,
        "offered_on": placement.offered_on or "",
        "started_on": placement.started_on or "",
        "planned_end_on": placement.planned_end_on or "",
        "ended_on": placement.ended_on or "",
        "outcomes-TOTAL_FORMS": len(outcomes),
        "outcomes-INITIAL_FORMS": 0,
        "contacts-TOTAL_FORMS": 0,
        "contacts-INITIAL_FORMS": 0,
        "outcomes-MIN_NUM_FORMS": 0,
        "outcomes-MAX_NUM_FORMS": 1000,
    }
    for index, outcome in enumerate(outcomes):
        fields.update({f"outcomes-{index}-{name}": value for name, value in outcome.items()})
    fields.update(changes)
    return fields


def change_url(placement):
    return reverse("admin:placements_placement_change", args=[placement.pk])


def test_hr_staff_record_an_outcome_and_the_list_shows_it(client, world):
    placement = PlacementFactory(candidate__organisation=world.ons, started_on=D(2023, 9, 4))
    client.force_login(world.ons_hr)
    response = client.post(
        change_url(placement), placement_form(placement, outcomes=[{"code": "permanent", "on": "2024-09-04"}])
    )
    assert response.status_code == 302, response.context["errors"] if response.context else response
    placement.refresh_from_db()
    assert placement.latest_outcome == "permanent"
    listing = client.get(reverse("admin:placements_placement_changelist")).content.decode()
    assert "Made permanent" in listing


def test_an_end_date_before_the_start_shows_on_the_end_date_field_and_saves_nothing(client, world):
    placement = PlacementFactory(candidate__organisation=world.ons, started_on=D(2023, 9, 4), business_unit="Data")
    client.force_login(world.ons_hr)
    response = client.post(
        change_url(placement),
        placement_form(
            placement,
            outcomes=[{"code": "left_early", "on": "2023-10-01"}],
            ended_on="2023-01-31",
            business_unit="Changed",
        ),
    )
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["ended_on"] == ["2023-01-31 is before the start date 2023-09-04."]
    assert "2023-01-31 is before the start date 2023-09-04." in response.content.decode()
    placement.refresh_from_db()
    assert (placement.ended_on, placement.business_unit, placement.outcomes.count()) == (None, "Data", 0)


def test_an_outcome_dated_before_the_start_is_refused_on_its_own_field(client, world):
    placement = PlacementFactory(candidate__organisation=world.ons, started_on=D(2023, 9, 4))
    client.force_login(world.ons_hr)
    response = client.post(
        change_url(placement), placement_form(placement, outcomes=[{"code": "in_post", "on": "2023-01-01"}])
    )
    assert response.status_code == 200
    outcome_form = response.context["inline_admin_formsets"][0].formset.forms[0]
    assert outcome_form.errors["on"] == ["2023-01-01 is before the start date 2023-09-04."]
    assert not placement.outcomes.exists()


def test_a_placement_cannot_be_filed_under_another_organisation(client, world):
    placement = PlacementFactory(candidate__organisation=world.ons)
    client.force_login(world.ons_hr)
    response = client.post(change_url(placement), placement_form(placement, organisation=world.dwp.pk))
    assert response.status_code == 200
    assert "organisation" in response.context["adminform"].form.errors
    placement.refresh_from_db()
    assert placement.organisation == world.ons


def test_a_placement_cannot_be_given_another_organisations_candidate(client, world):
    placement = PlacementFactory(candidate__organisation=world.ons)
    other = CandidateFactory(organisation=world.dwp)
    client.force_login(world.ons_hr)
    response = client.post(change_url(placement), placement_form(placement, candidate=other.pk))
    assert response.status_code == 200
    assert "candidate" in response.context["adminform"].form.errors
    placement.refresh_from_db()
    assert placement.candidate != other


def test_a_candidate_and_a_first_placement_are_entered_on_one_page(client, world):
    client.force_login(world.ons_hr)
    response = client.post(
        reverse("admin:placements_candidate_add"),
        {
            "organisation": world.ons.pk,
            "reference": "ONS-NEW-1",
            "given_name": "Sam",
            "needs_esol": "",
            "placements-TOTAL_FORMS": 1,
            "placements-INITIAL_FORMS": 0,
            "placements-MIN_NUM_FORMS": 0,
            "placements-MAX_NUM_FORMS": 1000,
            "placements-0-scheme": Scheme.objects.get(code="CLIS").pk,
            "placements-0-location": Location.objects.get(name="Titchfield").pk,
            "placements-0-grade": Grade.objects.get(code="EO").pk,
            "placements-0-offered_on": "2025-08-01",
            "placements-0-started_on": "2025-11-03",
        },
    )
    assert response.status_code == 302, response.context["errors"] if response.context else response
    placement = Placement.objects.get(candidate__reference="ONS-NEW-1")
    assert (placement.organisation, placement.location.name, placement.started_on) == (
        world.ons,
        "Titchfield",
        D(2025, 11, 3),
    )


def test_a_change_made_in_the_admin_shows_in_the_records_history(client, world):
    placement = PlacementFactory(candidate__organisation=world.ons, business_unit="Methods")
    client.force_login(world.ons_hr)
    client.post(change_url(placement), placement_form(placement, business_unit="Data Science Campus"))
    latest = placement.history.first()
    assert (latest.history_user, latest.business_unit) == (world.ons_hr, "Data Science Campus")
    page = client.get(reverse("admin:placements_placement_history", args=[placement.pk])).content.decode()
    assert "ons_hr" in page
    assert "Data Science Campus" in page


def test_managers_do_not_see_personal_details_in_a_candidates_history(client, world):
    placement = PlacementFactory(candidate__organisation=world.ons)
    candidate = placement.candidate
    candidate.given_name = "Jordan"
    candidate.save()
    candidate.given_name = "Jordan-Lee"
    candidate.skills = "Excel"
    candidate.save()
    url = reverse("admin:placements_candidate_history", args=[candidate.pk])
    client.force_login(world.ons_manager)
    page = client.get(url).content.decode()
    assert "Excel" in page
    assert "Jordan" not in page
    client.force_login(world.ons_hr)
    assert "Jordan-Lee" in client.get(url).content.decode()


@pytest.mark.parametrize("model", ["placement", "candidate"])
def test_opening_a_record_is_recorded_for_the_read_audit(client, world, model):
    placement = PlacementFactory(candidate__organisation=world.ons)
    record = placement if model == "placement" else placement.candidate
    client.force_login(world.ons_manager)
    client.get(reverse(f"admin:placements_{model}_change", args=[record.pk]))
    client.get(reverse(f"admin:placements_{model}_history", args=[record.pk]))
    reads = RecordAccess.objects.filter(record_id=record.pk, record_type__model=model)
    assert [(read.user, read.how, read.record) for read in reads.order_by("pk")] == [
        (world.ons_manager, "admin_page", record),
        (world.ons_manager, "admin_history", record),
    ]


def test_only_superusers_see_the_read_audit_and_nobody_edits_it(client, world):
    placement = PlacementFactory(candidate__organisation=world.ons)
    client.force_login(world.ons_hr)
    client.get(change_url(placement))
    listing = reverse("admin:placements_recordaccess_changelist")
    assert client.get(listing).status_code == 403
    client.force_login(world.superuser)
    page = client.get(listing)
    assert page.status_code == 200
    assert "ons_hr" in page.content.decode()
    read = RecordAccess.objects.get()
    delete = reverse("admin:placements_recordaccess_delete", args=[read.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert RecordAccess.objects.filter(pk=read.pk).exists()


def test_hr_staff_read_reference_data_but_do_not_change_it(client, world):
    client.force_login(world.ons_hr)
    url = reverse("admin:schemes_location_change", args=[Location.objects.get(name="Newport").pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"name": "Casnewydd", "region": "wales"}).status_code == 403
    assert Location.objects.filter(name="Newport").exists()


def test_a_scheme_administrator_sets_targets_only_for_the_schemes_their_organisation_owns(client, world):
    clis, gfie = Scheme.objects.get(code="CLIS"), Scheme.objects.get(code="GFiE")
    client.force_login(world.dfe_scheme_admin)
    add = reverse("admin:schemes_target_add")
    offered = client.get(add).context["adminform"].form.fields["scheme"].queryset
    assert list(offered) == [clis]
    form = {"organisation": world.ons.pk, "period": "2025-26", "kind": "pledge", "number": 8}
    assert client.post(add, {**form, "scheme": clis.pk}).status_code == 302
    assert client.post(add, {**form, "scheme": gfie.pk}).status_code == 200
    assert list(Target.objects.values_list("scheme__code", "period", "number")) == [("CLIS", "2025-26", 8)]
    gfie_target = Target.objects.create(organisation=world.ons, scheme=gfie, period="2025", kind="target", number=3)
    url = reverse("admin:schemes_target_change", args=[gfie_target.pk])
    assert client.post(url, {**form, "scheme": gfie.pk, "number": 30}).status_code == 403


def test_reference_data_changes_are_kept_in_a_history_visible_in_the_admin(client, world):
    client.force_login(world.superuser)
    newport = Location.objects.get(name="Newport")
    url = reverse("admin:schemes_location_change", args=[newport.pk])
    assert client.post(url, {"name": "Newport (Gwent)", "region": "wales"}).status_code == 302
    page = client.get(reverse("admin:schemes_location_history", args=[newport.pk])).content.decode()
    assert "Newport (Gwent)" in page
    assert "superuser" in page


def _changelist_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _add_placements(world, count):
    for placement in PlacementFactory.create_batch(count, candidate__organisation=world.ons):
        OutcomeFactory(placement=placement)


@pytest.mark.parametrize("model", ["placement", "candidate", "outcome"])
def test_the_changelist_query_count_does_not_grow_with_the_number_of_records(client, world, model):
    url = reverse(f"admin:placements_{model}_changelist")
    client.force_login(world.ons_hr)
    _add_placements(world, 10)
    _changelist_queries(client, url)  # Django's own per-process caches (content types) first
    with_ten = _changelist_queries(client, url)
    _add_placements(world, 190)
    assert Candidate.objects.count() == 200
    with_two_hundred = _changelist_queries(client, url)
    assert with_two_hundred == with_ten
    filtered = f"{url}?q=CL" if model != "outcome" else url
    assert _changelist_queries(client, filtered) <= with_ten + 1


def test_reading_a_history_version_does_not_let_a_reader_revert_the_record(client, world):
    placement = PlacementFactory(candidate__organisation=world.ons, business_unit="Methods")
    version = placement.history.get()
    url = reverse("admin:placements_placement_simple_history", args=[placement.pk, version.history_id])
    client.force_login(world.ons_manager)
    assert client.get(url).status_code == 200
    response = client.post(url, placement_form(placement, business_unit="Changed by a reader"))
    assert response.status_code == 403
    placement.refresh_from_db()
    assert placement.business_unit == "Methods"


def test_reading_a_locations_history_does_not_let_hr_staff_change_reference_data(client, world):
    newport = Location.objects.get(name="Newport")
    newport.save()  # a first history row
    version = newport.history.first()
    client.force_login(world.ons_hr)
    url = reverse("admin:schemes_location_simple_history", args=[newport.pk, version.history_id])
    assert client.post(url, {"name": "Casnewydd", "region": "wales"}).status_code == 403
    assert Location.objects.filter(name="Newport").exists()


def test_a_users_organisations_and_roles_show_on_their_user_page_for_superusers_only(client, world):
    url = reverse("admin:auth_user_change", args=[world.ons_hr.pk])
    client.force_login(world.ons_hr)
    assert client.get(url).status_code == 403
    client.force_login(world.superuser)
    memberships = client.get(url).context["inline_admin_formsets"][0].formset
    shown = [(form.instance.organisation.code, form.instance.role) for form in memberships.forms if form.instance.pk]
    assert shown == [("ONS", "hr")]


@time_machine.travel(datetime.datetime(2026, 11, 23, 10, 0, tzinfo=datetime.UTC), tick=False)
def test_the_placement_list_filters_by_status_and_start_year_with_counts(client, world):
    PlacementFactory(candidate__organisation=world.ons, candidate__reference="WAITING", started_on=None)
    PlacementFactory(candidate__organisation=world.ons, candidate__reference="IN-2023", started_on=D(2023, 9, 4))
    PlacementFactory(candidate__organisation=world.ons, candidate__reference="IN-2025", started_on=D(2025, 1, 6))
    client.force_login(world.ons_hr)
    url = reverse("admin:placements_placement_changelist")

    def shown(**params):
        response = client.get(url, params)
        assert response.status_code == 200
        return sorted(p.candidate.reference for p in response.context["cl"].result_list)

    assert shown(status="offered") == ["WAITING"]
    assert shown(status="started") == ["IN-2023", "IN-2025"]
    assert shown(start_year="2025") == ["IN-2025"]
    assert shown(status="started", _facets="True", start_year="2023") == ["IN-2023"]
