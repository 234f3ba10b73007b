"""Records endpoints: every list starts from `for_user`, so each client sees only what it may see."""

import functools
from collections import namedtuple

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import ProtectedError, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.functional import cached_property
from rest_framework import status, viewsets
from rest_framework.response import Response

from careleavers.api_common import Pagination
from careleavers.db import prepared
from placements.audit import record_read, record_reads
from placements.caching import cached_count
from placements.filtersets import CandidateFilterSet, OutcomeFilterSet, PlacementFilterSet
from placements.models import Candidate, Outcome, Placement, RecordAccess

from .permissions import RecordPermissions
from .serializers import CandidateSerializer, OutcomeSerializer, PlacementSerializer


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


PLACEMENT_ROW_COLUMNS = (
    "id",
    "candidate_id",
    "organisation_id",
    "scheme_id",
    "business_unit",
    "location_id",
    "grade_id",
    "referred_on",
    "applied_on",
    "offered_on",
    "clearance_requested_on",
    "clearance_granted_on",
    "started_on",
    "planned_end_on",
    "ended_on",
    "latest_outcome",
    "latest_outcome_on",
    "created_at",
    "updated_at",
)


class PlacementRow(namedtuple("PlacementRow", (*PLACEMENT_ROW_COLUMNS, "candidate_reference"))):
    """A placement of a page as it is shown: its columns and its candidate's reference as the database gave
    them, a tuple instead of a model instance (building 50 of those cost about 1 ms of a page, setting 20
    attributes on each of 50 objects 0.1 ms). PlacementSerializer shows these and model instances alike."""

    __slots__ = ()
    status_on = Placement.status_on

    @property
    def pk(self):
        return self.id


class IdsFirstPaginator(CountCachedPaginator):
    """A page found as ids first, then those rows read by primary key.

    The ids come from the scoped, filtered and ordered query alone, which PostgreSQL answers from the
    (organisation, id) index without visiting the table, however deep the page; reading every column there
    instead made it visit each row the OFFSET skips (1,000 for page 20 of 50). That query is built and compiled
    by the ORM once: its SQL is the cached count's key, and with a LIMIT and OFFSET the page's ids."""

    @cached_property
    def _ids_sql(self) -> tuple[str, tuple]:
        return self.object_list.values_list("pk", flat=True).query.sql_with_params()

    @cached_property
    def count(self):
        return cached_count(self.object_list, sql_with_params=self._ids_sql)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        connection = connections[self.object_list.db]
        sql, params = self._ids_sql
        with connection.cursor() as cursor:
            cursor.execute(f"{sql} {connection.ops.limit_offset_sql(bottom, top)}", params)
            ids = [pk for (pk,) in cursor.fetchall()]
        rows = {row.id: row for row in map(PlacementRow._make, _rows_of(connection, ids))}
        return self._get_page([rows[pk] for pk in ids], number, self)


@functools.cache
def _page_rows() -> QuerySet:
    """The SELECT of a page's rows, built once per process and filtered by each page's ids (a QuerySet's filter
    leaves the one it copies as it was, so threads may share it)."""
    return Placement.objects.order_by().values_list(*PLACEMENT_ROW_COLUMNS, "candidate__reference")


@functools.cache
def _page_rows_sql(alias: str) -> str:
    """On PostgreSQL, the rows' SELECT compiled once per process with the page's ids as its one parameter (an
    array), and prepared once per connection: building and compiling it cost 0.8 ms of every page's CPU, more
    than running it, and planning it 0.3 ms of PostgreSQL's. PostgreSQL gives dates and times as Python's own,
    so the rows need none of the ORM's conversions."""
    ids = RawSQL("SELECT unnest(%s::bigint[])", [[]])
    sql, (_ids,) = _page_rows().using(alias).filter(pk__in=ids).query.sql_with_params()  # the ids, nothing else
    return sql


def _rows_of(connection, ids: list[int]) -> list[tuple]:
    """The page's rows in PlacementRow's column order, in any order of ids."""
    if connection.vendor != "postgresql":  # SQLite (the embedded default) needs the ORM's date conversions
        return list(_page_rows().using(connection.alias).filter(pk__in=ids))
    sql = prepared(connection, "placement_page_rows", _page_rows_sql(connection.alias), 1)
    with connection.cursor() as cursor:
        cursor.execute(sql, [ids])
        return cursor.fetchall()


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
