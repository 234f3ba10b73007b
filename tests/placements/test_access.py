"""The access rule's finer points at the doors (decision 0060): a scheme owner's administrator runs its scheme's
placements but does not move them or see another employer's people; the admin filters only by what it offers.
tests/test_every_door.py checks that every door gives the same answers."""

import datetime
import itertools

import pytest
from django.contrib import admin
from django.urls import reverse
from rest_framework.test import APIClient

from placements.access import PERSONAL_FIELDS, Action, allows, restrict
from placements.models import Candidate, Outcome, Placement
from schemes.models import Grade, Location, Scheme
from schemes.services import new_token
from tests.factories import CandidateFactory, OutcomeFactory, PlacementFactory

CHANGELISTS = {
    model: reverse(f"admin:placements_{model}_changelist") for model in ("candidate", "placement", "outcome")
}


@pytest.fixture
def as_user(world):
    def client_for(name: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {new_token(getattr(world, name))}")
        return client

    return client_for


@pytest.fixture
def on_clis(world):
    """A DWP candidate with a placement on CLIS, a scheme DfE owns."""
    return PlacementFactory(
        candidate__organisation=world.dwp,
        candidate__reference="DWP-001",
        candidate__given_name="Sam",
        candidate__email="sam@example.com",
        scheme=Scheme.objects.get(code="CLIS"),
    )


def test_for_one_record_the_rule_answers_as_it_does_for_a_list(world, on_clis):
    """`allows` and `restrict` are the same rule: for every user, record and action they agree."""
    records = [
        on_clis,
        on_clis.candidate,
        OutcomeFactory(placement=on_clis),
        PlacementFactory(candidate__organisation=world.ons),
        PlacementFactory(candidate__organisation=world.dfe),
    ]
    records += [records[-1].candidate, records[-2].candidate, CandidateFactory(organisation=world.dwp)]
    users = [world.ons_hr, world.ons_manager, world.ons_foi, world.ons_api, world.dwp_hr, world.dfe_scheme_admin]
    for user, record, action in itertools.product([*users, world.superuser], records, Action):
        in_list = restrict(type(record).objects.all(), user, action).filter(pk=record.pk).exists()
        assert allows(user, action, record) is in_list, (user.username, record, action)


def test_a_scheme_administrator_changes_a_placement_on_their_scheme_but_does_not_move_it(client, world, on_clis):
    client.force_login(world.dfe_scheme_admin)
    page = client.get(reverse("admin:placements_placement_change", args=[on_clis.pk]))
    assert {"candidate", "organisation"} <= set(page.context["adminform"].readonly_fields)

    gfie = Scheme.objects.get(code="GFiE")  # the Cabinet Office's
    response = client.post(
        reverse("admin:placements_placement_change", args=[on_clis.pk]),
        {
            "scheme": gfie.pk,
            "location": on_clis.location_id,
            "grade": on_clis.grade_id,
            "offered_on": on_clis.offered_on,
            "started_on": on_clis.started_on,
            "outcomes-TOTAL_FORMS": 0,
            "outcomes-INITIAL_FORMS": 0,
            "contacts-TOTAL_FORMS": 0,
            "contacts-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    # The employer is not on the form (read-only), so the refusal heads the form.
    assert response.context["adminform"].form.non_field_errors() == ["You cannot add or change records of DWP on GFiE."]
    assert "You cannot add or change records of DWP on GFiE." in response.content.decode()
    on_clis.refresh_from_db()
    assert on_clis.scheme.code == "CLIS"


def test_through_the_api_a_scheme_administrator_neither_moves_a_placement_nor_gives_it_away(world, on_clis, as_user):
    client = as_user("dfe_scheme_admin")
    url = f"/api/v1/placements/{on_clis.pk}/"
    response = client.patch(url, {"scheme": "GFiE"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"organisation": ["You cannot add or change records of DWP on GFiE."]}
    another = PlacementFactory(candidate__organisation=world.dwp, scheme=Scheme.objects.get(code="CLIS")).candidate
    response = client.patch(url, {"candidate": another.pk}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "candidate": ["only the organisation that holds this record may give it another candidate or organisation"]
    }
    on_clis.refresh_from_db()
    assert (on_clis.scheme.code, on_clis.candidate_id) == ("CLIS", on_clis.candidate.pk)
    assert client.patch(url, {"ended_on": "2024-08-30"}, format="json").status_code == 200


def test_a_scheme_administrator_neither_sees_nor_changes_another_employers_candidates_names(world, on_clis, as_user):
    client = as_user("dfe_scheme_admin")
    url = f"/api/v1/candidates/{on_clis.candidate_id}/"
    shown = client.get(url).json()
    assert shown["reference"] == "DWP-001"
    assert not set(PERSONAL_FIELDS) & set(shown)
    response = client.patch(url, {"given_name": "Alex", "email": "alex@example.com"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"given_name", "email"}
    assert Candidate.objects.get(pk=on_clis.candidate_id).given_name == "Sam"
    assert as_user("dwp_hr").get(url).json()["given_name"] == "Sam"


def test_a_candidates_history_hides_names_from_a_scheme_administrator_of_another_employer(client, world, on_clis):
    candidate = on_clis.candidate
    candidate.given_name = "Samira"
    candidate.skills = "Excel"
    candidate.save()
    url = reverse("admin:placements_candidate_history", args=[candidate.pk])
    client.force_login(world.dfe_scheme_admin)
    page = client.get(url).content.decode()
    assert "Excel" in page
    assert "Sam" not in page
    client.force_login(world.dwp_hr)
    assert "Samira" in client.get(url).content.decode()


def test_a_scheme_administrator_adds_a_placement_for_any_employer_on_their_scheme_only(client, world, on_clis):
    client.force_login(world.dfe_scheme_admin)
    url = reverse("admin:placements_placement_add")

    def add(scheme_code):
        return client.post(
            url,
            {
                "candidate": on_clis.candidate_id,
                "organisation": world.dwp.pk,
                "scheme": Scheme.objects.get(code=scheme_code).pk,
                "location": Location.objects.get(name="Newport").pk,
                "grade": Grade.objects.get(code="EO").pk,
                "offered_on": "2025-06-02",
                "outcomes-TOTAL_FORMS": 0,
                "outcomes-INITIAL_FORMS": 0,
                "contacts-TOTAL_FORMS": 0,
                "contacts-INITIAL_FORMS": 0,
            },
        )

    refused = add("GFiE")
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["organisation"] == [
        "You cannot add or change records of DWP on GFiE."
    ]
    assert add("CLIS").status_code == 302
    assert Placement.objects.filter(candidate=on_clis.candidate, offered_on=datetime.date(2025, 6, 2)).exists()
    organisations = client.get(
        "/admin/autocomplete/",
        {"app_label": "placements", "model_name": "placement", "field_name": "organisation", "term": "Work"},
    ).json()["results"]
    assert "Department for Work and Pensions (DWP)" in {item["text"] for item in organisations}


@pytest.mark.parametrize(
    ("model", "lookup"),
    [
        ("candidate", "email__startswith"),
        ("candidate", "given_name"),
        ("candidate", "family_name__icontains"),
        ("candidate", "phone__contains"),
        ("candidate", "personal_adviser_contact__iexact"),
        ("placement", "candidate__email__startswith"),
        ("placement", "candidate__given_name__startswith"),
        ("outcome", "placement__candidate__email__startswith"),
        ("candidate", "skills__contains"),  # not personal, but no filter offers it either
        ("placement", "business_unit__startswith"),
        ("placement", "started_on__gte"),  # the date hierarchy offers years, months and days, not ranges
    ],
)
@pytest.mark.parametrize("who", ["ons_manager", "ons_hr"])
def test_a_lookup_no_filter_offers_is_refused_whatever_the_data(client, world, model, lookup, who):
    """Guessing a manager cannot see an e-mail address letter by letter (`?email__startswith=s`, then `sa`...)
    gets the same 400 whether a guess is right or wrong, and the list is never read."""
    placement = PlacementFactory(
        candidate__organisation=world.ons,
        candidate__given_name="Sam",
        candidate__family_name="Smith",
        candidate__email="sam@example.com",
        candidate__phone="07700900123",
        candidate__personal_adviser_contact="sam-pa@example.com",
        candidate__skills="Excel",
        business_unit="Statistics",
    )
    OutcomeFactory(placement=placement)
    client.force_login(getattr(world, who))
    right, wrong = "s", "x"
    if lookup.startswith("started_on"):
        right, wrong = "2020-01-01", "2030-01-01"
    answers = [client.get(CHANGELISTS[model], {lookup: guess}) for guess in (right, wrong, right.upper())]
    assert {response.status_code for response in answers} == {400}
    assert len({response.content for response in answers}) == 1


@pytest.mark.parametrize("model", ["candidate", "placement", "outcome"])
def test_every_filter_the_list_offers_still_works(client, world, on_clis, model):
    PlacementFactory(candidate__organisation=world.ons, candidate__legal_status="eligible")
    OutcomeFactory(placement=PlacementFactory(candidate__organisation=world.ons))
    client.force_login(world.superuser)
    listing = client.get(CHANGELISTS[model])
    changelist = listing.context["cl"]
    offered = [choice["query_string"] for spec in changelist.filter_specs for choice in spec.choices(changelist)]
    if changelist.date_hierarchy:
        offered += [
            f"?{changelist.date_hierarchy}__year=2023",
            f"?{changelist.date_hierarchy}__year=2023&"
            f"{changelist.date_hierarchy}__month=9&{changelist.date_hierarchy}__day=4",
        ]
    offered += ["?q=001", "?o=1"]
    assert len(offered) > 5
    for query_string in offered:
        assert client.get(CHANGELISTS[model] + query_string).status_code == 200, query_string


@pytest.mark.parametrize("model", [Candidate, Placement, Outcome])
def test_no_list_column_filter_or_search_of_the_admin_names_a_personal_detail(model):
    model_admin = admin.site.get_model_admin(model)
    named = [
        *model_admin.list_display,
        *(
            item[0] if isinstance(item, tuple) else getattr(item, "parameter_name", item)
            for item in model_admin.list_filter
        ),
        *model_admin.search_fields,
        model_admin.date_hierarchy or "",
        *(model_admin.ordering or ()),
    ]
    assert not [name for name in named if set(str(name).split("__")) & set(PERSONAL_FIELDS)]
