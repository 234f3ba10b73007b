"""Pieces every API endpoint shares: pagination, filtering and per-user (so per-token) throttling.

The apps' API modules (schemes.api, placements.api, reporting.api) build on these; settings name them in
REST_FRAMEWORK so a view gets them without asking.
"""

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.pagination import PageNumberPagination
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle, UserRateThrottle


class Pagination(PageNumberPagination):
    """Pages of 50 by default; a client may ask for up to 500 with `page_size`."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, which leaves the filter set out when a request names none of its filters (most
    pages of records): building one copies every filter and form field, to filter nothing (BENCHMARKS.md
    "API"). With none of its parameters given, a filter set returns the queryset it was given."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and not any(
            name in request.query_params for name in filterset_class.base_filters
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)


class _RatesFromSettings:
    """Read the rate when the request comes, not at import, so settings (and tests) can change it."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class _BucketedHistory(SimpleRateThrottle):
    """DRF's throttle with a history of constant size.

    DRF keeps the time of every request in the window (up to 5000 for 5000/hour) and reads and writes the whole
    list in the cache on every request, which grows with the rate until it is the largest cost of a request
    (BENCHMARKS.md "API"). Here the window is cut into
    `BUCKETS` slices, each kept as (slice, requests in it): at most 61 pairs. A slice counts until its *end*
    is a whole window old, so a request is counted up to one slice (a minute of an hour) longer than DRF
    would: never more than `num_requests` in any window, as before."""

    BUCKETS = 60
    cache_format = "throttle-b_%(scope)s_%(ident)s"

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        self.width = self.duration / self.BUCKETS
        current = int(self.now // self.width)
        width, history = self.cache.get(self.key) or (None, [])
        if width != self.width:  # the rate changed: slices of another width do not compare
            history = []
        # Newest first; drop slices that ended a whole window ago.
        self.history = [(bucket, count) for bucket, count in history if bucket >= current - self.BUCKETS]
        self.requests = sum(count for _, count in self.history)
        if self.requests >= self.num_requests:
            return self.throttle_failure()
        if self.history and self.history[0][0] == current:
            self.history[0] = (current, self.history[0][1] + 1)
        else:
            self.history.insert(0, (current, 1))
        self.cache.set(self.key, (self.width, self.history), self.duration + self.width)
        return True

    def wait(self):
        """Seconds until a request is likely to be allowed again (DRF's estimate, over the slices)."""
        if self.history:
            oldest_end = (self.history[-1][0] + 1) * self.width
            remaining_duration = max(oldest_end + self.duration - self.now, 0)
        else:
            remaining_duration = self.duration
        available_requests = self.num_requests - self.requests + 1
        if available_requests <= 0:
            return None
        return remaining_duration / float(available_requests)


class PerUserThrottle(_RatesFromSettings, UserRateThrottle, _BucketedHistory):
    """Every authenticated user (one token each) gets `API_RATE_USER` requests across the whole API."""


class StatsThrottle(_RatesFromSettings, ScopedRateThrottle, _BucketedHistory):
    """Statistics are the expensive endpoints: a separate, lower budget per user (`API_RATE_STATS`)."""

    scope_attr = "throttle_scope"
