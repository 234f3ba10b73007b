"""API clients for the named world's users: `as_user("ons_hr")` gives a client sending that user's token."""

import pytest
from rest_framework.test import APIClient

from schemes.services import new_token


@pytest.fixture
def as_user(world):
    def client_for(name: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {new_token(getattr(world, name))}")
        return client

    return client_for
