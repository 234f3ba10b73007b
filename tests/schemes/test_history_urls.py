"""A mistyped admin history address is "not found" (404), never a server error, for every model with a history."""

import pytest
from django.test import Client

from tests.factories import PlacementFactory

NOT_AN_ID = ["abc", "1.5", "99999999999999999999999"]  # not a number; a number too large for any id column


@pytest.fixture
def signed_in(world):
    def client_for(username: str) -> Client:
        client = Client(raise_request_exception=False)  # a 500 is what a user would see, so count it as one
        client.force_login(getattr(world, username))
        return client

    return client_for


@pytest.mark.parametrize("username", ["ons_hr", "superuser"])
@pytest.mark.parametrize("model", ["placements/placement", "placements/candidate", "schemes/organisation"])
@pytest.mark.parametrize("typed", NOT_AN_ID)
def test_a_history_page_for_an_id_that_cannot_exist_is_not_found(signed_in, username, model, typed):
    client = signed_in(username)
    assert client.get(f"/admin/{model}/{typed}/history/").status_code == 404
    assert client.get(f"/admin/{model}/{typed}/history/1/").status_code == 404


@pytest.mark.parametrize("username", ["ons_hr", "superuser"])
@pytest.mark.parametrize("typed", NOT_AN_ID)
def test_a_version_that_cannot_exist_of_a_real_record_is_not_found(signed_in, world, username, typed):
    placement = PlacementFactory(candidate__organisation=world.ons)
    client = signed_in(username)
    assert client.get(f"/admin/placements/placement/{placement.pk}/history/").status_code == 200
    assert client.get(f"/admin/placements/placement/{placement.pk}/history/{typed}/").status_code == 404
    assert client.get(f"/admin/schemes/organisation/{world.ons.pk}/history/{typed}/").status_code == 404
