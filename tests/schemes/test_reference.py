"""Reference data kept in the shared cache under the reference version (schemes/reference.py): a change is in
the next answer of whoever asks, and a transaction's own uncommitted change is kept for nobody."""

import pytest
from django.db import transaction

from schemes.models import Location, Organisation
from schemes.reference import snapshot
from tests.factories import PlacementFactory


def test_a_renamed_site_shows_in_the_next_page_of_records(world, django_capture_on_commit_callbacks):
    from rest_framework.test import APIClient

    from schemes.services import new_token

    placement = PlacementFactory(candidate__organisation=world.ons)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {new_token(world.ons_hr)}")
    with django_capture_on_commit_callbacks(execute=True):  # the page's reference data is kept at its commit
        assert client.get("/api/v1/placements/").json()["results"][0]["location"] == "Newport"
    with django_capture_on_commit_callbacks(execute=True):
        location = Location.objects.get(pk=placement.location_id)
        location.name = "Newport (Cardiff Road)"
        location.save()
    assert client.get("/api/v1/placements/").json()["results"][0]["location"] == "Newport (Cardiff Road)"


def test_a_unit_added_under_an_organisation_is_in_its_staffs_scope_at_once(world, django_capture_on_commit_callbacks):
    from placements.models import Placement

    with django_capture_on_commit_callbacks(execute=True):
        assert world.ons.pk in Organisation.objects.descendant_ids([world.ons])  # the tree is now kept
    unit = Organisation.objects.create(code="ONS-DS", name="ONS Data Science", kind="directorate", parent=world.ons)
    placement = PlacementFactory(candidate__organisation=unit)
    assert placement in Placement.objects.for_user(world.ons_hr)
    assert placement not in Placement.objects.for_user(world.dwp_hr)


def test_a_unit_nested_deeper_than_any_fixed_number_of_levels_is_in_scope(world):
    parent = world.ons
    for level in range(10):
        parent = Organisation.objects.create(code=f"ONS-{level}", name=f"ONS level {level}", kind="unit", parent=parent)
    assert parent.pk in Organisation.objects.descendant_ids([world.ons])
    assert parent.pk not in Organisation.objects.descendant_ids([world.dwp])


def test_what_a_transaction_read_after_its_own_change_is_kept_for_nobody_if_it_rolls_back(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert snapshot().codes(Location)[Location.objects.get(name="Newport").pk] == "Newport"

    def rename_read_and_roll_back():
        with transaction.atomic():
            location = Location.objects.get(name="Newport")
            location.name = "Newport South"
            location.save()
            assert snapshot().codes(Location)[location.pk] == "Newport South"  # its own change, at once
            raise RuntimeError("rolled back")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        rename_read_and_roll_back()
    assert "Newport South" not in snapshot().codes(Location).values()
    assert snapshot().codes(Location)[Location.objects.get(name="Newport").pk] == "Newport"


def test_an_organisation_cannot_be_put_inside_its_own_units(world):
    from django.core.exceptions import ValidationError

    unit = Organisation.objects.create(code="ONS-U", name="ONS unit", kind="unit", parent=world.ons)
    team = Organisation.objects.create(code="ONS-T", name="ONS team", kind="unit", parent=unit)
    world.ons.parent = team
    with pytest.raises(ValidationError, match="cannot sit inside itself"):
        world.ons.full_clean()
    world.ons.parent = world.dwp
    world.ons.full_clean()  # anywhere else is fine
