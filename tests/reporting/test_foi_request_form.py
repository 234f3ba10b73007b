"""Logging a request: an FOI officer of one organisation finds it chosen already, units and all."""

import re

import pytest

from reporting.models import FoiRequest
from schemes.models import Membership, Organisation
from schemes.services import set_up_user


@pytest.fixture
def ons_unit(world):
    return Organisation.objects.create(code="ONS-DSC", name="ONS Data Science Campus", kind="unit", parent=world.ons)


def organisation_select(page: str) -> str:
    return re.search(r'<select name="organisation".*?</select>', page, re.S).group(0)


def organisation_options(page: str) -> dict[str, bool]:
    """The organisation select's options, as {label: selected}."""
    select = organisation_select(page)
    return {label: bool(selected) for selected, label in re.findall(r"<option[^>]*?( selected)?>([^<]+)<", select)}


def what_the_browser_sends(page: str, **typed) -> dict:
    selected = re.search(r'<option value="(\d+)"[^>]*selected', organisation_select(page))
    return {
        "reference": "FOI-2025-0100",
        "received_on": "06/01/2025",
        "questions": "How many care leavers have you hired?",
        "year_basis": "calendar",
        **({"organisation": selected.group(1)} if selected else {}),
        **typed,
    }


def test_an_officer_of_one_organisation_finds_it_chosen_and_the_first_submit_logs_the_request(client, world, ons_unit):
    client.force_login(world.ons_foi)
    page = client.get("/foi/new/").content.decode()
    options = organisation_options(page)
    assert options == {"ONS Data Science Campus (ONS-DSC)": False, "Office for National Statistics (ONS)": True}

    response = client.post("/foi/new/", what_the_browser_sends(page))
    assert response.status_code == 302, response.content.decode()
    assert FoiRequest.objects.get(reference="FOI-2025-0100").organisation == world.ons


def test_the_officer_may_still_answer_for_a_unit(client, world, ons_unit):
    client.force_login(world.ons_foi)
    page = client.get("/foi/new/").content.decode()
    client.post("/foi/new/", what_the_browser_sends(page, organisation=ons_unit.pk))
    assert FoiRequest.objects.get(reference="FOI-2025-0100").organisation == ons_unit


def test_an_officer_of_two_organisations_chooses_one(client, world):
    officer = set_up_user("ons_dwp_foi", "foi", ["ONS", "DWP"], password=world.password)
    assert Membership.objects.filter(user=officer).count() == 2
    client.force_login(officer)
    page = client.get("/foi/new/").content.decode()
    selected = [label for label, is_selected in organisation_options(page).items() if is_selected]
    assert selected == ["Select an organisation"]  # nothing chosen yet
    response = client.post("/foi/new/", what_the_browser_sends(page))
    assert response.status_code == 200
    assert "Select the organisation answering" in response.content.decode()
