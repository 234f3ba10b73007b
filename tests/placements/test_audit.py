"""The read audit's entry points, used by the admin today and by the API and exports."""

from django.contrib.auth.models import AnonymousUser

from placements.audit import reads_of, record_read, record_reads
from placements.models import Placement, RecordAccess
from tests.factories import PlacementFactory


def test_reads_of_a_page_of_records_are_recorded_in_one_go(world, django_assert_max_num_queries):
    placements = PlacementFactory.create_batch(3, candidate__organisation=world.ons)
    visible = Placement.objects.for_user(world.ons_manager)
    with django_assert_max_num_queries(3):  # the ids, the content type (unless cached), one INSERT
        assert record_reads(world.ons_manager, visible, RecordAccess.How.API, "/api/v1/placements/") == 3
    assert [read.how for read in reads_of(placements[0])] == ["api"]
    assert record_reads(world.ons_manager, placements[:2], RecordAccess.How.EXPORT) == 2
    assert reads_of(placements[0]).count() == 2


def test_nothing_is_recorded_for_anonymous_requests(world):
    placement = PlacementFactory(candidate__organisation=world.ons)
    assert record_read(AnonymousUser(), placement, RecordAccess.How.API) is None
    assert record_reads(AnonymousUser(), [placement], RecordAccess.How.API) == 0
    assert not RecordAccess.objects.exists()
