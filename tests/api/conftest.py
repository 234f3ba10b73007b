"""API clients for the named world's users: `as_user("ons_hr")` gives a client sending that user's token."""

import uuid

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from placements.caching import VERSION_KEY
from schemes.services import new_token


@pytest.fixture
def as_user(world):
    def client_for(name: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {new_token(getattr(world, name))}")
        return client

    return client_for


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    """Each test its own empty cache (statistics and throttling counters live there): on Redis when REDIS_URL
    is set, under a key prefix of its own; in memory otherwise."""
    if settings.REDIS_URL:
        backend = {"BACKEND": "careleavers.cache.RedisCache", "LOCATION": settings.REDIS_URL}
    else:
        backend = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex}
    settings.CACHES = {"default": {**backend, "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}
    yield
    cache.delete(VERSION_KEY)  # the one key kept without expiry; the rest expire on their own
