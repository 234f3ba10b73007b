"""Token authentication (DRF's): a token signs its user in, a wrong, revoked or inactive one does not, and what
the user may do is read afresh for each request."""

from rest_framework.test import APIClient

from schemes.services import new_token, set_up_user
from tests.factories import PlacementFactory


def _client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_token_signs_its_user_in_and_a_wrong_or_revoked_one_does_not(world):
    key = new_token(world.ons_hr)
    assert _client(key).get("/api/v1/placements/").status_code == 200
    refused = _client(key[:-1] + ("0" if key[-1] != "0" else "1")).get("/api/v1/placements/")
    assert refused.status_code == 401
    assert refused.json() == {"detail": "Invalid token."}
    new_token(world.ons_hr)  # replaces the old one
    assert _client(key).get("/api/v1/placements/").status_code == 401


def test_an_inactive_users_token_is_refused(world):
    key = new_token(world.ons_hr)
    world.ons_hr.is_active = False
    world.ons_hr.save()
    response = _client(key).get("/api/v1/schemes/")
    assert response.status_code == 401
    assert response.json() == {"detail": "User inactive or deleted."}


def test_a_change_of_role_or_organisations_applies_from_the_next_request(world):
    """Permissions and memberships are kept on the request's user only: the same token's next request reads them
    again."""
    dwp_placement = PlacementFactory(candidate__organisation=world.dwp)
    client = _client(new_token(world.ons_hr))
    assert client.get("/api/v1/placements/").json()["count"] == 0
    set_up_user("ons_hr", "hr", ["ONS", "DWP"])
    assert [item["id"] for item in client.get("/api/v1/placements/").json()["results"]] == [dwp_placement.pk]
    set_up_user("ons_hr", "api", ["ONS"])  # a statistics-only client holds no record permission
    assert client.get("/api/v1/placements/").status_code == 403


def test_a_superusers_token_reads_every_record(world):
    placements = [PlacementFactory(candidate__organisation=org) for org in (world.ons, world.dwp)]
    response = _client(new_token(world.superuser)).get("/api/v1/placements/")
    assert response.status_code == 200
    assert sorted(item["id"] for item in response.json()["results"]) == sorted(p.pk for p in placements)
