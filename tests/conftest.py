"""A small named world for tests that read like user stories.

Two employers (ONS and DWP, from the seeded reference data), DfE as the owner of CLIS, and a user of
each role: `ons_hr`, `ons_manager`, `ons_foi`, `ons_api`, `dwp_hr`, `dfe_scheme_admin`, plus `superuser`.
"""

import importlib
import uuid
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.cache import caches

from schemes.models import Organisation
from schemes.services import set_up_user

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Real hashing costs a second a user; tests check who may sign in, not the hash's strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def own_cache(settings):
    """Each test its own empty cache (cached counts, statistics, reference data, throttle histories), so tests
    running at once (`pytest -n`) or one after another never read each other's entries: on Redis when REDIS_URL
    is set, under a key prefix of its own, deleted afterwards; otherwise in memory."""
    if settings.REDIS_URL:
        backend = {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": settings.REDIS_URL}
    else:
        backend = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex}
    settings.CACHES = {"default": {**backend, "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}
    own = caches["default"]  # kept for the end: a test may set CACHES itself
    yield
    if settings.REDIS_URL:
        own.delete_pattern("*")  # django-redis: the keys under this test's prefix only
    else:
        own.clear()


@pytest.fixture(autouse=True)
def no_dashboard_warming(settings):
    """A change of records queues no warming task (no worker would take it): tests/reporting/test_warming.py
    turns it on for itself."""
    settings.DASHBOARD_WARMING = False


@pytest.fixture(autouse=True)
def plain_static_files(settings):
    """Pages render `{% static %}` links, and tests run without `collectstatic`: no manifest to look names up
    in (production uses the hashed manifest). STATIC_ROOT is an empty folder made by tests/pytest_env.py."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def committed_reference_data(transactional_db):
    """For tests whose data other threads or connections must see (a live server, a closed connection), which
    run in real transactions: each ends with the database flushed, seeded reference data included, so it is put
    back before the test.

    (Not `serialized_rollback`: Playwright's sync API runs an event loop in the test's thread, after which
    asgiref hands Django a fresh set of connections that lack the serialized copy made at setup.)"""
    if not Organisation.objects.exists():
        importlib.import_module("schemes.migrations.0002_seed_reference_data").seed(apps, None)


@pytest.fixture
def world(db):
    ons = Organisation.objects.get(code="ONS")
    dwp = Organisation.objects.get(code="DWP")
    dfe = Organisation.objects.get(code="DFE")
    users = {
        "ons_hr": set_up_user("ons_hr", "hr", ["ONS"], password=PASSWORD),
        "ons_manager": set_up_user("ons_manager", "manager", ["ONS"], password=PASSWORD),
        "ons_foi": set_up_user("ons_foi", "foi", ["ONS"], password=PASSWORD),
        "ons_api": set_up_user("ons_api", "api", ["ONS"]),
        "dwp_hr": set_up_user("dwp_hr", "hr", ["DWP"], password=PASSWORD),
        "dfe_scheme_admin": set_up_user("dfe_scheme_admin", "scheme_admin", ["DFE"], password=PASSWORD),
        "superuser": get_user_model().objects.create_superuser("superuser", "root@example.gov.uk", PASSWORD),
    }
    return SimpleNamespace(ons=ons, dwp=dwp, dfe=dfe, password=PASSWORD, **users)
