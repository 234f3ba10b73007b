"""Pieces every API endpoint shares: pagination and per-user (so per-token) throttling.

The apps' API modules (schemes.api, placements.api, reporting.api) build on these; settings name them in
REST_FRAMEWORK so a view gets them without asking.
"""

from rest_framework.pagination import PageNumberPagination
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle, UserRateThrottle


class Pagination(PageNumberPagination):
    """Pages of 50 by default; a client may ask for up to 500 with `page_size`."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class _RatesFromSettings:
    """Read the rate when the request comes, not at import, so settings (and tests) can change it."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class PerUserThrottle(_RatesFromSettings, UserRateThrottle):
    """Every authenticated user (one token each) gets `API_RATE_USER` requests across the whole API."""


class StatsThrottle(_RatesFromSettings, ScopedRateThrottle):
    """Statistics are the expensive endpoints: a separate, lower budget per user (`API_RATE_STATS`)."""

    scope_attr = "throttle_scope"
