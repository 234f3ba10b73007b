"""Everything under /api/v1/ (docs/interfaces.md section 3): reference data, records, statistics, the schema."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny
from rest_framework.routers import DefaultRouter

from placements.api.views import CandidateViewSet, OutcomeViewSet, PlacementViewSet
from reporting.api.views import HiresStatsView, OutcomesStatsView
from schemes.api.views import GradeViewSet, LocationViewSet, OrganisationViewSet, SchemeViewSet

from .views import ApiDocsView


class Router(DefaultRouter):
    """DRF's router, whose root page (/api/v1/) also links the endpoints that are not viewsets."""

    more_links = {"stats/hires": "stats-hires", "stats/outcomes": "stats-outcomes", "schema": "schema", "docs": "docs"}

    def get_api_root_view(self, api_urls=None):
        links = {prefix: self.routes[0].name.format(basename=basename) for prefix, _, basename in self.registry}
        return self.APIRootView.as_view(api_root_dict={**links, **self.more_links})


router = Router()
router.register("schemes", SchemeViewSet, basename="scheme")
router.register("organisations", OrganisationViewSet, basename="organisation")
router.register("locations", LocationViewSet, basename="location")
router.register("grades", GradeViewSet, basename="grade")
router.register("candidates", CandidateViewSet, basename="candidate")
router.register("placements", PlacementViewSet, basename="placement")
router.register("outcomes", OutcomeViewSet, basename="outcome")

app_name = "api"
urlpatterns = [
    # The schema is the one thing anyone may read; the docs page needs a signed-in user or a token (anyone else
    # is told how to get in).
    path(
        "schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny], authentication_classes=[]), name="schema"
    ),
    path("docs/", ApiDocsView.as_view(url_name="api:schema"), name="docs"),
    path("stats/hires/", HiresStatsView.as_view(), name="stats-hires"),
    path("stats/outcomes/", OutcomesStatsView.as_view(), name="stats-outcomes"),
    path("", include(router.urls)),
]
