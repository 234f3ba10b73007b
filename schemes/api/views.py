"""Reference data: readable by every signed-in client (API clients need the codes to ask for statistics),
changed only in the admin or by `import_reference`."""

from rest_framework import viewsets

from schemes.models import Grade, Location, Organisation, Scheme

from .serializers import GradeSerializer, LocationSerializer, OrganisationSerializer, SchemeSerializer


class OrganisationViewSet(viewsets.ReadOnlyModelViewSet):
    """Organisations (departments, agencies, councils and the units nested in them)."""

    queryset = Organisation.objects.select_related("parent")
    serializer_class = OrganisationSerializer
    filterset_fields = {"code": ["exact"], "kind": ["exact"], "parent__code": ["exact"]}
    ordering_fields = ["code", "name"]


class LocationViewSet(viewsets.ReadOnlyModelViewSet):
    """Sites and towns, with their region."""

    queryset = Location.objects.all()
    serializer_class = LocationSerializer
    filterset_fields = {"region": ["exact"]}
    ordering_fields = ["name", "region"]


class GradeViewSet(viewsets.ReadOnlyModelViewSet):
    """Grades and apprenticeship levels, in rank order within each framework."""

    queryset = Grade.objects.select_related("organisation", "band")
    serializer_class = GradeSerializer
    filterset_fields = {"framework": ["exact"], "code": ["exact"]}
    ordering_fields = ["code", "rank"]


class SchemeViewSet(viewsets.ReadOnlyModelViewSet):
    """Employment schemes and the organisation that runs each."""

    queryset = Scheme.objects.select_related("owner")
    serializer_class = SchemeSerializer
    filterset_fields = {"code": ["exact"], "kind": ["exact"], "owner__code": ["exact"]}
    ordering_fields = ["code", "name"]
