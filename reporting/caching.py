"""Cached published families and statistics answers.

Every cached value's key carries the *records version* (`placements.caching`): any change to a record or to
the reference data a breakdown groups by replaces it, so the next request computes afresh (old entries simply
expire). See docs/decisions/0052 and 0057.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache

from careleavers.versioned_cache import share
from placements.caching import versioned_key

T = TypeVar("T")


def cached(key: str, compute: Callable[[], T]) -> T:
    """The value cached under `key` for the current records version, computing it if absent.

    When many requests miss the same key at once (a burst after a change), one computes while the others
    wait for its answer, for up to `STATS_COMPUTE_WAIT_SECONDS`, instead of all counting the same thing."""
    full_key = versioned_key(f"stats:{key}")
    value = cache.get(full_key)
    if value is not None:
        return value
    lock_key = f"{full_key}:computing"
    if not cache.add(lock_key, 1, timeout=settings.STATS_COMPUTE_WAIT_SECONDS):
        deadline = time.monotonic() + settings.STATS_COMPUTE_WAIT_SECONDS
        while time.monotonic() < deadline:
            time.sleep(0.05)
            value = cache.get(full_key)
            if value is not None:
                return value
    try:
        value = compute()
        share(full_key, value, timeout=settings.STATS_CACHE_SECONDS)  # once this transaction commits
    finally:
        cache.delete(lock_key)
    return value
