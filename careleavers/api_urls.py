"""Everything under /api/v1/ (docs/interfaces.md section 3): reference data, records, statistics, the schema."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.routers import DefaultRouter

from placements.api.views import CandidateViewSet, OutcomeViewSet, PlacementViewSet
from reporting.api.views import HiresStatsView, OutcomesStatsView
from schemes.api.views import GradeViewSet, LocationViewSet, OrganisationViewSet, SchemeViewSet

router = DefaultRouter()
router.register("schemes", SchemeViewSet, basename="scheme")
router.register("organisations", OrganisationViewSet, basename="organisation")
router.register("locations", LocationViewSet, basename="location")
router.register("grades", GradeViewSet, basename="grade")
router.register("candidates", CandidateViewSet, basename="candidate")
router.register("placements", PlacementViewSet, basename="placement")
router.register("outcomes", OutcomeViewSet, basename="outcome")

app_name = "api"
urlpatterns = [
    # The schema is the one thing anyone may read; the docs page needs a signed-in user or a token.
    path(
        "schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny], authentication_classes=[]), name="schema"
    ),
    path(
        "docs/",
        SpectacularSwaggerView.as_view(url_name="api:schema", permission_classes=[IsAuthenticated]),
        name="docs",
    ),
    path("stats/hires/", HiresStatsView.as_view(), name="stats-hires"),
    path("stats/outcomes/", OutcomesStatsView.as_view(), name="stats-outcomes"),
    path("", include(router.urls)),
]
