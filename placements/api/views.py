"""Records endpoints: every list starts from `for_user`, so each client sees only what it may see."""

from django.db.models import ProtectedError
from rest_framework import status, viewsets
from rest_framework.response import Response

from placements.audit import record_read, record_reads
from placements.filtersets import CandidateFilterSet, OutcomeFilterSet, PlacementFilterSet
from placements.models import Candidate, Outcome, Placement, RecordAccess

from .permissions import RecordPermissions
from .serializers import CandidateSerializer, OutcomeSerializer, PlacementSerializer


class _RecordViewSet(viewsets.ModelViewSet):
    """Every record a client reads, one by one or a page at a time, is recorded (domain.md: reads are audited)."""

    permission_classes = [RecordPermissions]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        record_read(request.user, instance, RecordAccess.How.API, request.path)
        return Response(self.get_serializer(instance).data)

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None and self.request.method == "GET":
            record_reads(self.request.user, page, RecordAccess.How.API, self.request.path)
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


class PlacementViewSet(_RecordViewSet):
    """Placements the user may see: their organisations' (and, for scheme administrators, their schemes')."""

    serializer_class = PlacementSerializer
    filterset_class = PlacementFilterSet
    ordering_fields = ["started_on", "offered_on", "ended_on", "created_at", "updated_at", "id"]
    ordering = ["-id"]  # newest records first, straight off the primary key (clients may order by started_on)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no rows
            return Placement.objects.none()
        return Placement.objects.for_user(self.request.user)

    def paginate_queryset(self, queryset):
        """The page, with each placement's `candidate_reference` (which PlacementSerializer shows) looked up in
        one query for the page. A join or a subquery in the page query would be worked out for every row the
        OFFSET skips too (1,000 candidate look-ups for page 20), and a join would also be kept in the count."""
        page = super().paginate_queryset(queryset)
        if page:
            ids = {placement.candidate_id for placement in page}
            references = dict(Candidate.objects.filter(pk__in=ids).order_by().values_list("pk", "reference"))
            for placement in page:
                placement.candidate_reference = references[placement.candidate_id]
        return page


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
