"""Reading a care leaver's record through the API leaves the same trace as opening it in the admin."""

from placements.audit import reads_of
from placements.models import RecordAccess
from tests.factories import PlacementFactory


def test_a_placement_read_through_the_api_is_recorded_against_the_reader(world, as_user):
    placement = PlacementFactory(candidate__organisation=world.ons)
    assert as_user("ons_hr").get(f"/api/v1/placements/{placement.pk}/").status_code == 200
    reads = list(reads_of(placement))
    assert [(read.user, read.how) for read in reads] == [(world.ons_hr, RecordAccess.How.API)]


def test_each_record_on_a_listed_page_is_recorded_and_others_are_not(world, as_user):
    mine = [PlacementFactory(candidate__organisation=world.ons) for _ in range(3)]
    theirs = PlacementFactory(candidate__organisation=world.dwp)
    assert as_user("ons_hr").get("/api/v1/placements/").status_code == 200
    assert all(reads_of(placement).filter(user=world.ons_hr).count() == 1 for placement in mine)
    assert not reads_of(theirs).exists()


def test_a_refused_read_records_nothing(world, as_user):
    theirs = PlacementFactory(candidate__organisation=world.dwp)
    assert as_user("ons_hr").get(f"/api/v1/placements/{theirs.pk}/").status_code == 404
    assert not RecordAccess.objects.exists()
