"""Project-level pages that belong to no single app."""

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerView
from rest_framework.permissions import AllowAny


@login_required
def home(request):
    """A landing page listing the sections the user's role may use (from the navigation context)."""
    return render(request, "home.html")


def health(request):
    """Report the database and the cache; 503 when either is down, so a load balancer can act on it."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        cache.set("health-check", "ok", 5)
        checks["cache"] = "ok" if cache.get("health-check") == "ok" else "error: value not returned"
    except Exception as exc:  # noqa: BLE001
        checks["cache"] = f"error: {exc.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503)


class ApiDocsView(SpectacularSwaggerView):
    """The browsable API documentation for signed-in staff and token holders. Anyone else is shown how to get
    in (sign in, or send a token) instead of DRF's bare "401 Unauthorized"; the schema itself is public."""

    permission_classes = [AllowAny]
    http_method_names = ["get", "head"]  # a page, not an API: no OPTIONS (its metadata answer has no template)

    @extend_schema(exclude=True)  # a page about the API, not part of it (as drf-spectacular's own view)
    def get(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return super().get(request, *args, **kwargs)
        context = {
            "sign_in_url": redirect_to_login(request.get_full_path()).url,
            "schema_url": reverse("api:schema"),
        }
        return render(request, "api/how_to_use.html", context)
