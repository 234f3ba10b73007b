"""GET /api/v1/stats/hires/ and /api/v1/stats/outcomes/: thin views over reporting.api.statistics."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from careleavers.api_common import PerUserThrottle, StatsThrottle
from reporting.breakdowns import LAST_POSSIBLE_YEAR, MAX_DIMENSIONS, BreakdownError
from reporting.dimensions import DIMENSIONS, YEAR_BASES

from . import statistics
from .serializers import StatsErrorSerializer, StatsResponseSerializer

YEAR = {"type": "integer", "minimum": settings.PUBLISHED_FIRST_YEAR, "maximum": LAST_POSSIBLE_YEAR}
PARAMETERS = [
    OpenApiParameter(
        "by",
        {"type": "array", "items": {"type": "string", "enum": list(DIMENSIONS)}, "maxItems": MAX_DIMENSIONS},
        style="form",
        explode=False,
        description="Comma-separated dimensions, up to three (`by=year,location`). Disclosure-controlled answers "
        "offer the FOI pack's tables and their totals: hires by year, location, grade, year and location, year "
        "and grade, location and grade; outcomes by outcome, or year and outcome.",
    ),
    OpenApiParameter(
        "scheme",
        OpenApiTypes.STR,
        description="Scheme code, e.g. CLIS. For disclosure-controlled answers, needed if your statistics level "
        "gives each scheme on its own (the default) and refused if it gives all schemes together.",
    ),
    OpenApiParameter(
        "organisation",
        OpenApiTypes.STR,
        description="Code of a whole organisation, e.g. ONS. For disclosure-controlled answers, needed if your "
        "statistics level gives each organisation on its own (the default) and refused if it gives all "
        "organisations together (national figures).",
    ),
    OpenApiParameter(
        "year_basis",
        OpenApiTypes.STR,
        enum=list(YEAR_BASES),
        description="Calendar or financial; by default your statistics level's (calendar unless set otherwise). "
        "Disclosure-controlled answers come in that year basis only.",
    ),
    OpenApiParameter(
        "from",
        YEAR,
        description="First year (of a financial year: 2023 for 2023-24). Hires are counted from the first year "
        "published (the minimum): a start date recorded before it is taken to be a mistake and not counted.",
    ),
    OpenApiParameter("to", YEAR, description="Last year."),
    OpenApiParameter(
        "exact", OpenApiTypes.BOOL, description="Exact counts: staff of the organisation asked about only."
    ),
]
RESPONSES = {
    200: StatsResponseSerializer,
    400: OpenApiResponse(StatsErrorSerializer, description="A parameter is wrong; `parameter` names it."),
    403: OpenApiResponse(
        StatsErrorSerializer,
        description="Exact counts asked for by someone who may not have them, or a scope outside the client's "
        "statistics level; `parameter` names it.",
    ),
}


class _StatsView(APIView):
    measure: str
    throttle_classes = [PerUserThrottle, StatsThrottle]
    throttle_scope = "stats"

    def get(self, request):
        try:
            return Response(statistics.answer(request.query_params, self.measure, request.user))
        except statistics.StatsParameterError as error:
            return Response({"detail": error.message, "parameter": error.parameter}, status=error.status)
        except BreakdownError as error:
            return Response({"detail": str(error), "parameter": error.parameter}, status=400)


class HiresStatsView(_StatsView):
    """Hires (placements that started) counted by up to three dimensions, disclosure-controlled."""

    measure = statistics.HIRES

    @extend_schema(parameters=PARAMETERS, responses=RESPONSES, operation_id="stats_hires")
    def get(self, request):
        return super().get(request)


class OutcomesStatsView(_StatsView):
    """Hires by their latest outcome (always split by `outcome`), disclosure-controlled."""

    measure = statistics.OUTCOMES

    @extend_schema(parameters=PARAMETERS, responses=RESPONSES, operation_id="stats_outcomes")
    def get(self, request):
        return super().get(request)
