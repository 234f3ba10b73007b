"""In the admin, each member of staff reaches only their own organisations' records: lists, search,
autocomplete and typed URLs alike; managers read, FOI officers and API clients see no records."""

import pytest
from django.urls import reverse

from schemes.models import Scheme
from tests.factories import CandidateFactory, OutcomeFactory, PlacementFactory


@pytest.fixture
def records(world):
    ons = PlacementFactory(candidate__organisation=world.ons, candidate__reference="ONS-001")
    dwp = PlacementFactory(
        candidate__organisation=world.dwp, candidate__reference="DWP-001", scheme=Scheme.objects.get(code="CLIS")
    )
    return ons, dwp


def signed_in(client, user):
    client.force_login(user)
    return client


def changelist(model):
    return reverse(f"admin:placements_{model}_changelist")


def autocomplete(client, model_name, field_name, term=""):
    response = client.get(
        "/admin/autocomplete/",
        {"app_label": "placements", "model_name": model_name, "field_name": field_name, "term": term},
    )
    assert response.status_code == 200
    return {item["text"] for item in response.json()["results"]}


@pytest.mark.parametrize("model", ["placement", "candidate", "outcome"])
def test_hr_staff_list_only_their_organisations_records(client, world, records, model):
    for placement in records:
        placement.outcomes.create(code="in_post", on=placement.started_on)
    page = signed_in(client, world.ons_hr).get(changelist(model)).content.decode()
    assert "ONS-001" in page
    assert "DWP-001" not in page


def test_searching_for_another_organisations_reference_finds_nothing(client, world, records):
    response = signed_in(client, world.ons_hr).get(changelist("placement"), {"q": "DWP-001"})
    assert response.context["cl"].result_count == 0
    response = client.get(changelist("candidate"), {"q": "001"})
    assert [c.reference for c in response.context["cl"].result_list] == ["ONS-001"]


def test_autocomplete_offers_only_the_users_candidates_and_organisations(client, world, records):
    signed_in(client, world.ons_hr)
    assert autocomplete(client, "placement", "candidate", "001") == {"ONS/ONS-001"}
    assert autocomplete(client, "placement", "organisation") == {"Office for National Statistics (ONS)"}
    assert autocomplete(client, "candidate", "organisation", "Work") == set()
    # A transfer's destination can be any organisation: that is reference data, not a record.
    assert "Department for Work and Pensions (DWP)" in autocomplete(client, "outcome", "destination_organisation")


def test_autocomplete_of_placements_for_outcomes_is_scoped(client, world, records):
    signed_in(client, world.dwp_hr)
    assert {text.split(" on ")[0] for text in autocomplete(client, "outcome", "placement")} == {"DWP/DWP-001"}


@pytest.mark.parametrize("view", ["change", "history", "delete"])
@pytest.mark.parametrize("model", ["placement", "candidate", "outcome"])
def test_typing_another_organisations_id_into_the_url_does_not_show_the_record(client, world, records, view, model):
    _, dwp = records
    record = {"placement": dwp, "candidate": dwp.candidate, "outcome": OutcomeFactory(placement=dwp)}[model]
    response = signed_in(client, world.ons_hr).get(reverse(f"admin:placements_{model}_{view}", args=[record.pk]))
    assert response.status_code in {302, 404}
    assert "DWP-001" not in response.content.decode()
    if response.status_code == 302:
        assert response.url == reverse("admin:index")


def test_a_history_version_of_another_organisations_record_is_not_found(client, world, records):
    _, dwp = records
    version = dwp.history.get()
    url = reverse("admin:placements_placement_simple_history", args=[dwp.pk, version.history_id])
    assert signed_in(client, world.ons_hr).get(url).status_code == 404
    assert signed_in(client, world.dwp_hr).get(url).status_code == 200


def test_a_scheme_administrator_reaches_placements_on_the_schemes_their_organisation_owns(client, world, records):
    ons, dwp = records  # DfE owns CLIS; the DWP placement is on CLIS, the ONS one on GFiE
    signed_in(client, world.dfe_scheme_admin)
    assert client.get(reverse("admin:placements_placement_change", args=[dwp.pk])).status_code == 200
    assert client.get(reverse("admin:placements_placement_change", args=[ons.pk])).status_code == 302


def test_a_manager_sees_their_organisations_records_but_cannot_change_them(client, world, records):
    ons, _ = records
    ons.candidate.given_name = "Jordan"
    ons.candidate.save()
    signed_in(client, world.ons_manager)
    assert "ONS-001" in client.get(changelist("placement")).content.decode()
    url = reverse("admin:placements_placement_change", args=[ons.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.post(url, {"business_unit": "Changed"}).status_code == 403
    ons.refresh_from_db()
    assert ons.business_unit == ""
    candidate_page = client.get(reverse("admin:placements_candidate_change", args=[ons.candidate.pk]))
    assert "Jordan" not in candidate_page.content.decode()
    assert client.get(reverse("admin:placements_placement_add")).status_code == 403


def test_hr_staff_see_the_restricted_personal_details(client, world, records):
    ons, _ = records
    ons.candidate.given_name = "Jordan"
    ons.candidate.save()
    page = signed_in(client, world.ons_hr).get(reverse("admin:placements_candidate_change", args=[ons.candidate.pk]))
    assert "Jordan" in page.content.decode()


@pytest.mark.parametrize("who", ["ons_foi", "ons_api"])
def test_foi_officers_and_api_clients_get_no_records(client, world, records, who):
    signed_in(client, getattr(world, who))
    for model in ("placement", "candidate", "outcome"):
        response = client.get(changelist(model))
        assert response.status_code in {302, 403}
        assert "ONS-001" not in response.content.decode()
    response = client.get(
        "/admin/autocomplete/", {"app_label": "placements", "model_name": "placement", "field_name": "candidate"}
    )
    assert response.status_code in {302, 403}


def test_an_api_client_cannot_sign_in_to_the_admin(client, world):
    client.post(reverse("admin:login"), {"username": "ons_api", "password": world.password})
    assert "_auth_user_id" not in client.session


def test_the_admin_offers_only_the_users_organisations_as_employer(client, world):
    CandidateFactory(organisation=world.dwp, reference="DWP-009")
    response = signed_in(client, world.ons_hr).get(reverse("admin:placements_candidate_add"))
    choices = response.context["adminform"].form.fields["organisation"].queryset
    assert list(choices.values_list("code", flat=True)) == ["ONS"]
