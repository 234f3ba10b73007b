"""Every door checks the same rule (docs/decisions/0060): for each role and a record of its own organisation, one
of another organisation, and one of another organisation on a scheme its organisation owns, the admin, the API,
the hires import and the pipeline's contact form allow the same things, and show the candidate's name to the
same people.

The answers expected are the decision written down as data (EXPECTED), not asked of placements/access.py.
"""

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from placements.importing import import_placements_file
from placements.models import Candidate, Contact, Placement
from schemes.models import Organisation, Scheme
from schemes.services import new_token
from tests.factories import PlacementFactory
from tests.placements.spreadsheets import write_csv

NAME = "Sam"
DOORS = (
    "admin read",  # the placement's page in the admin shows it
    "admin change",  # saving the placement's page in the admin changes it
    "admin change candidate",  # saving the candidate's page (its support details) changes it
    "API read",  # GET /api/v1/placements/{id}/
    "API write",  # PATCH /api/v1/placements/{id}/
    "API write candidate",  # PATCH /api/v1/candidates/{id}/ (its support details)
    "import",  # a hires spreadsheet row changes the placement
    "personal details in the admin",  # the candidate's page shows the name
    "personal details in the API",  # GET /api/v1/candidates/{id}/ gives the name
    "record contact",  # the pipeline dashboard's "Record a contact" form saves a contact
)
ALL = frozenset(DOORS)
PERSONAL = frozenset({"personal details in the admin", "personal details in the API"})
READ = frozenset({"admin read", "API read"})
CONTACT = frozenset({"record contact"})
NOTHING = frozenset()

# The decision, as data: what each role may do with a record of its own organisation, of another organisation,
# and of another organisation on a scheme the role's organisation owns.
EXPECTED = {
    "hr": {"own": ALL, "another's": NOTHING, "another's on its scheme": NOTHING},
    "manager": {"own": READ | CONTACT, "another's": NOTHING, "another's on its scheme": NOTHING},
    "foi": {"own": NOTHING, "another's": NOTHING, "another's on its scheme": NOTHING},
    "api": {"own": NOTHING, "another's": NOTHING, "another's on its scheme": NOTHING},
    # A scheme owner's administrator runs the placements on its scheme, but another employer's candidates'
    # names and contact details stay with that employer, and so does keeping in touch with them.
    "scheme_admin": {"own": ALL, "another's": NOTHING, "another's on its scheme": ALL - PERSONAL - CONTACT},
    "superuser": {"own": ALL, "another's": ALL, "another's on its scheme": ALL},
}
# Who plays each role, and which organisation is "own" for them (the superuser has none: ONS stands in).
USERS = {
    "hr": ("ons_hr", "ONS"),
    "manager": ("ons_manager", "ONS"),
    "foi": ("ons_foi", "ONS"),
    "api": ("ons_api", "ONS"),
    "scheme_admin": ("dfe_scheme_admin", "DFE"),
    "superuser": ("superuser", "ONS"),
}


def record_for(world, role: str, kind: str) -> Placement:
    """A placement (its candidate named Sam) of the kind asked, seen from the role's organisation."""
    _, own_code = USERS[role]
    own = Organisation.objects.get(code=own_code)
    if kind == "own":
        employer, scheme = own, Scheme.objects.get(code="GFiE")  # GFiE is the Cabinet Office's
    elif kind == "another's":
        employer, scheme = world.dwp, Scheme.objects.get(code="GFiE")
    else:
        owned = Scheme.objects.filter(owner=own).first() or Scheme.objects.create(
            code=f"{own.code}-S", name=f"{own.code}'s scheme", kind="internship", owner=own
        )  # ONS owns no scheme in the seeded data: one for it, so its HR and managers are asked too
        employer, scheme = world.dwp, Scheme.objects.get(code="CLIS") if role == "superuser" else owned
    return PlacementFactory(
        candidate__organisation=employer, candidate__given_name=NAME, candidate__reference="CL-1", scheme=scheme
    )


def placement_form(placement: Placement, **changes) -> dict:
    """What pressing Save on the placement's admin page sends."""
    fields = {
        "candidate": placement.candidate_id,
        "organisation": placement.organisation_id,
        "scheme": placement.scheme_id,
        "business_unit": placement.business_unit,
        "location": placement.location_id,
        "grade": placement.grade_id,
        "offered_on": placement.offered_on,
        "started_on": placement.started_on,
        "outcomes-TOTAL_FORMS": 0,
        "outcomes-INITIAL_FORMS": 0,
        "contacts-TOTAL_FORMS": 0,
        "contacts-INITIAL_FORMS": 0,
    }
    return {**fields, **changes}


def candidate_form(candidate: Candidate, **changes) -> dict:
    """What pressing Save on the candidate's admin page sends (the name too, where the page shows it)."""
    fields = {
        "organisation": candidate.organisation_id,
        "reference": candidate.reference,
        "given_name": candidate.given_name,
        "skills": candidate.skills,
        "placements-TOTAL_FORMS": 0,
        "placements-INITIAL_FORMS": 0,
    }
    return {**fields, **changes}


def try_door(door: str, user, placement: Placement, client, api, tmp_path) -> bool:
    """Whether the user got through `door` to the placement (or its candidate), judged by what they saw or
    what was saved (each door writes its own name, so no door takes credit for another's change)."""
    placement.refresh_from_db()
    candidate = placement.candidate
    placement_page = reverse("admin:placements_placement_change", args=[placement.pk])
    candidate_page = reverse("admin:placements_candidate_change", args=[candidate.pk])
    if door == "admin read":
        response = client.get(placement_page)
        return response.status_code == 200 and "CL-1" in response.content.decode()
    if door == "admin change":
        client.post(placement_page, placement_form(placement, business_unit=door))
        return Placement.objects.get(pk=placement.pk).business_unit == door
    if door == "admin change candidate":
        client.post(candidate_page, candidate_form(candidate, skills=door))
        return Candidate.objects.get(pk=candidate.pk).skills == door
    if door == "API read":
        return api.get(f"/api/v1/placements/{placement.pk}/").status_code == 200
    if door == "API write":
        api.patch(f"/api/v1/placements/{placement.pk}/", {"business_unit": door}, format="json")
        return Placement.objects.get(pk=placement.pk).business_unit == door
    if door == "API write candidate":
        api.patch(f"/api/v1/candidates/{candidate.pk}/", {"skills": door}, format="json")
        return Candidate.objects.get(pk=candidate.pk).skills == door
    if door == "import":
        row = {
            "Candidate reference": candidate.reference,
            "Scheme": placement.scheme.code,
            "Organisation": placement.organisation.code,
            "Business unit": door,
            "Location": placement.location.name,
            "Grade": placement.grade.code,
            "Offer date": placement.offered_on.isoformat(),
            "Start date": placement.started_on.isoformat(),
        }
        import_placements_file(write_csv(tmp_path / "hires.csv", [row], headings=list(row)), user=user)
        return Placement.objects.get(pk=placement.pk).business_unit == door
    if door == "personal details in the admin":
        response = client.get(candidate_page)
        return response.status_code == 200 and NAME in response.content.decode()
    if door == "personal details in the API":
        response = api.get(f"/api/v1/candidates/{candidate.pk}/")
        return response.status_code == 200 and response.json().get("given_name") == NAME
    if door == "record contact":
        contacted_on = f"{timezone.localdate():%d/%m/%Y}"
        client.post(
            reverse("dashboard:pipeline_contact", args=[placement.pk]),
            {"contacted_on": contacted_on, "method": "phone", "note": door},
        )
        return Contact.objects.filter(placement=placement, note=door).exists()
    raise AssertionError(door)


@pytest.mark.parametrize("kind", ["own", "another's", "another's on its scheme"])
@pytest.mark.parametrize("role", list(EXPECTED))
def test_every_door_gives_the_same_answer(world, client, tmp_path, role, kind):
    user = getattr(world, USERS[role][0])
    placement = record_for(world, role, kind)
    client.force_login(user)  # signed in even where a password would not let them (API clients are not staff)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {new_token(user)}")
    opened = {door for door in DOORS if try_door(door, user, placement, client, api, tmp_path)}
    expected = EXPECTED[role][kind]
    disagreements = {
        "opened, though the rule refuses": opened - expected,
        "refused, though the rule allows": expected - opened,
    }
    assert disagreements == {"opened, though the rule refuses": set(), "refused, though the rule allows": set()}
