"""Project-level pages that belong to no single app."""

import asyncio
import datetime
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerView
from health_check.contrib.celery import Ping
from health_check.contrib.redis import Redis
from redis.asyncio import Redis as RedisClient
from rest_framework.permissions import AllowAny

from reporting.exports.health import beat_problem, schedules_health

# Workers must answer a ping within this long (the first answer is enough).
WORKER_PING_TIMEOUT = datetime.timedelta(seconds=1)


@login_required
def home(request):
    """A landing page listing the sections the user's role may use (from the navigation context)."""
    return render(request, "home.html")


def _checked(run) -> str:
    try:
        run()
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        return f"error: {exc.__class__.__name__}"
    return "ok"


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache():
    cache.set("health-check", "ok", 5)
    if cache.get("health-check") != "ok":
        raise ValueError("value not returned")


async def _service_checks() -> dict[str, str]:
    """django-health-check's Redis ping and Celery worker ping (with a timeout), side by side."""
    checks = {"workers": Ping(timeout=WORKER_PING_TIMEOUT, limit=1)}
    if settings.REDIS_URL:
        checks["broker"] = Redis(client_factory=lambda: RedisClient.from_url(settings.REDIS_URL))
    results = await asyncio.gather(*(check.get_result() for check in checks.values()))
    return {
        name: "ok" if result.error is None else f"error: {result.error.message}"
        for name, result in zip(checks, results, strict=True)
    }


def health(request):
    """The database, the cache, the broker (Redis), the workers (a ping), beat (its heartbeat) and each export
    schedule's last successful run; 503 when any is unwell or a schedule is overdue, so a load balancer or a
    container's health check can act on it."""
    checks = {"database": _checked(_database), "cache": _checked(_cache)}
    # In a thread of its own: the calling thread may already run an event loop (after Playwright's sync API, in
    # the browser tests' process), where asyncio.run() refuses to start another.
    with ThreadPoolExecutor(max_workers=1) as thread:
        checks |= thread.submit(asyncio.run, _service_checks()).result()
    schedules = []
    if checks["database"] == "ok":
        problem = beat_problem()
        checks["beat"] = "ok" if problem is None else f"error: {problem}"
        schedules = [entry.as_json() for entry in schedules_health()]
        overdue = [entry["schedule"] for entry in schedules if entry["overdue"]]
        checks["schedules"] = "ok" if not overdue else f"error: overdue: {', '.join(overdue)}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks, "schedules": schedules},
        status=200 if healthy else 503,
    )


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
