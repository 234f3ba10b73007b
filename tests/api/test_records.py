"""Records through the API: each client sees and edits only what the admin would let it, with the same rules."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from placements.models import Candidate, Outcome, Placement
from placements.signals import announce_records_changed
from schemes.models import Location, Scheme
from schemes.services import set_up_user
from tests.factories import CandidateFactory, LocationFactory, OutcomeFactory, PlacementFactory


@pytest.fixture
def placements(world):
    ons = PlacementFactory(candidate__organisation=world.ons, candidate__reference="ONS-001")
    dwp = PlacementFactory(candidate__organisation=world.dwp, scheme=Scheme.objects.get(code="CLIS"))
    return ons, dwp


def ids(response):
    return [item["id"] for item in response.json()["results"]]


def test_hr_staff_list_only_their_organisations_placements(placements, as_user):
    ons, dwp = placements
    response = as_user("ons_hr").get("/api/v1/placements/")
    assert response.status_code == 200
    assert ids(response) == [ons.pk]
    first = response.json()["results"][0]
    assert first["organisation"] == "ONS"
    assert first["scheme"] == "GFiE"
    assert first["candidate_reference"] == "ONS-001"
    assert first["status"] == "started"
    assert ids(as_user("dwp_hr").get("/api/v1/placements/")) == [dwp.pk]


def test_a_placement_with_no_outcome_yet_shows_null_as_its_latest_outcome_as_the_schema_says(placements, as_user):
    ons, _ = placements
    listed = as_user("ons_hr").get("/api/v1/placements/").json()["results"][0]
    assert (listed["latest_outcome"], listed["latest_outcome_on"]) == (None, None)
    assert as_user("ons_hr").get(f"/api/v1/placements/{ons.pk}/").json()["latest_outcome"] is None
    OutcomeFactory(placement=ons, code="in_post")
    assert as_user("ons_hr").get(f"/api/v1/placements/{ons.pk}/").json()["latest_outcome"] == "in_post"


@pytest.mark.parametrize("endpoint", ["placements", "candidates", "outcomes"])
def test_a_user_with_the_records_permission_but_no_organisation_lists_nothing(world, endpoint):
    """An HR group given by hand in the admin, with no membership: empty lists, not a server error."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from rest_framework.test import APIClient

    from schemes.services import new_token

    PlacementFactory(candidate__organisation=world.ons)
    user = get_user_model().objects.create_user("hr-group-only", is_staff=True)
    user.groups.add(Group.objects.get(name="Role: HR"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {new_token(user)}")
    response = client.get(f"/api/v1/{endpoint}/")
    assert response.status_code == 200
    assert (response.json()["count"], response.json()["results"]) == (0, [])


@pytest.mark.parametrize("endpoint", ["placements", "candidates", "outcomes"])
def test_the_browsable_api_shows_its_forms_to_staff_who_may_write(world, client, endpoint):
    placement = PlacementFactory(candidate__organisation=world.ons)
    OutcomeFactory(placement=placement)
    client.force_login(world.ons_hr)
    response = client.get(f"/api/v1/{endpoint}/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b'<option value="ONS"' in response.content  # the form's organisations to choose from, by code


@pytest.mark.parametrize("endpoint", ["placements", "candidates", "outcomes"])
def test_another_organisations_record_is_not_found_rather_than_forbidden(placements, as_user, endpoint):
    ons, dwp = placements
    outcome = OutcomeFactory(placement=dwp)
    record = {"placements": dwp.pk, "candidates": dwp.candidate_id, "outcomes": outcome.pk}[endpoint]
    client = as_user("ons_hr")
    assert client.get(f"/api/v1/{endpoint}/{record}/").status_code == 404
    assert client.patch(f"/api/v1/{endpoint}/{record}/", {"notes": "x"}, format="json").status_code == 404
    assert client.delete(f"/api/v1/{endpoint}/{record}/").status_code == 404
    assert Placement.objects.filter(pk=dwp.pk).exists()


@pytest.mark.parametrize("user", ["ons_api", "ons_foi"])
@pytest.mark.parametrize("endpoint", ["placements", "candidates", "outcomes"])
def test_statistics_only_clients_get_no_records_at_all(placements, as_user, user, endpoint):
    client = as_user(user)
    assert client.get(f"/api/v1/{endpoint}/").status_code == 403
    assert client.get(f"/api/v1/{endpoint}/{placements[0].pk}/").status_code == 403


def test_nobody_anonymous_reads_records(placements, client):
    assert client.get("/api/v1/placements/").status_code == 401


def test_a_scheme_administrator_sees_the_placements_on_their_schemes(placements, as_user):
    assert ids(as_user("dfe_scheme_admin").get("/api/v1/placements/")) == [placements[1].pk]  # DfE owns CLIS


def test_managers_read_but_do_not_write(placements, as_user):
    ons, _ = placements
    client = as_user("ons_manager")
    assert client.get(f"/api/v1/placements/{ons.pk}/").status_code == 200
    assert client.patch(f"/api/v1/placements/{ons.pk}/", {"business_unit": "Data"}, format="json").status_code == 403
    ons.refresh_from_db()
    assert ons.business_unit == ""


def test_managers_do_not_see_names_and_contact_details(world, as_user):
    candidate = CandidateFactory(organisation=world.ons, given_name="Sam", email="sam@example.com")
    as_manager = as_user("ons_manager").get(f"/api/v1/candidates/{candidate.pk}/").json()
    as_hr = as_user("ons_hr").get(f"/api/v1/candidates/{candidate.pk}/").json()
    assert "given_name" not in as_manager
    assert "email" not in as_manager
    assert as_hr["given_name"] == "Sam"
    assert as_hr["email"] == "sam@example.com"


def new_placement(candidate, **fields):
    return {
        "candidate": candidate.pk,
        "organisation": candidate.organisation.code,
        "scheme": "GFiE",
        "location": "Titchfield",
        "grade": "EO",
        "offered_on": "2024-01-10",
        "started_on": "2024-03-04",
        **fields,
    }


def test_hr_staff_add_a_placement_with_codes_and_names(world, as_user):
    candidate = CandidateFactory(organisation=world.ons)
    response = as_user("ons_hr").post("/api/v1/placements/", new_placement(candidate), format="json")
    assert response.status_code == 201, response.json()
    placement = Placement.objects.get(pk=response.json()["id"])
    assert (placement.scheme.code, placement.location.name, placement.grade.code) == ("GFiE", "Titchfield", "EO")
    assert placement.started_on == datetime.date(2024, 3, 4)
    assert placement.history.count() == 1  # every change kept, as in the admin


@pytest.mark.parametrize(
    ("fields", "fields_named", "words"),
    [
        # The model's rules name the date that is wrong (or, as a constraint, the record as a whole).
        ({"ended_on": "2023-01-31"}, ("ended_on", "non_field_errors"), "before"),
        ({"offered_on": "2024-05-01"}, ("started_on", "non_field_errors"), "before"),
        ({"grade": "Grade 99"}, ("grade",), "does not exist"),
        ({"location": "Atlantis"}, ("location",), "does not exist"),
        ({"started_on": "31/02/2021"}, ("started_on",), "format"),
        ({"started_on": "0024-03-04"}, ("started_on",), "0024-03-04: year 24 is before 2000; did you mean 2024?"),
    ],
)
def test_a_bad_placement_is_refused_with_the_field_named_and_nothing_saved(world, as_user, fields, fields_named, words):
    candidate = CandidateFactory(organisation=world.ons)
    response = as_user("ons_hr").post("/api/v1/placements/", new_placement(candidate, **fields), format="json")
    assert response.status_code == 400
    named = [field for field in fields_named if field in response.json()]
    assert named, response.json()
    assert words in " ".join(response.json()[named[0]]).lower()
    assert not Placement.objects.exists()


def test_the_same_placement_twice_is_refused_by_the_models_own_rule(world, as_user):
    candidate = CandidateFactory(organisation=world.ons)
    client = as_user("ons_hr")
    assert client.post("/api/v1/placements/", new_placement(candidate), format="json").status_code == 201
    response = client.post("/api/v1/placements/", new_placement(candidate), format="json")
    assert response.status_code == 400
    assert "already has a placement" in str(response.json())
    assert Placement.objects.count() == 1


def test_hr_staff_cannot_add_records_for_another_organisation(world, as_user):
    ons_candidate = CandidateFactory(organisation=world.ons)
    dwp_candidate = CandidateFactory(organisation=world.dwp)
    client = as_user("ons_hr")
    response = client.post("/api/v1/placements/", new_placement(dwp_candidate), format="json")
    assert response.status_code == 400
    assert "candidate" in response.json()  # DWP's candidate does not exist as far as ONS is concerned
    response = client.post("/api/v1/placements/", new_placement(ons_candidate, organisation="DWP"), format="json")
    assert response.status_code == 400
    assert "organisation" in response.json()
    response = client.post("/api/v1/candidates/", {"organisation": "DWP", "reference": "X1"}, format="json")
    assert response.status_code == 400
    assert "organisation" in response.json()
    assert not Placement.objects.exists()
    assert not Candidate.objects.filter(reference="X1").exists()


def test_an_outcome_follows_the_same_rules_as_the_admin(placements, as_user):
    ons, _ = placements
    offer = PlacementFactory(candidate__organisation=ons.organisation, started_on=None)
    client = as_user("ons_hr")
    response = client.post("/api/v1/outcomes/", {"placement": offer.pk, "code": "permanent", "on": "2024-01-01"})
    assert response.status_code == 400
    assert "never started" in response.json()["code"][0]
    response = client.post("/api/v1/outcomes/", {"placement": ons.pk, "code": "permanent", "on": "2024-09-04"})
    assert response.status_code == 201
    ons.refresh_from_db()
    assert ons.latest_outcome == "permanent"
    assert Outcome.objects.count() == 1


def test_a_candidate_with_placements_is_not_deleted(placements, as_user):
    ons, _ = placements
    response = as_user("ons_hr").delete(f"/api/v1/candidates/{ons.candidate_id}/")
    assert response.status_code == 409
    assert Candidate.objects.filter(pk=ons.candidate_id).exists()


def test_placements_filter_order_and_page(world, as_user):
    clis = Scheme.objects.get(code="CLIS")
    for year in (2021, 2022, 2023):
        PlacementFactory(candidate__organisation=world.ons, started_on=datetime.date(year, 9, 1), offered_on=None)
    PlacementFactory(candidate__organisation=world.ons, scheme=clis, started_on=datetime.date(2024, 1, 8))
    client = as_user("ons_hr")
    assert len(ids(client.get("/api/v1/placements/", {"scheme": "CLIS"}))) == 1
    assert len(ids(client.get("/api/v1/placements/", {"start_year": 2022}))) == 1
    assert len(ids(client.get("/api/v1/placements/", {"organisation": "ONS", "status": "started"}))) == 4
    ordered = client.get("/api/v1/placements/", {"ordering": "started_on"}).json()["results"]
    assert [item["started_on"] for item in ordered] == sorted(item["started_on"] for item in ordered)
    page = client.get("/api/v1/placements/", {"page_size": 3}).json()
    assert page["count"] == 4
    assert len(page["results"]) == 3
    assert page["next"]
    response = client.get("/api/v1/placements/", {"scheme": "NOPE"})
    assert response.status_code == 400
    assert "scheme" in response.json()


@pytest.mark.parametrize("endpoint", ["placements", "candidates", "outcomes"])
def test_list_queries_do_not_grow_with_the_page(world, as_user, endpoint):
    client = as_user("ons_hr")

    def queries_for(page_size):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/api/v1/{endpoint}/", {"page_size": page_size})
        assert response.status_code == 200
        assert len(response.json()["results"]) == page_size
        return len(captured)

    for _ in range(30):
        OutcomeFactory(placement__candidate__organisation=world.ons)
    queries_for(3)  # Django's own per-process caches (the read audit's content type) first
    assert queries_for(3) == queries_for(30)


def test_hr_staff_find_a_placement_by_their_candidate_reference(world, as_user):
    wanted = PlacementFactory(candidate__organisation=world.ons, candidate__reference="CL-42")
    PlacementFactory(candidate__organisation=world.ons, candidate__reference="CL-43")
    PlacementFactory(candidate__organisation=world.dwp, candidate__reference="CL-42")
    assert ids(as_user("ons_hr").get("/api/v1/placements/", {"candidate_reference": "CL-42"})) == [wanted.pk]


def test_a_list_is_counted_once_then_read_from_the_cache_until_the_records_change(
    world, as_user, django_capture_on_commit_callbacks
):
    """Counts are kept in the cache (placements.caching) once the request that counted commits."""
    for _ in range(30):
        PlacementFactory(candidate__organisation=world.ons)
    client = as_user("ons_hr")

    def counted(page_size) -> bool:
        with CaptureQueriesContext(connection) as captured, django_capture_on_commit_callbacks(execute=True):
            response = client.get("/api/v1/placements/", {"page_size": page_size, "page": 2})
        assert response.status_code == 200
        assert response.json()["count"] == Placement.objects.count()
        return any("COUNT(" in query["sql"].upper() for query in captured)

    assert counted(3)
    assert not counted(3)
    assert not counted(15)  # the same list, another page size: the same count
    with django_capture_on_commit_callbacks(execute=True):
        PlacementFactory(candidate__organisation=world.ons)
    assert counted(15)  # a change of records: counted afresh


def test_the_count_of_a_list_follows_every_change_at_once(world, as_user):
    """Counts are cached (placements.caching): whatever changes which records a list finds shows in the very
    next answer, whether it came through the API, the models or an import's bulk write."""
    clis = Scheme.objects.get(code="CLIS")
    first = PlacementFactory(candidate__organisation=world.ons, candidate__reference="CL-1")
    PlacementFactory(candidate__organisation=world.dwp)
    client = as_user("ons_hr")

    def count(**filters):
        response = client.get("/api/v1/placements/", filters)
        assert response.status_code == 200
        return response.json()["count"]

    assert (count(), count(scheme="CLIS"), count(candidate_reference="CL-1")) == (1, 0, 1)

    second = new_placement(first.candidate, scheme="CLIS", offered_on="2024-07-01", started_on="2024-09-02")
    created = client.post("/api/v1/placements/", second, format="json")
    assert created.status_code == 201, created.json()
    assert (count(), count(scheme="CLIS")) == (2, 1)

    first.scheme = clis
    first.save()
    assert (count(scheme="CLIS"), count(candidate_reference="CL-1")) == (2, 2)

    first.candidate.reference = "CL-9"
    first.candidate.save()
    assert (count(candidate_reference="CL-1"), count(candidate_reference="CL-9")) == (0, 2)

    Placement.objects.filter(pk=first.pk).delete()
    assert (count(), count(scheme="CLIS")) == (1, 1)

    Placement.objects.filter(organisation=world.ons).update(scheme=Scheme.objects.get(code="GFiE"))
    announce_records_changed()  # a bulk write sends no signals, so it says so, as the importer does
    assert count(scheme="CLIS") == 0

    set_up_user("ons_hr", "hr", ["ONS", "DWP"])  # what a user may see is part of each count's query
    assert count() == 2


def test_the_written_out_placement_representation_is_what_the_declared_fields_give(world, as_user):
    """PlacementSerializer writes its output by hand for speed: it must stay what ModelSerializer would give,
    for a page's rows and for a single record, with every kind of value (empty dates, outcomes, an end)."""
    from rest_framework import serializers

    from placements.api.serializers import PlacementSerializer

    placements = [
        PlacementFactory(candidate__organisation=world.ons, candidate__reference="A-1", business_unit="Digital"),
        PlacementFactory(candidate__organisation=world.ons, started_on=None, offered_on=datetime.date(2030, 1, 6)),
        PlacementFactory(
            candidate__organisation=world.ons,
            scheme=Scheme.objects.get(code="CLIS"),
            applied_on=datetime.date(2023, 3, 1),
            offered_on=datetime.date(2023, 4, 1),
            started_on=datetime.date(2023, 5, 2),
            planned_end_on=datetime.date(2024, 5, 1),
            ended_on=datetime.date(2024, 4, 30),
        ),
    ]
    OutcomeFactory(placement=placements[2], code="permanent", on=datetime.date(2024, 4, 30))
    serializer = PlacementSerializer(context={})
    expected = {
        placement.pk: serializers.ModelSerializer.to_representation(serializer, Placement.objects.get(pk=placement.pk))
        for placement in placements
    }
    listed = as_user("ons_hr").get("/api/v1/placements/").json()["results"]
    assert {item["id"]: item for item in listed} == expected
    assert [list(item) for item in listed] == [list(expected[item["id"]]) for item in listed]  # same key order
    for placement in placements:
        assert as_user("ons_hr").get(f"/api/v1/placements/{placement.pk}/").json() == expected[placement.pk]


def test_a_count_taken_by_a_transaction_that_then_rolls_back_is_not_kept(world, django_capture_on_commit_callbacks):
    """A transaction sees its own uncommitted records: what it counts is not everyone's, so it is not kept,
    lest the count outlive a rollback."""
    from django.db import transaction

    from placements.caching import cached_count

    PlacementFactory(candidate__organisation=world.ons)
    ons_records = Placement.objects.filter(organisation=world.ons)
    with django_capture_on_commit_callbacks(execute=True):
        assert cached_count(ons_records) == 1
    counted_inside = []

    def add_count_and_roll_back():
        with transaction.atomic():
            PlacementFactory(candidate__organisation=world.ons)
            counted_inside.append(cached_count(ons_records))
            raise RuntimeError("rolled back")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        add_count_and_roll_back()
    assert counted_inside == [2]  # its own, uncommitted record
    assert cached_count(ons_records) == 1


def test_a_placement_at_a_site_newer_than_the_pages_reference_snapshot_still_shows_the_sites_name(world):
    """A page answers from one reference snapshot; a site created after it was read (whose commit has not yet
    replaced the version another request read) is looked up rather than shown as nothing."""
    from placements.api.serializers import PlacementSerializer
    from schemes.reference import snapshot

    earlier = snapshot()
    earlier.codes(Location)  # the maps are read now, before the site exists
    site = LocationFactory(name="Sheffield Pennine Five")
    placement = PlacementFactory(candidate__organisation=world.ons, location=site)
    shown = PlacementSerializer([placement], many=True, context={"reference snapshot": earlier}).data
    assert shown[0]["location"] == "Sheffield Pennine Five"
    assert shown[0]["organisation"] == "ONS"
