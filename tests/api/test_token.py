"""Token authentication (careleavers/api_common.py: DRF's, with a written-out query) answers as DRF's does, and
reads the user's permissions and memberships with the user."""

from contextlib import contextmanager

from django.contrib.auth import backends, get_user_model
from django.contrib.auth.models import Permission
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from rest_framework.test import APIClient

from careleavers.api_common import TokenAuthentication
from placements.access import RECORD_ROLES
from schemes.models import Membership
from schemes.services import new_token, set_up_user


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


@contextmanager
def a_request():
    """What a request's start and end signal (values kept per request live that long), without the database
    connection's closing that Django's test client also leaves out."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        request_started.send(sender=None)
        yield
    finally:
        request_finished.send(sender=None)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_the_tokens_user_comes_with_their_permissions_and_memberships_in_one_query(world, django_assert_num_queries):
    """What the token's statement reads for the request is what Django's permission backend and the membership
    query give, for every kind of user: a direct permission, groups, several organisations, none at all."""
    world.ons_manager.user_permissions.add(Permission.objects.get(codename="add_foirequest"))
    two_departments = set_up_user("two_departments", "hr", ["ONS", "DWP"])
    nobody = get_user_model().objects.create(username="no_memberships")
    users = [world.ons_hr, world.ons_manager, world.ons_api, world.dwp_hr, world.dfe_scheme_admin, two_departments]
    with a_request():  # the first on a connection also prepares the statement there (careleavers/db.py)
        TokenAuthentication().authenticate_credentials(new_token(world.ons_hr))
    for user in [*users, nobody]:
        key = new_token(user)
        fresh = get_user_model().objects.get(pk=user.pk)
        expected_permissions = backends.ModelBackend().get_all_permissions(fresh)
        expected_scope = Membership.objects.organisation_ids(fresh, RECORD_ROLES)
        with a_request(), django_assert_num_queries(1):
            signed_in, _ = TokenAuthentication().authenticate_credentials(key)
            assert signed_in.get_all_permissions() == expected_permissions
            assert Membership.objects.organisation_ids(signed_in, RECORD_ROLES) == expected_scope
    assert "reporting.add_foirequest" in backends.ModelBackend().get_all_permissions(world.ons_manager)
    assert Membership.objects.organisation_ids(two_departments, RECORD_ROLES) >= {world.ons.pk, world.dwp.pk}


def test_a_superusers_token_still_holds_every_permission(world):
    with a_request():
        signed_in, _ = TokenAuthentication().authenticate_credentials(new_token(world.superuser))
        assert signed_in.has_perm("placements.delete_placement")
        assert signed_in.get_all_permissions() == backends.ModelBackend().get_all_permissions(world.superuser)
