"""A small named world for tests that read like user stories.

Two employers (ONS and DWP, from the seeded reference data), DfE as the owner of CLIS, and a user of
each role: `ons_hr`, `ons_manager`, `ons_foi`, `ons_api`, `dwp_hr`, `dfe_scheme_admin`, plus `superuser`.
"""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model

from schemes.models import Organisation
from schemes.reference import forget_for_tests
from schemes.services import set_up_user

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Real hashing costs a second a user; tests check who may sign in, not the hash's strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def reference_snapshot_per_test():
    """A test's reference writes roll back with it: no process-local snapshot of them may outlive the test."""
    yield
    forget_for_tests()


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
