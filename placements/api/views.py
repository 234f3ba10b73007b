"""Records endpoints: every list starts from `for_user`, so each client sees only what it may see."""

from django.core.paginator import Paginator
from django.db.models import ProtectedError
from django.utils.functional import cached_property
from rest_framework import status, viewsets
from rest_framework.response import Response

from careleavers.api_common import Pagination
from placements.audit import record_read, record_reads
from placements.caching import cached_count
from placements.filtersets import CandidateFilterSet, OutcomeFilterSet, PlacementFilterSet
from placements.models import Candidate, Outcome, Placement, RecordAccess

from .permissions import RecordPermissions
from .serializers import CandidateSerializer, OutcomeSerializer, PlacementSerializer, placement_layout


class CountCachedPaginator(Paginator):
    """Pages whose count is kept until the records change (`cached_count`): the count is exact, but is read
    from the cache on every page after the first instead of counting the whole list again."""

    @cached_property
    def count(self):
        return cached_count(self.object_list)


class RecordPagination(Pagination):
    django_paginator_class = CountCachedPaginator


class _RecordViewSet(viewsets.ModelViewSet):
    """Every record a client reads, one by one or a page at a time, is recorded (docs/domain.md: reads are audited)."""

    permission_classes = [RecordPermissions]
    pagination_class = RecordPagination
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        record_read(request.user, instance, RecordAccess.How.API, request.path)
        return Response(self.get_serializer(instance).data)

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None and self.request.method == "GET":
            record_reads(
                self.request.user, page, RecordAccess.How.API, self.request.path, model=self.serializer_class.Meta.model
            )
        return page

    def destroy(self, request, *args, **kwargs):
        try:
            return super().destroy(request, *args, **kwargs)
        except ProtectedError as error:
            return Response(
                {
                    "detail": f"This record cannot be deleted while {len(error.protected_objects)} other record(s) "
                    "depend on it; delete those first."
                },
                status=status.HTTP_409_CONFLICT,
            )


class CandidateViewSet(_RecordViewSet):
    """Care leavers known to the user's organisations."""

    serializer_class = CandidateSerializer
    filterset_class = CandidateFilterSet
    ordering_fields = ["reference", "created_at"]
    ordering = ["-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no rows
            return Candidate.objects.none()
        return Candidate.objects.for_user(self.request.user)


class IdsFirstPaginator(CountCachedPaginator):
    """A page found as ids first, then those rows read by primary key, as plain rows (`placement_layout`).

    The ids come from the scoped, filtered and ordered query alone, which PostgreSQL answers from the
    (organisation, id) index without visiting the table, however deep the page; reading every column there
    instead made it visit each row the OFFSET skips (BENCHMARKS.md "API")."""

    def page(self, number):
        number = self.validate_number(number)
        if not self.count:
            return self._get_page([], number, self)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        layout = placement_layout()
        rows = layout.rows.filter(pk__in=ids)
        by_id = {row.id: row for row in map(layout.row._make, rows)}
        return self._get_page([by_id[pk] for pk in ids if pk in by_id], number, self)  # one deleted since: left out


class PlacementPagination(RecordPagination):
    django_paginator_class = IdsFirstPaginator


class PlacementViewSet(_RecordViewSet):
    """Placements the user may see: their organisations' (and, for scheme administrators, their schemes')."""

    serializer_class = PlacementSerializer
    filterset_class = PlacementFilterSet
    pagination_class = PlacementPagination
    ordering_fields = ["started_on", "offered_on", "ended_on", "created_at", "updated_at", "id"]
    ordering = ["-id"]  # newest records first, straight off the primary key (clients may order by started_on)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no rows
            return Placement.objects.none()
        return Placement.objects.for_user(self.request.user)


class OutcomeViewSet(_RecordViewSet):
    """Entries in the outcome history of the placements the user may see."""

    serializer_class = OutcomeSerializer
    filterset_class = OutcomeFilterSet
    ordering_fields = ["on", "id"]
    ordering = ["-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no rows
            return Outcome.objects.none()
        return Outcome.objects.for_user(self.request.user)
