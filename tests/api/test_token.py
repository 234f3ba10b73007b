"""Token authentication (careleavers/api_common.py: DRF's, with a written-out query) answers as DRF's does."""

from rest_framework.test import APIClient

from schemes.services import new_token


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
