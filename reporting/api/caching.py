"""Cached statistics and their invalidation.

Every cached answer's key carries a *records version*; any change to a record or to the reference data a
breakdown groups by bumps it, so the next request computes afresh (old entries simply expire). The bump is
done at once and again when the transaction commits, so a request that read the old data while the change
was being written cannot leave a stale answer under the new version. See docs/decisions/0052.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from placements.models import Outcome, Placement
from placements.signals import records_changed
from schemes.models import Grade, Location, Organisation, Scheme

VERSION_KEY = "stats:records-version"
T = TypeVar("T")


def records_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, 1, timeout=None)
        version = cache.get(VERSION_KEY, 1)
    return version


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not there yet (or evicted): any new value makes every old key unreachable
        cache.set(VERSION_KEY, 2, timeout=None)


def bump_records_version(**kwargs) -> None:
    """Make every cached statistic stale: now, and once more when the current transaction commits."""
    _bump()
    transaction.on_commit(_bump)


def cached(key: str, compute: Callable[[], T]) -> T:
    """The value cached under `key` for the current records version, computing it if absent.

    When many requests miss the same key at once (a burst after a change), one computes while the others
    wait for its answer, for up to `STATS_COMPUTE_WAIT_SECONDS`, instead of all counting the same thing."""
    # The day is part of the key: a placement starting today becomes a hire without any record changing.
    full_key = f"stats:v{records_version()}:{timezone.localdate():%Y%m%d}:{key}"
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
        cache.set(full_key, value, timeout=settings.STATS_CACHE_SECONDS)
    finally:
        cache.delete(lock_key)
    return value


def connect() -> None:
    """Listen for every kind of change that alters a count or a category label (called from AppConfig.ready)."""
    for model in (Placement, Outcome, Location, Grade, Organisation, Scheme):
        post_save.connect(bump_records_version, sender=model, dispatch_uid=f"stats-bump-save-{model.__name__}")
        post_delete.connect(bump_records_version, sender=model, dispatch_uid=f"stats-bump-delete-{model.__name__}")
    records_changed.connect(bump_records_version, dispatch_uid="stats-bump-records-changed")
