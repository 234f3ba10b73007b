"""What a user may do and see is kept in the cache between requests (schemes/backends.py): it answers as Django's
own backend does, and every way of changing a role, a permission or a membership applies from the next request.

Each request here runs as its own committed transaction would (`django_capture_on_commit_callbacks`), so what
it reads is kept for the next, as when serving."""

import pytest
from django.contrib.auth import backends, get_user_model
from django.contrib.auth.models import Group, Permission
from rest_framework.test import APIClient

from schemes.backends import ModelBackend
from schemes.roles import group_name
from schemes.services import new_token, set_up_user
from tests.factories import PlacementFactory


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run `call` as a committed transaction: what it kept in the cache is kept, and its writes replace the
    versions they change, as when serving."""

    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


def _client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {new_token(user)}")
    return client


def test_permissions_are_django_s_for_every_kind_of_user(world, committed):
    User = get_user_model()
    committed(world.ons_manager.user_permissions.add, Permission.objects.get(codename="add_foirequest"))
    nobody = User.objects.create(username="no_groups")
    for user in (world.ons_hr, world.ons_manager, world.ons_api, world.dfe_scheme_admin, world.superuser, nobody):
        expected = backends.ModelBackend().get_all_permissions(User.objects.get(pk=user.pk))
        assert committed(ModelBackend().get_all_permissions, User.objects.get(pk=user.pk)) == expected
        assert ModelBackend().get_all_permissions(User.objects.get(pk=user.pk)) == expected  # now from the cache
    assert "reporting.add_foirequest" in ModelBackend().get_all_permissions(User.objects.get(pk=world.ons_manager.pk))


def test_a_permission_taken_from_a_role_applies_from_the_next_request(world, committed):
    client = _client(world.ons_hr)
    assert committed(client.get, "/api/v1/placements/").status_code == 200
    hr = Group.objects.get(name=group_name("hr"))
    view = Permission.objects.get(codename="view_placement")
    committed(hr.permissions.remove, view)
    assert committed(client.get, "/api/v1/placements/").status_code == 403
    committed(hr.permissions.add, view)
    assert committed(client.get, "/api/v1/placements/").status_code == 200


def test_a_permission_given_to_one_user_applies_from_the_next_request(world, committed):
    client = _client(world.ons_api)  # a statistics client: no record permission
    assert committed(client.get, "/api/v1/placements/").status_code == 403
    committed(world.ons_api.user_permissions.add, Permission.objects.get(codename="view_placement"))
    assert committed(client.get, "/api/v1/placements/").status_code == 200
    committed(world.ons_api.user_permissions.clear)
    assert committed(client.get, "/api/v1/placements/").status_code == 403


def test_a_deactivated_user_is_refused_at_once(world, committed):
    client = _client(world.ons_hr)
    assert committed(client.get, "/api/v1/placements/").status_code == 200
    world.ons_hr.is_active = False
    committed(world.ons_hr.save)
    assert committed(client.get, "/api/v1/placements/").status_code == 401


def test_a_change_of_organisations_applies_from_the_next_request(world, committed):
    dwp_placement = PlacementFactory(candidate__organisation=world.dwp)
    two_departments = committed(set_up_user, "two_departments", "hr", ["ONS", "DWP"])
    client = _client(two_departments)
    assert [item["id"] for item in committed(client.get, "/api/v1/placements/").json()["results"]] == [dwp_placement.pk]
    committed(set_up_user, "two_departments", "hr", ["ONS"])
    assert committed(client.get, "/api/v1/placements/").json()["results"] == []
    committed(set_up_user, "two_departments", "manager", ["DWP"])  # a reader there now
    response = committed(client.get, "/api/v1/placements/")
    assert [item["id"] for item in response.json()["results"]] == [dwp_placement.pk]
    assert committed(client.post, "/api/v1/placements/", {}, format="json").status_code == 403


def test_a_deleted_group_takes_its_permissions_with_it(world, committed):
    client = _client(world.ons_hr)
    assert committed(client.get, "/api/v1/placements/").status_code == 200
    committed(Group.objects.get(name=group_name("hr")).delete)
    assert committed(client.get, "/api/v1/placements/").status_code == 403
