"""Reference data kept per process (schemes/reference.py): a change is seen by the next request once committed."""

import pytest

from schemes.models import Location, Organisation
from schemes.reference import reference_version, snapshot
from tests.factories import PlacementFactory


@pytest.fixture
def own_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ref"}}


def test_a_renamed_site_shows_in_the_next_page_of_records(world, django_capture_on_commit_callbacks):
    from rest_framework.test import APIClient

    from schemes.services import new_token

    placement = PlacementFactory(candidate__organisation=world.ons)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {new_token(world.ons_hr)}")
    assert client.get("/api/v1/placements/").json()["results"][0]["location"] == "Newport"
    with django_capture_on_commit_callbacks(execute=True):
        location = Location.objects.get(pk=placement.location_id)
        location.name = "Newport (Cardiff Road)"
        location.save()
    assert client.get("/api/v1/placements/").json()["results"][0]["location"] == "Newport (Cardiff Road)"


def test_a_unit_added_under_an_organisation_is_in_its_staffs_scope_at_once(world, django_capture_on_commit_callbacks):
    from placements.models import Placement

    with django_capture_on_commit_callbacks(execute=True):
        unit = Organisation.objects.create(code="ONS-DS", name="ONS Data Science", kind="directorate", parent=world.ons)
    placement = PlacementFactory(candidate__organisation=unit)
    assert placement in Placement.objects.for_user(world.ons_hr)
    assert placement not in Placement.objects.for_user(world.dwp_hr)


def test_until_its_transaction_commits_a_change_is_seen_only_by_the_thread_that_made_it(world, own_cache):
    before = reference_version()
    kept = snapshot()
    assert snapshot() is kept  # the same snapshot while nothing changes
    location = Location.objects.get(name="Newport")
    location.name = "Newport South"
    location.save()  # inside the test's transaction: not committed
    assert reference_version() == before  # other processes keep theirs: the change is not theirs to see yet
    fresh = snapshot()
    assert fresh is not kept
    assert fresh.location_names[location.pk] == "Newport South"
    assert snapshot() is not fresh  # not kept while uncommitted: the transaction may still roll back


def test_the_version_changes_when_reference_data_is_committed(world, own_cache, django_capture_on_commit_callbacks):
    before = reference_version()
    with django_capture_on_commit_callbacks(execute=True):
        Organisation.objects.create(code="NEW", name="A new department", kind="department")
    assert reference_version() != before
    assert snapshot().organisation_code("new") == "NEW"


def test_permissions_are_django_s_in_one_query(world, django_assert_num_queries):
    from django.contrib.auth import backends
    from django.contrib.auth.models import Permission

    from schemes.backends import ModelBackend

    world.ons_manager.user_permissions.add(Permission.objects.get(codename="add_foirequest"))
    for user in (world.ons_hr, world.ons_manager, world.ons_api, world.dfe_scheme_admin):
        expected = backends.ModelBackend().get_all_permissions(type(user).objects.get(pk=user.pk))
        fresh = type(user).objects.get(pk=user.pk)
        with django_assert_num_queries(1):
            assert ModelBackend().get_all_permissions(fresh) == expected
    manager = type(world.ons_manager).objects.get(pk=world.ons_manager.pk)
    assert "reporting.add_foirequest" in ModelBackend().get_all_permissions(manager)
