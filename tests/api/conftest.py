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


@pytest.fixture(autouse=True)
def fresh_cache(settings, tmp_path):
    """Each test its own empty cache (statistics and throttling counters live there)."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": str(tmp_path)}
    }


@pytest.fixture(autouse=True)
def plain_static_files(settings):
    """Pages render without `collectstatic` having been run (production uses the hashed manifest)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
